import json

import numpy as np

from moodshelf_train.data import PAPER_DIR, load_app_export, load_paper_dataset, write_app_export


def test_app_export_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(7, 13, 8)).astype(np.float16)
    segs = [("t1", 0), ("t1", 1), ("t2", 0), ("t3", 0), ("t3", 1), ("t3", 2), ("t4", 0)]
    labels = {"t1": ["rainy sunday"], "t2": ["happy", "sad"], "t3": ["sad"]}  # t4 unlabelled -> skipped
    write_app_export(tmp_path, feats, segs, labels)
    emb = rng.normal(size=(3, 6))
    (tmp_path / "label-embeddings.json").write_text(json.dumps({"labels": ["happy", "rainy sunday", "sad"], "plain": emb.tolist()}))
    d = load_app_export(tmp_path, top_k=1)
    assert d.features.shape == (6, 13, 8) and d.track_ids == ["t1", "t2", "t3"]
    assert d.track_labels == [[1], [0, 2], [2]]
    assert d.select([3, 6]).shape == (6, 16) and d.select([3]).dtype == np.float32


def test_paper_layout_reader(tmp_path):
    ann = json.loads((PAPER_DIR / "annotations" / "emotify.json").read_text())
    ids = sorted(ann)[:5]
    rows = [[t, s] for t in ids for s in range(2)]
    np.save(tmp_path / "f.npy", np.zeros((len(rows), 13, 4), np.float32))
    (tmp_path / "i.json").write_text(json.dumps(rows))
    d = load_paper_dataset("emotify", tmp_path / "f.npy", tmp_path / "i.json")
    assert len(d.track_ids) == 5 and all(len(l) == 3 for l in d.track_labels) and d.top_k == 3
    assert d.space.plain.shape == (9, 384)
