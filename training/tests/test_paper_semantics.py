"""The training matches the paper's code (github.com/AMAAI-Lab/cross-dataset-emotion-alignment) where it changes
what the results table means. Expected values are computed by hand, or from the paper's published artefacts
vendored in data/paper/ (label-embeddings.json, clusters/<A>+<B>.json, the published table), read here
directly, never from the pipeline's own output."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from moodshelf_train import reproduce as rp
from moodshelf_train.data import LabelSpace, SegmentDataset
from moodshelf_train.heads import AttentionHead, build_head
from moodshelf_train.reproduce import DEFAULT_FOLDS, format_table, load_config
from moodshelf_train.train import (
    METHODS, combined_batches, dataset_targets, evaluate, make_optimizer, paper_split_positions, split_rows,
    train_config, train_head,
)

PAPER = Path(__file__).resolve().parents[2] / "data" / "paper"
NAMES = ("mtg-jamendo", "cal500", "emotify")
TOP_K = {"mtg-jamendo": 2, "cal500": 4, "emotify": 3}


def _unit(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def emb():
    raw = json.loads((PAPER / "label-embeddings.json").read_text())
    return {n: {"labels": raw[n]["labels"], "plain": _unit(raw[n]["plain"]), "expanded": _unit(raw[n]["expanded"])}
            for n in NAMES}


@pytest.fixture(scope="module")
def spaces(emb):
    return {n: LabelSpace(list(e["labels"]), e["plain"].astype(np.float32), e["expanded"].astype(np.float32))
            for n, e in emb.items()}


def committed(fold):
    """{(dataset, label): cluster} of the paper's committed map data/paper/clusters/<fold>.json."""
    raw = json.loads((PAPER / "clusters" / f"{fold}.json").read_text())
    return {(a["dataset"], a["label"]): a["cluster"] for a in raw["assignments"]}


def dataset(name, space, features, track, track_labels, track_split, track_ids=None, meta=None):
    return SegmentDataset(name=name, features=np.asarray(features, dtype=np.float32),
                          track=np.asarray(track, dtype=np.int64),
                          track_ids=list(track_ids or [str(t) for t in range(len(track_labels))]),
                          track_labels=[sorted(l) for l in track_labels],
                          track_split=np.asarray(track_split, dtype=np.int64), space=space, top_k=TOP_K[name],
                          meta=meta or {})


def identity_head(dim=384):
    head = nn.Linear(dim, dim, bias=False)
    with torch.no_grad():
        head.weight.copy_(torch.eye(dim))
    return head.eval()


def macro_f1_by_hand(pred, target):
    f1 = []
    for j in range(pred.shape[1]):
        tp = int(((pred[:, j] == 1) & (target[:, j] == 1)).sum())
        fp = int(((pred[:, j] == 1) & (target[:, j] == 0)).sum())
        fn = int(((pred[:, j] == 0) & (target[:, j] == 1)).sum())
        f1.append(0.0 if 2 * tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(f1) / len(f1)


def top_k_sets(queries, vectors, k):
    return [sorted(np.argsort(-(vectors @ q))[:k].tolist()) for q in queries]


def heldout_probe(name, space, emb):
    """One track per label: its single segment's 'audio embedding' is the label's EXPANDED vector and its labels
    are the k labels whose EXPANDED vectors are nearest to it (numpy on the published vectors). An identity head
    then scores macro F1 1.0 against the expanded vectors, and less against the plain ones."""
    E = emb[name]["expanded"]
    labels = top_k_sets(E, E, TOP_K[name])
    V = len(E)
    return dataset(name, space, E, np.arange(V), labels, np.zeros(V)), labels


# ---------------------------------------------------------------------------- 1. held-out scoring: EXPANDED

def test_heldout_scoring_uses_the_expanded_vectors(emb, spaces):
    for name in NAMES:
        d, labels = heldout_probe(name, spaces[name], emb)
        r = evaluate(identity_head(), d, [0], None)
        assert r["segment"] == pytest.approx(1.0) and r["song"] == pytest.approx(1.0), (name, r)
        # the plain vectors give a different (hand-computed) figure: the probe tells the two apart
        V = len(labels)
        pred = np.zeros((V, V), int)
        target = np.zeros((V, V), int)
        for j, p in enumerate(top_k_sets(emb[name]["expanded"], emb[name]["plain"], TOP_K[name])):
            pred[j, p] = 1
            target[j, labels[j]] = 1
        plain_f1 = macro_f1_by_hand(pred, target)
        assert plain_f1 < 0.9, (name, plain_f1)
        assert evaluate(identity_head(), d, [0], None, embeddings="plain")["segment"] == pytest.approx(plain_f1)


def test_reproduce_scores_every_configuration_against_the_heldout_expanded_vectors(emb, spaces, monkeypatch, tmp_path):
    data = {n: heldout_probe(n, spaces[n], emb)[0] for n in NAMES}
    monkeypatch.setattr(rp, "load_datasets", lambda *a, **k: data)
    calls = []

    def fake_train_head(cfg, datasets, method, test_name, seed, **kw):
        calls.append(([d.name for d in datasets], method, test_name))
        info = {"seconds": 0.0, "selected_epoch": 0, "selected_on": "-", "best_val_f1": 0.0, "epochs": 0,
                "combine": "max_size", "targets": {}, "train_segments": {}, "history": []}
        return identity_head(), None, info

    monkeypatch.setattr(rp, "train_head", fake_train_head)
    cfg = {"name": "probe", "layers": [0], "eval": {"split": "all"}, "train": {}}
    results, metrics, _ = rp.reproduce(cfg, synthetic=True, out_root=tmp_path, export=False, log=lambda *a: None)
    assert sorted(calls) == sorted([(f[0], m, f[1]) for f in DEFAULT_FOLDS for m in METHODS])
    for (test, method), r in results.items():
        assert r["segment"] == pytest.approx(1.0) and r["song"] == pytest.approx(1.0), (test, method, r)


# ----------------------------------------------------------- 2. one batch per dataset, losses summed per dataset

def test_combined_loader_max_size_by_hand():
    g = torch.Generator().manual_seed(0)
    steps = combined_batches([10, 3], 4, "max_size", g)
    assert [[None if b is None else len(b) for b in s] for s in steps] == [[4, 3], [4, None], [2, None]]
    assert sorted(torch.cat([s[0] for s in steps]).tolist()) == list(range(10))  # one epoch of dataset 0
    assert sorted(steps[0][1].tolist()) == [0, 1, 2]
    steps = combined_batches([10, 3], 4, "max_size_cycle", g)
    assert [[len(b) for b in s] for s in steps] == [[4, 3], [4, 3], [2, 3]]  # the short loader restarts
    assert all(sorted(s[1].tolist()) == [0, 1, 2] for s in steps)


def test_a_training_step_holds_one_batch_per_dataset(spaces):
    rng = np.random.default_rng(0)
    # 10 train segments of MTG-Jamendo (10 tracks), 3 of CAL500 (3 tracks); the other splits: 2 tracks each
    a = dataset("mtg-jamendo", spaces["mtg-jamendo"], rng.normal(size=(14, 8)), np.arange(14),
                [[i % 56, (i + 7) % 56] for i in range(14)], [0] * 10 + [1, 1, 2, 2])
    b = dataset("cal500", spaces["cal500"], rng.normal(size=(7, 8)), np.arange(7),
                [[i % 17, (i + 3) % 17, (i + 5) % 17] for i in range(7)], [0] * 3 + [1, 1, 2, 2])
    cfg = {"layers": [0], "head": {"type": "mlp", "hidden_dim": 16},
           "train": {"epochs": 2, "batch_size": 4, "split": "tracks", "oversample": {}, "select": "monitor",
                     "combine": "max_size", "threads": 1}}
    trace = []
    train_head(cfg, [a, b], "baseline", "emotify", seed=0, trace=trace)
    assert trace == [{"mtg-jamendo": 4, "cal500": 3}, {"mtg-jamendo": 4}, {"mtg-jamendo": 2}] * 2
    trace = []
    cfg["train"]["oversample"] = {"cal500": 2}  # "tracks" split: the 3 train segments twice -> 6 samples
    train_head(cfg, [a, b], "baseline", "emotify", seed=0, trace=trace)
    assert trace[:3] == [{"mtg-jamendo": 4, "cal500": 4}, {"mtg-jamendo": 4, "cal500": 2}, {"mtg-jamendo": 2}]


# ------------------------------------------------------------ 3. the label vectors of each configuration's rows

def test_configurations_as_the_paper(spaces):
    assert METHODS == {"baseline": {"targets": "expanded", "reg": False},
                       "clustering": {"targets": "centres", "reg": False},
                       "alignment": {"targets": "expanded", "reg": True}}


def test_baseline_positives_are_means_of_expanded_vectors_for_every_dataset(emb, spaces):
    for name in NAMES:
        d = dataset(name, spaces[name], np.zeros((1, 4)), [0], [[0, 2]], [0])
        t = dataset_targets(d, METHODS["baseline"]["targets"])
        y = torch.zeros(1, len(emb[name]["labels"]), dtype=torch.bool)
        y[0, [0, 2]] = True
        want = (emb[name]["expanded"][0] + emb[name]["expanded"][2]) / 2
        np.testing.assert_allclose(t.positive(y)[0].numpy(), want, atol=1e-6)
        np.testing.assert_allclose(t.vectors.numpy(), emb[name]["expanded"], atol=1e-6)  # no plain vectors


def _fold_clusters(names, spaces):
    from moodshelf_train.train import fold_clusters

    ds = [dataset(n, spaces[n], np.zeros((1, 4)), [0], [[0]], [0]) for n in names]
    return ds, fold_clusters({"clusters": {}}, ds)


def _member_mean(emb, cmap, cluster):
    vs = [emb[n]["expanded"][emb[n]["labels"].index(l)] for (n, l), c in cmap.items() if c == cluster]
    return np.mean(vs, axis=0)


def test_clustering_positives_are_the_committed_clusters_centres(emb, spaces):
    """Fold MTG+CAL500: a track labelled calm + dark (MTG) takes the mean of the two labels' cluster centres; a
    centre is the mean of the expanded vectors of every label (both datasets) in the paper's committed cluster.
    (The paper's centres are MeanShift's cluster_centers_, equal to that mean for 40 of the 42 clusters, calm's
    and dark's among them; centres "mean" gives the member mean for every cluster.)"""
    cmap = committed("mtg-jamendo+cal500")
    (mtg, cal), clusters = _fold_clusters(["mtg-jamendo", "cal500"], spaces)
    L = emb["mtg-jamendo"]["labels"]
    y = torch.zeros(1, len(L), dtype=torch.bool)
    y[0, [L.index("calm"), L.index("dark")]] = True
    want = (_member_mean(emb, cmap, cmap[("mtg-jamendo", "calm")]) + _member_mean(emb, cmap, cmap[("mtg-jamendo", "dark")])) / 2
    t = dataset_targets(mtg, METHODS["clustering"]["targets"], clusters)
    np.testing.assert_allclose(t.positive(y)[0].numpy(), want, atol=1e-5)
    # "happy" is in the 12-label cluster whose MeanShift centre is not the member mean: centres "mean" gives it
    y = torch.zeros(1, len(L), dtype=torch.bool)
    y[0, L.index("happy")] = True
    t = dataset_targets(mtg, "centres", clusters, centres="mean")
    np.testing.assert_allclose(t.positive(y)[0].numpy(), _member_mean(emb, cmap, cmap[("mtg-jamendo", "happy")]),
                               atol=1e-5)
    # two labels of ONE cluster count twice (LabelFeatureMapper.get_features takes one centre per label):
    # happy + party (same cluster) + calm -> (2 * c(happy) + c(calm)) / 3
    assert cmap[("mtg-jamendo", "party")] == cmap[("mtg-jamendo", "happy")]
    y = torch.zeros(1, len(L), dtype=torch.bool)
    y[0, [L.index("happy"), L.index("party"), L.index("calm")]] = True
    want = (2 * _member_mean(emb, cmap, cmap[("mtg-jamendo", "happy")]) + _member_mean(emb, cmap, cmap[("mtg-jamendo", "calm")])) / 3
    np.testing.assert_allclose(t.positive(y)[0].numpy(), want, atol=1e-5)


def test_alignment_trains_on_expanded_vectors_with_the_committed_cluster_ids(emb, spaces):
    for fold in ("mtg-jamendo+cal500", "mtg-jamendo+emotify", "cal500+emotify"):
        cmap = committed(fold)
        ds, clusters = _fold_clusters(fold.split("+"), spaces)
        for d in ds:
            t = dataset_targets(d, METHODS["alignment"]["targets"], clusters)
            np.testing.assert_allclose(t.vectors.numpy(), emb[d.name]["expanded"], atol=1e-6)
            assert t.ids.tolist() == [cmap[(d.name, l)] for l in emb[d.name]["labels"]], (fold, d.name)
            # the regulariser id of a sample = the cluster of one of its labels, drawn at random
            V = len(emb[d.name]["labels"])
            y = torch.zeros(200, V, dtype=torch.bool)
            y[:, [0, V - 1]] = True
            ids = t.reg_ids(y, torch.Generator().manual_seed(0))
            want = {cmap[(d.name, emb[d.name]["labels"][0])], cmap[(d.name, emb[d.name]["labels"][-1])]}
            assert set(ids.tolist()) == want


def test_trained_rows_use_the_configurations_targets(spaces):
    rng = np.random.default_rng(1)
    a = dataset("mtg-jamendo", spaces["mtg-jamendo"], rng.normal(size=(12, 8)), np.arange(12),
                [[i % 56] for i in range(12)], [0] * 8 + [1, 1, 2, 2])
    b = dataset("cal500", spaces["cal500"], rng.normal(size=(12, 8)), np.arange(12),
                [[i % 17] for i in range(12)], [0] * 8 + [1, 1, 2, 2])
    cfg = {"layers": [0], "head": {"type": "mlp", "hidden_dim": 8},
           "train": {"epochs": 1, "batch_size": 4, "split": "tracks", "threads": 1}}
    for method, want in (("baseline", "expanded"), ("clustering", "centres"), ("alignment", "expanded")):
        _, clusters, info = train_head(cfg, [a, b], method, "emotify", seed=0)
        assert info["targets"] == {"mtg-jamendo": want, "cal500": want}, method
        assert (clusters is None) == (method == "baseline")


# ------------------------------------------------------- 5. negatives from the dataset's own labels / clusters

# Rows of the paper's clusters/<A>_<B>/<dataset>_cluster_centers.npz (the clusters a dataset's labels fall in)
PAPER_OWN_CLUSTERS = {"mtg-jamendo+cal500": {"mtg-jamendo": 38, "cal500": 10},
                      "mtg-jamendo+emotify": {"mtg-jamendo": 55, "emotify": 9},
                      "cal500+emotify": {"cal500": 16, "emotify": 8}}


def test_clustering_negatives_come_from_the_datasets_own_clusters(emb, spaces):
    for fold, counts in PAPER_OWN_CLUSTERS.items():
        cmap = committed(fold)
        ds, clusters = _fold_clusters(fold.split("+"), spaces)
        for d in ds:
            own = sorted({c for (n, _), c in cmap.items() if n == d.name})
            assert len(own) == counts[d.name]
            t = dataset_targets(d, "centres", clusters)
            assert len(t.vectors) == counts[d.name]
            L = emb[d.name]["labels"]
            y = torch.zeros(2000, len(L), dtype=torch.bool)
            y[:, 0] = True
            _, idx = t.negative(y, 5, torch.Generator().manual_seed(0))
            drawn = {own[i] for i in idx.flatten().tolist()}  # rows are the own clusters in id order
            assert drawn == set(own) - {cmap[(d.name, L[0])]}, (fold, d.name)


def test_baseline_negatives_come_from_the_datasets_own_labels(spaces):
    for name in NAMES:
        d = dataset(name, spaces[name], np.zeros((1, 4)), [0], [[1]], [0])
        t = dataset_targets(d, "expanded")
        V = len(spaces[name].labels)
        y = torch.zeros(3000, V, dtype=torch.bool)
        y[:, 1] = True
        _, idx = t.negative(y, 5, torch.Generator().manual_seed(0))
        assert set(idx.flatten().tolist()) == set(range(V)) - {1}


# -------------------------------------------------------------------------------------- 6. the paper's setup

def test_paper_config_head_scheduler_and_split():
    cfg = load_config("paper")
    assert cfg["head"]["type"] == "attention"
    head = build_head(cfg["head"]["type"], 3072, 384, **{k: v for k, v in cfg["head"].items() if k != "type"})
    assert isinstance(head, AttentionHead)
    assert abs(sum(p.numel() for p in head.parameters()) / 1e6 - 16.8) < 0.05
    tc = train_config(cfg)
    opt, sched = make_optimizer(head, tc)
    assert (opt.defaults["lr"], opt.defaults["weight_decay"]) == (1e-4, 0.01)
    assert (sched.mode, sched.factor, sched.patience, sched.cooldown) == ("max", 0.2, 10, 5)
    assert sched.min_lrs == [1.6e-7]
    assert tc["split"] == "paper-code" and tc["oversample"] == {"cal500": 2, "emotify": 3}
    assert tc["batch_size"] == 256 and tc["n_negatives"] == 5 and tc["margin"] == 1.0


def test_paper_split_positions_by_hand():
    # 10 segments, upsample 2: 20 items; train = items 0..15 (int(0.8 * 20)), validation 16..17, test 18..19.
    # item i reads segment i // 2 // 2 (the released code divides twice) and reports the track of segment i // 2
    feat, group = paper_split_positions(10, 2, 0)
    assert feat.tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4
    assert group.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
    assert [x.tolist() for x in paper_split_positions(10, 2, 1)] == [[4, 4], [8, 8]]
    assert [x.tolist() for x in paper_split_positions(10, 2, 2)] == [[4, 4], [9, 9]]
    # the intended reading: item i -> segment i // 2
    feat, group = paper_split_positions(10, 2, 0, double_division=False)
    assert feat.tolist() == group.tolist() == [i // 2 for i in range(16)]
    assert paper_split_positions(10, 2, 2, double_division=False)[0].tolist() == [9, 9]
    # upsample 3 (Emotify): 30 items, train 0..23, validation 24..26, test 27..29
    assert paper_split_positions(10, 3, 0)[0].tolist() == [0] * 9 + [1] * 9 + [2] * 6
    assert [x.tolist() for x in paper_split_positions(10, 3, 1)] == [[2, 2, 2], [8, 8, 8]]
    assert [x.tolist() for x in paper_split_positions(10, 3, 2)] == [[3, 3, 3], [9, 9, 9]]


def test_split_rows_are_contiguous_over_segments_sorted_by_track_id(spaces):
    # CAL500, 4 tracks with ids "2", "10", "1", "0" (file order), 3 segments each -> 12 rows.
    # Sorted by id string: "0" (rows 9-11), "1" (rows 6-8), "10" (rows 3-5), "2" (rows 0-2)
    track = np.repeat([0, 1, 2, 3], 3)
    d = dataset("cal500", spaces["cal500"], np.arange(12)[:, None], track, [[0], [1], [2], [3]], [0, 0, 0, 0],
                track_ids=["2", "10", "1", "0"])
    order = [9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2]
    tc = {"split": "paper", "oversample": {"cal500": 2}}
    # 24 items: train 0..18 (int(0.8 * 24) = 19), validation 19..20, test 21..23; item i -> sorted segment i // 2
    rows, groups = split_rows(d, 0, tc)
    assert rows.tolist() == [order[i // 2] for i in range(19)]
    rows, groups = split_rows(d, 2, tc)
    assert rows.tolist() == [order[10], order[11], order[11]] and groups.tolist() == [0, 0, 0]  # track "2"
    tc = {"split": "paper-code", "oversample": {"cal500": 2}}
    rows, groups = split_rows(d, 2, tc)  # items 21..23 read sorted segment i // 4 = 5; report i // 2 = 10, 11, 11
    assert rows.tolist() == [order[5]] * 3 and groups.tolist() == [0, 0, 0]
    assert d.track[rows].tolist() == [2, 2, 2]  # features and labels of track "1", song vote of track "2"
    # MTG-Jamendo keeps its official split
    m = dataset("mtg-jamendo", spaces["mtg-jamendo"], np.arange(6)[:, None], np.arange(6), [[0]] * 6,
                [0, 1, 2, 0, 1, 2])
    assert split_rows(m, 2, tc)[0].tolist() == [2, 5]


def test_song_level_under_the_paper_code_split_votes_per_reported_track(spaces):
    """Under "paper-code" a held-out song is the group of samples reporting one track id; its true labels are
    its first sample's (SongLevelMetric: true_labels[mask][0])."""
    from moodshelf_train.train import score_metrics

    d = dataset("emotify", spaces["emotify"], np.zeros((4, 1)), [0, 0, 1, 1], [[0, 1, 2], [3, 4, 5]], [0, 0])
    s = np.array([[1.0, .9, .8, 0, 0, 0, 0, 0, 0],   # track 0's segment: predicts 0, 1, 2
                  [0, 0, 0, 1.0, .9, .8, 0, 0, 0],   # track 0's segment: predicts 3, 4, 5
                  [0, 0, 0, 1.0, .9, .8, 0, 0, 0],   # track 1's segment: predicts 3, 4, 5
                  [0, 0, 0, 1.0, .9, .8, 0, 0, 0]])
    # groups: samples 0, 1, 2 vote for song A (first sample: track 0's labels 0, 1, 2), sample 3 for song B
    r = score_metrics(s, d, np.array([0, 0, 1, 1]), groups=np.array([7, 7, 7, 8]))
    # song A: votes 0, 1, 2 once, 3, 4, 5 twice -> predicts 3, 4, 5, truth 0, 1, 2; song B: 3, 4, 5 vs 3, 4, 5
    # per label F1: labels 0-2: tp 0, fn 1 -> 0; labels 3-5: tp 1, fp 1 -> 2/3; labels 6-8: 0 -> mean = 2/9
    assert r["song"] == pytest.approx(2 / 9)
    assert r["tracks"] == 2


# ---------------------------------------------------------------------------------------- 8. the table

PAPER_TABLE = {  # data/paper/README.md "Published results", as printed there
    ("segment", "baseline"): ("0.324", "0.0215", "0.255"), ("segment", "+ clustering"): ("0.341", "0.0240", "0.262"),
    ("segment", "+ alignment reg."): ("0.402", "0.0248", "0.262"), ("song", "baseline"): ("0.315", "0.0129", "0.252"),
    ("song", "+ clustering"): ("0.346", "0.0175", "0.267"), ("song", "+ alignment reg."): ("0.400", "0.0202", "0.229"),
}


def test_synthetic_table_marks_every_cell_and_shows_the_papers_figures():
    results = {(t, m): {"segment": 0.5, "song": 0.25} for t in ("emotify", "mtg-jamendo", "cal500") for m in METHODS}
    chance = {t: {"segment": 0.1, "song": 0.1} for t in ("emotify", "mtg-jamendo", "cal500")}
    table = format_table(results, chance, DEFAULT_FOLDS, synthetic=True)
    lines = table.splitlines()
    assert lines[0] == ("| level | method | test Emotify (train MTG+CAL) | test MTG (train CAL+EMO) | "
                        "test CAL500 (train EMO+MTG) |")
    rows = [l for l in lines[2:] if l.startswith("| ")]
    assert len(rows) == 6
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        level, method, figures = cells[0], cells[1], cells[2:]
        want = PAPER_TABLE[(level, method)]
        ours = "0.5000" if level == "segment" else "0.2500"
        assert figures == [f"{ours} SYNTHETIC (paper {p})" for p in want], row
    real = format_table(results, chance, DEFAULT_FOLDS, synthetic=False)
    assert "SYNTHETIC" not in real and "(paper 0.402)" in real


def test_synthetic_run_reads_the_paper_layout():
    cfg = load_config("synthetic")
    data = rp.load_datasets(cfg, synthetic=True, seed=0)
    assert sorted(data) == sorted(NAMES)
    # read back from the paper's resources/input file names (data.load_paper_input), not built in memory
    want = {"mtg-jamendo": "mtg_train_source.npy", "cal500": "CAL500_source.npy", "emotify": "emotify_source.npy"}
    for name, d in data.items():
        files = [Path(f).name for pair in d.meta["files"].values() for f in pair]
        assert want[name] in files, d.meta
    assert math.isclose(train_config(cfg)["reg_lambda"], 2.5)


def test_split_rows_follow_a_split_chosen_by_the_data_layer(spaces):
    track = np.repeat(np.arange(4), 2)
    base = dict(features=np.zeros((8, 1)), track=track, track_labels=[[0]] * 4)
    tc = {"split": "paper-code", "oversample": {"emotify": 3}}
    d = dataset("emotify", spaces["emotify"], track_split=[0, 0, 1, 2], meta={"split": "tracks (80/10/10 per track)"},
                **base)
    assert split_rows(d, 0, tc, train=True)[0].tolist() == [0, 1, 2, 3] * 3  # its own split, u-fold
    assert split_rows(d, 2, tc)[0].tolist() == [6, 7]
    d = dataset("emotify", spaces["emotify"], track_split=[0, 0, 1, 2], meta={"split": "paper-exact (contiguous)"},
                **base)
    assert split_rows(d, 0, tc, train=True)[0].tolist() == [0, 1, 2, 3] * 9  # each read row read u**2 times


def test_paper_split_agrees_with_the_data_layers_contiguous_split():
    """The data layer's per-row split (data.paper_contiguous_split: a row takes the split of its first copy) and
    the samples here select the same rows, up to a row straddling a boundary."""
    from moodshelf_train.data import paper_contiguous_split

    for n, u in ((600, 2), (592, 3), (12589, 2), (2400, 3)):
        for exact in (False, True):
            per_row = paper_contiguous_split(n, u, exact=exact)
            for s in (0, 1, 2):
                feat, _ = paper_split_positions(n, u, s, double_division=exact)
                mine = set(feat.tolist())
                theirs = set(np.flatnonzero(per_row == s).tolist())
                assert len(mine ^ theirs) <= 2, (n, u, exact, s, sorted(mine ^ theirs)[:5])
