"""Readers for the paper's on-disk layout (its DVC folder resources/input, read by src/data/segmented_dataset.py
PreprocessedSegmentedDataset): [N, 1, 13, 768] features, structured .npy index with a `track_id` field,
MTG-Jamendo as three split files, CAL500/Emotify split as the paper's data modules do. Files are written here with
plain numpy in that layout (not with our writer), so the readers are checked against the layout itself."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from moodshelf_train import data as D
from moodshelf_train.data import (PAPER_DIR, StackedRows, configure_paper_data, load_dataset_spec, load_paper_dataset,
                                  load_paper_input, paper_contiguous_split, read_index)
from moodshelf_train.vocab import VOCABULARIES

H = 768
TRAINING = Path(__file__).resolve().parents[1]


def _ann(name):
    return json.loads((PAPER_DIR / "annotations" / name).read_text())


def _index(ids, segs=None, kind="U"):
    """The paper's preprocessing index: (key, start s, end s) records, as a non-object structured array."""
    segs = segs if segs is not None else [0] * len(ids)
    width = max(len(t) for t in ids)
    dt = [("track_id", f"<{kind}{width}"), ("start", "<f8"), ("end", "<f8")]
    a = np.zeros(len(ids), dtype=dt)
    a["track_id"] = [t.encode() if kind == "S" else t for t in ids]
    a["start"] = np.asarray(segs) * 10.0
    a["end"] = a["start"] + 10.0
    return a


def _features(n, seed=0, dtype=np.float32):
    """[N, 1, 13, 768] as the paper stores `source` (batch["source"].squeeze(1) in its model)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, 13, H)).astype(dtype)


def _rows(ids, per_track=2):
    return [t for t in ids for _ in range(per_track)], [s for _ in ids for s in range(per_track)]


@pytest.fixture
def paper_input(tmp_path):
    """A resources/input folder with the paper's 10 file names: a few real tracks per split/dataset."""
    inp = tmp_path / "input"
    inp.mkdir()
    truth = {}
    for si, s in enumerate(("train", "validation", "test")):
        ids = sorted(_ann(f"mtg-jamendo-{s}.json"))[:4]
        tids, segs = _rows(ids, 2)
        f = _features(len(tids), seed=si)
        np.save(inp / f"mtg_{s}_source.npy", f)
        np.save(inp / f"mtg_{s}_index.npy", _index(tids, segs))
        truth[("mtg-jamendo", s)] = (tids, f)
    for name, stem in (("cal500", "CAL500"), ("emotify", "emotify")):
        ids = sorted(_ann(f"{name}.json"))[:20]  # sorted by key string, as sort_preprocessed_features.py
        tids, segs = _rows(ids, 3)
        f = _features(len(tids), seed=7)
        np.save(inp / f"{stem}_source.npy", f)
        np.save(inp / f"{stem}_index.npy", _index(tids, segs))
        truth[name] = (tids, f)
    assert sorted(p.name for p in inp.iterdir()) == sorted(D._all_input_names())  # the DVC folder's 10 files
    return inp, truth


def test_reads_the_paper_input_folder(paper_input):
    inp, truth = paper_input
    ds = load_paper_input(inp)
    assert set(ds) == {"mtg-jamendo", "cal500", "emotify"}
    m = ds["mtg-jamendo"]
    # three split files, concatenated train, validation, test; [N, 1, 13, 768] seen as [N, 13, 768]
    assert m.features.shape == (24, 13, H) and isinstance(m.features, StackedRows)
    assert list(m.segment_split) == [0] * 8 + [1] * 8 + [2] * 8
    tids_val, f_val = truth[("mtg-jamendo", "validation")]
    np.testing.assert_array_equal(m.features[8], f_val[0, 0])
    np.testing.assert_array_equal(m.features[[9, 3], 6], np.stack([f_val[1, 0, 6], truth[("mtg-jamendo", "train")][1][3, 0, 6]]))
    assert m.track_ids[4] == tids_val[0]
    ann = _ann("mtg-jamendo-validation.json")
    assert [m.space.labels[i] for i in m.track_labels[4]] == sorted(ann[tids_val[0]]["labels"], key=m.space.labels.index)
    # layer selection: hidden states 3, 6, 9, 12 concatenated, float32
    x = m.select([3, 6, 9, 12])
    assert x.shape == (24, 4 * H) and x.dtype == np.float32
    np.testing.assert_array_equal(x[8, H:2 * H], f_val[0, 0, 6])
    for name in ("cal500", "emotify"):
        d = ds[name]
        tids, f = truth[name]
        assert d.features.shape == (60, 13, H) and len(d.track_ids) == 20 and d.top_k == VOCABULARIES[name]["topK"]
        np.testing.assert_array_equal(d.features[5], f[5, 0])
        assert d.meta["layout"] == "paper" and d.meta["split"].startswith("paper")


def test_index_variants(tmp_path):
    ids = ["948", "950", "1,classical"]
    for kind in ("U", "S"):
        np.save(tmp_path / f"i{kind}.npy", _index(ids, kind=kind))
        assert read_index(tmp_path / f"i{kind}.npy") == ids
    a = np.zeros(2, dtype=[("track_id", "<i8"), ("start", "<f8")])
    a["track_id"] = [948, 950]
    np.save(tmp_path / "int.npy", a)
    assert read_index(tmp_path / "int.npy") == ["948", "950"]
    np.save(tmp_path / "plain.npy", np.array(ids))
    assert read_index(tmp_path / "plain.npy") == ids
    (tmp_path / "i.json").write_text(json.dumps([["948", 0], {"track": "950", "segment": 1}]))
    assert read_index(tmp_path / "i.json") == ["948", "950"]
    (tmp_path / "i.csv").write_text("track,segment\n948,0\n950,0\n")
    assert read_index(tmp_path / "i.csv") == ["948", "950"]
    b = np.zeros(2, dtype=[("key", "<U4")])
    np.save(tmp_path / "nofield.npy", b)
    with pytest.raises(ValueError, match="track_id"):
        read_index(tmp_path / "nofield.npy")
    np.save(tmp_path / "obj.npy", np.array([("948", 0.0)], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="Python objects"):
        read_index(tmp_path / "obj.npy")


def test_feature_shapes_and_mismatch(tmp_path):
    ids = sorted(_ann("emotify.json"))[:3]
    np.save(tmp_path / "i.npy", _index(ids))
    np.save(tmp_path / "f16.npy", _features(3, dtype=np.float16))  # float16 accepted, read as float32
    d = load_paper_dataset("emotify", tmp_path / "f16.npy", tmp_path / "i.npy")
    assert d.features.dtype == np.float16 and d.select([3]).dtype == np.float32
    np.save(tmp_path / "f3.npy", _features(3)[:, 0])  # [N, 13, H] also accepted
    assert load_paper_dataset("emotify", tmp_path / "f3.npy", tmp_path / "i.npy").features.shape == (3, 13, H)
    np.save(tmp_path / "bad.npy", np.zeros((3, 2, 13, 4), np.float32))
    with pytest.raises(ValueError, match=r"\[N, 1, layers, hidden\]"):
        load_paper_dataset("emotify", tmp_path / "bad.npy", tmp_path / "i.npy")
    np.save(tmp_path / "short.npy", _features(2))
    with pytest.raises(ValueError, match="rows"):
        load_paper_dataset("emotify", tmp_path / "short.npy", tmp_path / "i.npy")


def test_paper_contiguous_split_matches_the_papers_subset_arithmetic():
    # CombinedDataModule: M = len(dataset) = N * upsample; train range(int(0.8 M)), val next int(0.1 M), test rest;
    # item i reads row i // upsample (PreprocessedSegmentedDataset)
    for n, up in ((10, 1), (37, 2), (50, 3), (401, 3)):
        m = n * up
        a, b = int(0.8 * m), int(0.8 * m) + int(0.1 * m)
        want = np.array([0 if i * up < a else 1 if i * up < b else 2 for i in range(n)])
        np.testing.assert_array_equal(paper_contiguous_split(n, up), want)
    # the released TripletSegmentedDataset divides by upsample twice: row = i // up**2, so only the first
    # ceil(n / up) rows are read; CAL500 (x2): train items [0, 16) -> rows 0-3, val [16, 18) -> row 4, test -> row 4
    s = paper_contiguous_split(10, 2, exact=True)
    np.testing.assert_array_equal(s, [0, 0, 0, 0, 1, -1, -1, -1, -1, -1])


def test_split_modes_for_small_datasets(tmp_path):
    ids = sorted(_ann("cal500.json"))[:30]
    tids, segs = _rows(ids, 2)
    np.save(tmp_path / "f.npy", np.zeros((60, 1, 13, 4), np.float32))
    np.save(tmp_path / "i.npy", _index(tids, segs))
    paper = load_paper_dataset("cal500", tmp_path / "f.npy", tmp_path / "i.npy", split="paper")
    np.testing.assert_array_equal(paper.segment_split, paper_contiguous_split(60, 2))
    exact = load_paper_dataset("cal500", tmp_path / "f.npy", tmp_path / "i.npy", split="paper-exact")
    assert len(exact.track) == 30 and list(np.bincount(exact.segment_split)) == [24, 3, 3]  # unused rows dropped
    tracks = load_paper_dataset("cal500", tmp_path / "f.npy", tmp_path / "i.npy", split="tracks")
    for t in range(len(tracks.track_ids)):  # no track in two splits
        assert len(set(tracks.segment_split[tracks.track == t])) == 1
    configure_paper_data(split="tracks")
    try:
        d = load_paper_dataset("cal500", tmp_path / "f.npy", tmp_path / "i.npy")
        assert d.meta["split"].startswith("tracks")
    finally:
        configure_paper_data()


def test_single_file_mtg_and_split_template(tmp_path, paper_input):
    inp, truth = paper_input
    # one file holding every split: the split comes from the annotation files
    tids = sum((truth[("mtg-jamendo", s)][0] for s in ("test", "train", "validation")), [])
    f = np.concatenate([truth[("mtg-jamendo", s)][1] for s in ("test", "train", "validation")])
    np.save(tmp_path / "all.npy", f)
    np.save(tmp_path / "all_index.npy", _index(tids))
    d = load_paper_dataset("mtg-jamendo", tmp_path / "all.npy", tmp_path / "all_index.npy")
    assert list(d.segment_split) == [2] * 8 + [0] * 8 + [1] * 8
    # `{split}` in the paths: the three per-split files
    t = load_dataset_spec("mtg-jamendo", f"{inp}/mtg_{{split}}_source.npy:{inp}/mtg_{{split}}_index.npy")
    assert t.features.shape == (24, 13, H) and list(np.bincount(t.segment_split)) == [8, 8, 8]
    # a folder: the paper's resources/input (for load_app_export callers too)
    assert load_dataset_spec("cal500", str(inp)).features.shape == (60, 13, H)
    assert D.load_app_export(inp, name="emotify").meta["layout"] == "paper"
    # a track of the validation file annotated in train is an error
    bad = tmp_path / "bad"
    bad.mkdir()
    for s in ("train", "validation", "test"):
        for k in ("source", "index"):
            (bad / f"mtg_{s}_{k}.npy").write_bytes((inp / f"mtg_{s}_{k}.npy").read_bytes())
    np.save(bad / "mtg_validation_index.npy", _index(truth[("mtg-jamendo", "train")][0]))
    with pytest.raises(ValueError, match="other splits"):
        load_paper_input(bad, ["mtg-jamendo"])


def test_paper_metadata_annotations_are_read(tmp_path):
    """The paper's own resources/*.json ({path, "mood/theme"}) work as the annotation folder."""
    ann = tmp_path / "resources"
    ann.mkdir()
    src = _ann("emotify.json")
    ids = sorted(src)[:4]
    (ann / "emotify_metadata_updated.json").write_text(json.dumps(
        {t: {"path": f"/x/{t}.wav", "mood/theme": src[t]["labels"]} for t in ids}))
    np.save(tmp_path / "f.npy", np.zeros((4, 1, 13, 4), np.float32))
    np.save(tmp_path / "i.npy", _index(ids))
    d = load_paper_dataset("emotify", tmp_path / "f.npy", tmp_path / "i.npy", annotations_dir=ann)
    assert [[d.space.labels[i] for i in l] for l in d.track_labels] == [sorted(src[t]["labels"], key=d.space.labels.index) for t in ids]


def test_stacked_rows_indexing():
    a = np.arange(2 * 3 * 2).reshape(2, 3, 2)
    b = np.arange(100, 100 + 3 * 3 * 2).reshape(3, 3, 2)
    ref = np.concatenate([a, b])
    s = StackedRows([a, b])
    assert s.shape == (5, 3, 2) and len(s) == 5 and s.ndim == 3
    np.testing.assert_array_equal(np.asarray(s), ref)
    for key in (slice(None), slice(1, 4), [4, 0, 2], np.array([True, False, True, False, True]), -1, 3):
        np.testing.assert_array_equal(s[key], ref[key])
    np.testing.assert_array_equal(s[:, 1], ref[:, 1])
    np.testing.assert_array_equal(s[[3, 1], 2, :], ref[[3, 1], 2, :])
    sub = StackedRows([a, b], rows=[4, 1, 2])
    np.testing.assert_array_equal(sub[:], ref[[4, 1, 2]])
    np.testing.assert_array_equal(sub[[2, 0]], ref[[2, 4]])
    with pytest.raises(IndexError):
        s[5]


def test_select_is_cached_per_split(paper_input):
    inp, _ = paper_input
    d = load_paper_input(inp, ["mtg-jamendo"])["mtg-jamendo"]
    v = d.select([3, 6, 9, 12], split=1)
    assert v.shape == (8, 4 * H) and d.select([3, 6, 9, 12], split=1) is v
    np.testing.assert_array_equal(v, d.select([3, 6, 9, 12])[d.segment_split == 1])


def test_paper_data_location_is_configurable(tmp_path, monkeypatch):
    assert D.paper_dir() == PAPER_DIR and D.annotations_dir() == PAPER_DIR / "annotations"
    alt = tmp_path / "paper"
    (alt / "annotations").mkdir(parents=True)
    raw = json.loads((PAPER_DIR / "label-embeddings.json").read_text())
    (alt / "label-embeddings.json").write_text(json.dumps({"emotify": raw["emotify"]}))
    monkeypatch.setenv("MOODSHELF_PAPER_DIR", str(alt))
    assert D.paper_dir() == alt and set(D.load_label_embeddings()) == {"emotify"}
    monkeypatch.delenv("MOODSHELF_PAPER_DIR")
    configure_paper_data(label_embeddings=alt / "label-embeddings.json", annotations=alt / "annotations")
    try:
        assert set(D.load_label_embeddings()) == {"emotify"} and D.annotations_dir() == alt / "annotations"
    finally:
        configure_paper_data()
    assert D.paper_dir() == PAPER_DIR


def test_synthetic_data_goes_through_the_paper_layout(tmp_path):
    from moodshelf_train.synthetic import make_synthetic

    ds = make_synthetic({"tracks": {"mtg-jamendo": 30, "cal500": 20, "emotify": 20}}, seed=0, out_dir=tmp_path)
    inp = tmp_path / "input"
    assert sorted(p.name for p in inp.iterdir()) == sorted(D._all_input_names())
    f = np.load(inp / "mtg_train_source.npy", mmap_mode="r")
    assert f.ndim == 4 and f.shape[1:3] == (1, 13) and f.dtype == np.float32
    assert np.load(inp / "CAL500_index.npy").dtype.names == ("track_id", "start", "end")
    for s in ("train", "validation", "test"):
        assert (tmp_path / "annotations" / f"mtg-jamendo-{s}.json").exists()
    for d in ds.values():
        assert d.meta["read_as"] == "paper" and d.meta["synthetic"] and d.meta["files"]
    assert isinstance(ds["mtg-jamendo"].features, StackedRows)


def test_reproduce_synthetic_reads_through_the_paper_readers(monkeypatch):
    """reproduce --synthetic builds its datasets with data.load_paper_input (the readers real data uses)."""
    from moodshelf_train import reproduce

    calls = []
    real = D.load_paper_input

    def spy(*a, **k):
        calls.append(a[0])
        return real(*a, **k)

    monkeypatch.setattr("moodshelf_train.synthetic.load_paper_input", spy)
    cfg = reproduce.load_config("synthetic")
    ds = reproduce.load_datasets(cfg, None, True, 0)
    assert calls and set(ds) == {"mtg-jamendo", "cal500", "emotify"}
    assert all(d.meta["read_as"] == "paper" for d in ds.values())


def test_cli_paper_input_option(tmp_path, paper_input):
    inp, _ = paper_input
    from moodshelf_train import cli_train

    class A:
        paper_input = str(inp)

    assert cli_train._paper_input(A, {}) == {n: str(inp) for n in ("mtg-jamendo", "cal500", "emotify")}
    r = subprocess.run([sys.executable, "-m", "moodshelf_train", "reproduce", "--paper-input", str(tmp_path / "none"),
                        "--no-checkpoints"], cwd=TRAINING, capture_output=True, text=True)
    assert r.returncode != 0 and "none of the paper's input files" in r.stderr
