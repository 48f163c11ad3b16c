"""Label clusters per fold against the paper's committed maps (data/paper/clusters/*.json, converted from
clusters/<A>_<B>/label_map.json of the paper's repo): the expected values are the paper's artefacts."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from moodshelf_train.clusters import (PAPER_COMMITTED_ONLY, assignments_json, cluster_lookup, fold_cluster_map,
                                      mean_shift_clusters)
from moodshelf_train.data import PAPER_DIR, load_label_embeddings

TRAINING = Path(__file__).resolve().parents[1]
FOLDS = {"mtg-jamendo+cal500": 42, "mtg-jamendo+emotify": 62, "cal500+emotify": 22}


def _paper(key):
    return json.loads((PAPER_DIR / "clusters" / f"{key}.json").read_text())


@pytest.fixture(scope="module")
def spaces():
    return load_label_embeddings()


@pytest.mark.parametrize("key", list(FOLDS))
def test_cli_prints_the_papers_map(key):
    a, b = key.split("+")
    r = subprocess.run([sys.executable, "-m", "moodshelf_train", "clusters", "--train", a, b, "--json"],
                       cwd=TRAINING, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    paper = _paper(key)
    assert out["assignments"] == paper["assignments"]
    assert out["clusters"] == paper["clusters"] == FOLDS[key]
    assert out["datasets"] == paper["datasets"]


def test_cli_order_of_train_does_not_matter():
    r = subprocess.run([sys.executable, "-m", "moodshelf_train", "clusters", "--train", "emotify", "mtg-jamendo", "--json"],
                       cwd=TRAINING, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["assignments"] == _paper("mtg-jamendo+emotify")["assignments"]
    bad = subprocess.run([sys.executable, "-m", "moodshelf_train", "clusters", "--train", "gtzan", "cal500"],
                         cwd=TRAINING, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "--train" in bad.stderr


def test_mtg_cal500_is_computed_by_mean_shift_and_identical(spaces):
    c = fold_cluster_map(["cal500", "mtg-jamendo"], spaces)
    assert c["method"] == "mean-shift" and c["quantile"] == 0.03 and c["nSamples"] == 73
    assert 0.7 < c["bandwidth"] < 0.85
    assert assignments_json(c) == _paper("mtg-jamendo+cal500")  # partition AND sklearn's numbering
    # centres: MeanShift's cluster_centers_ (what the paper's cluster_centers.npz holds), row k = cluster k
    X = np.concatenate([spaces["mtg-jamendo"].expanded, spaces["cal500"].expanded])
    lab = np.array(c["assignments"]["mtg-jamendo"] + c["assignments"]["cal500"])
    assert c["centers"].shape == (42, 384)
    for k in range(42):  # a centre lies within the bandwidth of its members' mean
        assert np.linalg.norm(c["centers"][k] - X[lab == k].mean(0)) < c["bandwidth"]
        np.testing.assert_allclose(c["meanCenters"][k], X[lab == k].mean(0), atol=1e-6)


@pytest.mark.parametrize("key", PAPER_COMMITTED_ONLY)
def test_emotify_folds_come_from_the_committed_maps(spaces, key):
    names = key.split("+")
    c = fold_cluster_map(names[::-1], spaces)
    assert c["method"] == "paper-committed" and c["bandwidth"] is None and c["nClusters"] == FOLDS[key]
    assert assignments_json(c) == _paper(key)
    # recomputing collapses (the reason for the committed maps): every label alone or nearly so
    ms = fold_cluster_map(names, spaces, source="mean-shift")
    assert ms["bandwidth"] < 1e-6 and ms["nClusters"] != FOLDS[key]
    # centres: one member's expanded vector each (singletons: their own)
    X = np.concatenate([spaces[n].expanded for n in names])
    lab = np.array(sum((c["assignments"][n] for n in names), []))
    for k in range(c["centers"].shape[0]):
        members = X[lab == k]
        assert np.min(np.linalg.norm(members - c["centers"][k], axis=1)) < 1e-6


def test_lookup_and_three_dataset_map(spaces):
    c = fold_cluster_map(["mtg-jamendo", "emotify"], spaces)
    look = cluster_lookup(c)
    assert look[("mtg-jamendo", "sad")] == look[("emotify", "sadness")] == 4  # merged in the paper's map
    all3 = fold_cluster_map(["emotify", "cal500", "mtg-jamendo"], spaces)
    assert all3["method"] == "mean-shift" and all3["datasets"] == ["mtg-jamendo", "cal500", "emotify"]
    assert all3["quantile"] == 0.03 and all3["nSamples"] == 82 and 20 < all3["nClusters"] < 82


def test_mean_shift_clusters_keeps_callers_order(spaces):
    c = mean_shift_clusters([("mtg-jamendo", spaces["mtg-jamendo"]), ("cal500", spaces["cal500"])], 0.03, 73)
    assert c["assignments"]["mtg-jamendo"] == [a["cluster"] for a in _paper("mtg-jamendo+cal500")["assignments"][:56]]
    assert c["nClusters"] == 42 and c["centers"].dtype == np.float32
