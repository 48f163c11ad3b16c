import json
from pathlib import Path

import numpy as np
import pytest

from moodshelf_train.data import PAPER_DIR, load_app_export, load_label_embeddings, load_paper_dataset, write_app_export
from moodshelf_train.vocab import VOCABULARIES


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


def test_paper_data_is_vendored_in_the_repo():
    """The paper's data lives in data/paper/ of the checkout (never beside it): the tests need it, so it must be there."""
    assert PAPER_DIR == Path(__file__).resolve().parents[2] / "data" / "paper"
    for f in ("LICENSE-AMAAI-Lab.txt", "README.md", "clusters/mtg-jamendo+cal500.json", "annotations/cal500.json"):
        assert (PAPER_DIR / f).is_file(), f
    spaces = load_label_embeddings()
    assert set(spaces) == set(VOCABULARIES)
    for name, space in spaces.items():
        assert space.labels == list(VOCABULARIES[name]["labels"])
        assert space.plain.shape == space.expanded.shape == (len(space.labels), 384)


def test_missing_label_embeddings_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_label_embeddings(tmp_path / "label-embeddings.json")
