#!/usr/bin/env python3
"""scikit-learn references for the TypeScript mean shift in src/core/labels/, and a cross-check.

    pip install scikit-learn numpy
    python3 scripts/compare-mean-shift.py           # (re)write tests/fixtures/labels/mean-shift-reference.json
    python3 scripts/compare-mean-shift.py --check   # also run the TypeScript port and compare with sklearn

The reference holds numpy RandomState permutations and raw MT19937 draws, numpy pairwise sums, sklearn's
estimate_bandwidth + MeanShift results (bandwidth, centers, labels) for the paper's MTG-Jamendo + CAL500 label
set and for small random data sets, and sklearn PCA(2) coordinates. The paper's input vectors are read from
data/paper/label-embeddings.json (vendored in the repo, see data/paper/README.md); the reference stores only
what sklearn computed from them.

--check runs `npx tsx tests/support/mean-shift-cli.ts` on the same inputs and requires, for every set, the
bandwidth within 1e-9 relative and the same partition up to renaming of the clusters (for sets whose estimate
collapses to ~0 under sklearn's GEMM distances, only that both estimates collapse).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import sklearn
from sklearn.cluster import MeanShift, estimate_bandwidth
from sklearn.decomposition import PCA

ROOT = Path(__file__).resolve().parent.parent
PAPER = ROOT / "data" / "paper" / "label-embeddings.json"
OUT = ROOT / "tests" / "fixtures" / "labels" / "mean-shift-reference.json"
DEGENERATE = 1e-6
# The paper's code (AMAAI-Lab scripts/mean_shift.py): estimate_bandwidth(X, quantile=0.03, n_samples=73) for
# MTG-Jamendo + CAL500 with sklearn's default random_state=0, then MeanShift(bandwidth=bw).fit(X).
PAPER_SET = {"datasets": ["mtg-jamendo", "cal500"], "quantile": 0.03, "nSamples": 73, "randomState": 0}
PAPER_COLLAPSED = [
    {"datasets": ["mtg-jamendo", "emotify"], "quantile": 0.025, "nSamples": 65},
    {"datasets": ["cal500", "emotify"], "quantile": 0.04, "nSamples": 26},
]


def f32(x: np.ndarray) -> np.ndarray:
    """Round to float32-representable values (kept as float64) so the JSON stays short and exact."""
    return x.astype(np.float32).astype(np.float64)


def sklearn_algorithm(n_fit: int, dims: int, n_neighbors: int | None = None) -> str:
    if dims > 15 or (n_neighbors is not None and n_neighbors >= n_fit // 2):
        return "brute"
    return "kd_tree"


def run_sklearn(X: np.ndarray, quantile: float, n_samples, random_state: int, bin_seeding=False, cluster_all=True) -> dict:
    bw = float(estimate_bandwidth(X, quantile=quantile, n_samples=n_samples, random_state=random_state))
    out = {"bandwidth": bw}
    try:
        ms = MeanShift(bandwidth=bw, bin_seeding=bin_seeding, cluster_all=cluster_all).fit(X)
        out.update(labels=ms.labels_.tolist(), centers=ms.cluster_centers_.tolist(), nIter=int(ms.n_iter_))
    except ValueError as err:
        out["error"] = str(err)
    return out


def pca_coordinates(X: np.ndarray) -> list:
    return PCA(n_components=2).fit_transform(X).tolist()


def paper_matrix(data: dict, names: list[str]) -> tuple[list[str], np.ndarray]:
    labels = [label for name in names for label in data[name]["labels"]]
    X = np.array([v for name in names for v in data[name]["expanded"]], dtype=np.float64)
    return labels, X


def paper_reference() -> dict:
    data = json.loads(PAPER.read_text())
    labels, X = paper_matrix(data, PAPER_SET["datasets"])
    ref = run_sklearn(X, PAPER_SET["quantile"], PAPER_SET["nSamples"], PAPER_SET["randomState"])
    as32 = run_sklearn(X.astype(np.float32), PAPER_SET["quantile"], PAPER_SET["nSamples"], PAPER_SET["randomState"])
    collapsed = []
    for c in PAPER_COLLAPSED:
        _, Xc = paper_matrix(data, c["datasets"])
        bw = float(estimate_bandwidth(Xc, quantile=c["quantile"], n_samples=c["nSamples"], random_state=0))
        collapsed.append({**c, "n": len(Xc), "sklearnBandwidth": bw})
    return {
        "source": "data/paper/label-embeddings.json (expanded vectors, MTG-Jamendo then CAL500)",
        **PAPER_SET,
        "names": labels,
        "n": int(X.shape[0]),
        "dims": int(X.shape[1]),
        **ref,
        "nClusters": len(ref["centers"]),
        "float32": {"bandwidth": as32["bandwidth"], "nClusters": len(as32["centers"]), "labels": as32["labels"]},
        "pca": pca_coordinates(X),
        "collapsedPairs": collapsed,
    }


def blobs(rng: np.random.Generator, n: int, dims: int, k: int, spread: float) -> np.ndarray:
    centers = rng.uniform(-5, 5, size=(k, dims))
    which = rng.integers(0, k, size=n)
    return centers[which] + rng.normal(scale=spread, size=(n, dims))


def make_random_sets() -> list[dict]:
    rng = np.random.default_rng(20241015)
    specs = [
        # (kind, n, dims, quantile, nSamples, randomState, extra)
        ("blobs", 40, 2, 0.3, None, 0, {}),
        ("blobs", 60, 3, 0.2, 40, 0, {}),
        ("blobs", 80, 5, 0.1, None, 0, {}),
        ("blobs", 50, 8, 0.3, 30, 42, {}),
        ("blobs", 70, 12, 0.2, None, 0, {}),
        ("blobs", 60, 16, 0.1, 50, 7, {}),
        ("blobs", 90, 24, 0.05, None, 0, {}),
        ("blobs", 50, 32, 0.2, 45, 123, {}),
        ("blobs", 40, 64, 0.3, None, 0, {}),
        ("blobs", 30, 48, 0.1, 100, 0, {}),
        ("uniform", 30, 2, 0.3, None, 0, {}),
        ("uniform", 50, 3, 0.2, 25, 1, {}),
        ("uniform", 40, 6, 0.5, None, 0, {}),
        ("uniform", 35, 20, 0.3, None, 0, {}),
        ("uniform", 25, 40, 0.4, 20, 99, {}),
        ("sphere", 45, 24, 0.1, None, 3, {}),
        ("sphereblobs", 73, 32, 0.03, 73, 0, {}),
        ("sphereblobs", 60, 64, 0.05, 50, 0, {}),
        ("sphereblobs", 80, 48, 0.1, 60, 11, {}),
        ("blobs", 100, 2, 0.1, 60, 0, {"binSeeding": True}),
        ("blobs", 80, 3, 0.2, None, 0, {"binSeeding": True}),
        ("uniform", 60, 2, 0.05, None, 0, {"clusterAll": False}),
        ("blobs", 50, 20, 0.05, None, 0, {"clusterAll": False}),
        ("blobs", 12, 4, 0.5, None, 0, {}),
        ("blobs", 1000, 2, 0.05, 120, 5, {}),
        # int(n * quantile) = 1: the estimate collapses (exactly 0 on sklearn's KD-tree, ~1e-8 noise on brute force)
        ("blobs", 30, 3, 0.04, None, 0, {}),
        ("sphere", 26, 32, 0.04, 26, 0, {}),
    ]
    sets = []
    for i, (kind, n, dims, quantile, n_samples, seed, extra) in enumerate(specs):
        if kind == "blobs":
            X = blobs(rng, n, dims, int(rng.integers(2, 6)), float(rng.uniform(0.3, 1.0)))
        elif kind == "uniform":
            X = rng.uniform(0, 1, size=(n, dims))
        elif kind == "sphere":
            X = rng.normal(size=(n, dims))
            X /= np.linalg.norm(X, axis=1, keepdims=True)
        else:  # unit vectors around a few directions, like sentence embeddings of related labels
            X = blobs(rng, n, dims, int(rng.integers(3, 9)), float(rng.uniform(0.5, 1.5)))
            X /= np.linalg.norm(X, axis=1, keepdims=True)
        X = f32(X)
        ref = run_sklearn(X, quantile, n_samples, seed, extra.get("binSeeding", False), extra.get("clusterAll", True))
        sampled = min(n, n_samples) if n_samples is not None else n
        k = max(1, int(sampled * quantile))
        entry = {
            "id": f"{i:02d}-{kind}-n{n}-d{dims}",
            "kind": kind,
            "quantile": quantile,
            "nSamples": n_samples,
            "randomState": seed,
            "binSeeding": extra.get("binSeeding", False),
            "clusterAll": extra.get("clusterAll", True),
            "neighbours": k,
            "sklearnAlgorithm": sklearn_algorithm(sampled, dims, k),
            "degenerate": ref["bandwidth"] <= DEGENERATE,
            "X": X.tolist(),
            **ref,
        }
        if i in (0, 7, 17):
            entry["pca"] = pca_coordinates(X)
        sets.append(entry)
    return sets


def numpy_references() -> dict:
    perms = []
    for seed in (0, 1, 42, 12345, 2**31, 2**32 - 1):
        for n in (0, 1, 2, 3, 10, 26, 65, 73, 82, 257, 1000):
            perms.append({"seed": seed, "n": n, "permutation": np.random.RandomState(seed).permutation(n).tolist()})
    draws = [
        {"seed": s, "values": np.random.RandomState(s).randint(0, 2**32, size=1300, dtype=np.uint64).tolist()}
        for s in (0, 5489)
    ]
    rng = np.random.default_rng(7)
    sums = []
    for n in (1, 7, 8, 9, 15, 16, 17, 100, 128, 129, 300, 1000, 4097):
        values = (rng.normal(size=n) * 10.0 ** rng.uniform(-3, 3, size=n)).tolist()
        sums.append({"values": values, "sum": float(np.sum(np.array(values)))})
    return {"permutations": perms, "uint32": draws, "pairwiseSums": sums}


def build() -> dict:
    return {
        "generator": {
            "script": "scripts/compare-mean-shift.py",
            "python": platform.python_version(),
            "numpy": np.__version__,
            "sklearn": sklearn.__version__,
        },
        "numpy": numpy_references(),
        "paper": paper_reference(),
        "random": make_random_sets(),
    }


def same_partition(a: list[int], b: list[int]) -> bool:
    if len(a) != len(b):
        return False
    fwd: dict[int, int] = {}
    back: dict[int, int] = {}
    for x, y in zip(a, b):
        if (x == -1) != (y == -1) or fwd.setdefault(x, y) != y or back.setdefault(y, x) != x:
            return False
    return True


def run_typescript(cases: list[dict]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.json"
        path.write_text(json.dumps({"cases": cases}))
        proc = subprocess.run(
            ["npx", "tsx", "tests/support/mean-shift-cli.ts", str(path)], cwd=ROOT, capture_output=True, text=True, check=True
        )
    return {r["id"]: r for r in json.loads(proc.stdout)["results"]}


def compare_one(ref: dict, ts: dict) -> tuple[bool, str]:
    if ref.get("degenerate") and not (ref["bandwidth"] == 0 and ts["estimatedBandwidth"] == 0):
        ok = ref["bandwidth"] <= DEGENERATE and ts["estimatedBandwidth"] <= DEGENERATE
        return ok, f"collapsed: sklearn {ref['bandwidth']:.3e}, TS {ts['estimatedBandwidth']:.3e}"
    rel = abs(ts["estimatedBandwidth"] - ref["bandwidth"]) / max(abs(ref["bandwidth"]), 1e-300)
    if "error" in ref or "error" in ts:
        ok = ("error" in ref) == ("error" in ts) and rel <= 1e-9
        return ok, f"error sklearn={ref.get('error')!r} TS={ts.get('error')!r}"
    part = same_partition(ref["labels"], ts["labels"])
    exact = ref["labels"] == ts["labels"]
    dc = max((abs(a - b) for ra, rb in zip(ref["centers"], ts["centers"]) for a, b in zip(ra, rb)), default=0.0)
    ok = rel <= 1e-9 and part and len(ref["centers"]) == len(ts["centers"])
    return ok, f"bw rel {rel:.1e}, clusters {len(ref['centers'])}/{len(ts['centers'])}, partition {part}, labels identical {exact}, max |dcenter| {dc:.1e}"


def check(reference: dict) -> bool:
    paper = reference["paper"]
    _, X = paper_matrix(json.loads(PAPER.read_text()), paper["datasets"])
    cases = [
        {"id": "paper", "X": X.tolist(), "quantile": paper["quantile"], "nSamples": paper["nSamples"], "randomState": 0, "pca": True}
    ]
    for s in reference["random"]:
        cases.append({k: s[k] for k in ("id", "X", "quantile", "nSamples", "randomState", "binSeeding", "clusterAll")})
    ts = run_typescript(cases)
    all_ok = True
    ok, detail = compare_one(paper, ts["paper"])
    pca_diff = max(abs(a - b) for ra, rb in zip(paper["pca"], ts["paper"]["pca"]) for a, b in zip(ra, rb))
    print(f"paper MTG-Jamendo+CAL500 (n={paper['n']}, quantile {paper['quantile']}, n_samples {paper['nSamples']}):")
    same32 = same_partition(paper["labels"], paper["float32"]["labels"])
    print(f"  sklearn: bandwidth {paper['bandwidth']!r}, {paper['nClusters']} clusters")
    print(f"  sklearn on float32 input (the paper's npz dtype): {paper['float32']['nClusters']} clusters, same partition {same32}")
    print(f"  TS:      bandwidth {ts['paper']['estimatedBandwidth']!r}, {len(ts['paper']['centers'])} clusters")
    print(f"  {'OK ' if ok else 'BAD'} {detail}; PCA max |diff| {pca_diff:.1e}")
    all_ok &= ok and pca_diff <= 1e-6
    for c in paper["collapsedPairs"]:
        print(f"  {'+'.join(c['datasets'])} (quantile {c['quantile']}, n_samples {c['nSamples']}): sklearn bandwidth {c['sklearnBandwidth']:.3e} (collapsed)")
    n_ok = 0
    for s in reference["random"]:
        ok, detail = compare_one(s, ts[s["id"]])
        n_ok += ok
        all_ok &= ok
        print(f"  {'OK ' if ok else 'BAD'} {s['id']} ({s['sklearnAlgorithm']}): {detail}")
    print(f"random sets: {n_ok}/{len(reference['random'])} identical partitions and bandwidths")
    return all_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="also run the TypeScript port and compare")
    args = parser.parse_args()
    reference = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(reference, separators=(",", ":")) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.2f} MB)")
    if args.check:
        return 0 if check(reference) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
