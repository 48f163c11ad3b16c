"""Leave-one-dataset-out protocol (train on two, zero-shot on the third), the paper's table beside ours,
and a run folder with config, metrics and a pack."""

import json
import time
from datetime import datetime
from pathlib import Path

from . import dist
from .packexport import export_pack
from .packs import pack_size, write_json
from .synthetic import make_synthetic
from .train import METHODS, SPLITS, chance, evaluate, split_rows, train_config, train_head

PAPER = {  # macro F1 from the paper (data/paper/README.md)
    ("segment", "baseline"): {"emotify": 0.324, "mtg-jamendo": 0.0215, "cal500": 0.255},
    ("segment", "clustering"): {"emotify": 0.341, "mtg-jamendo": 0.0240, "cal500": 0.262},
    ("segment", "alignment"): {"emotify": 0.402, "mtg-jamendo": 0.0248, "cal500": 0.262},
    ("song", "baseline"): {"emotify": 0.315, "mtg-jamendo": 0.0129, "cal500": 0.252},
    ("song", "clustering"): {"emotify": 0.346, "mtg-jamendo": 0.0175, "cal500": 0.267},
    ("song", "alignment"): {"emotify": 0.400, "mtg-jamendo": 0.0202, "cal500": 0.229},
}
METHOD_NAMES = {"baseline": "baseline", "clustering": "+ clustering", "alignment": "+ alignment reg.",
                "clap": "CLAP zero-shot"}
TABLE_ROWS = list(METHODS) + ["clap"]  # "clap": a CLAP pack scored zero-shot (clap_eval.py), no paper numbers
SHORT = {"mtg-jamendo": "MTG", "cal500": "CAL", "emotify": "EMO"}
# The paper's folds, training datasets in its order (conf/cluster/<A>_<B>.yaml: combine_train_datasets; the
# first one is the scheduler's monitor and dataset A of the cluster map); columns as the paper's table.
DEFAULT_FOLDS = [[["mtg-jamendo", "cal500"], "emotify"], [["cal500", "emotify"], "mtg-jamendo"],
                 [["mtg-jamendo", "emotify"], "cal500"]]
PAPER_COLUMNS = {"emotify": "test Emotify (train MTG+CAL)", "mtg-jamendo": "test MTG (train CAL+EMO)",
                 "cal500": "test CAL500 (train EMO+MTG)"}
CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"


def load_config(path_or_name):
    p = Path(path_or_name)
    if not p.exists():
        p = CONFIG_DIR / f"{path_or_name}.json"
    return json.loads(p.read_text())


def load_datasets(cfg, features=None, synthetic=False, seed=0, label_spaces=None):
    """features: {dataset: (features.npy, index) | "features.npy:index.npy" | folder} (the paper's layout, or an
    app export). Synthetic data is written in the paper's layout and read back with the same readers
    (synthetic.make_synthetic). CAL500 / Emotify are read with the data layer's split (default "paper": every row,
    in file order), and the training config's `split` decides which rows each split's samples read
    (train.split_rows)."""
    if synthetic:
        return make_synthetic(cfg.get("synthetic"), seed=seed)
    from . import data

    out = {}
    for name, spec in (features or {}).items():
        if hasattr(data, "load_dataset_spec"):
            out[name] = data.load_dataset_spec(name, spec, label_spaces=label_spaces,
                                               label_encoder=cfg.get("label_encoder"))
        elif isinstance(spec, (list, tuple)):
            out[name] = data.load_paper_dataset(name, spec[0], spec[1], label_spaces=label_spaces)
        else:
            out[name] = data.load_app_export(spec, name=name, label_encoder=cfg.get("label_encoder"))
    return out


def vocab_label_spaces():
    """Label spaces for CLAP-only evaluation: the paper's label-embeddings.json, vendored in data/paper/ (the labels
    are the built-in vocabularies' strings; CLAP embeds the label texts itself)."""
    from .data import load_label_embeddings

    return load_label_embeddings()


def column_title(train_names, test):
    if test in PAPER_COLUMNS and sorted(train_names) == sorted(n for f, t in DEFAULT_FOLDS if t == test for n in f):
        return PAPER_COLUMNS[test]
    return f"test {SHORT.get(test, test)} (train {'+'.join(SHORT.get(n, n) for n in train_names)})"


def format_table(results, chance_rows=None, folds=DEFAULT_FOLDS, synthetic=False):
    """The paper's six-row table (segment and song level x baseline, + clustering, + alignment reg.; one column
    per held-out dataset), our figure with the paper's beside it. synthetic=True marks EVERY cell SYNTHETIC.
    A CLAP row is added when there are CLAP results; chance figures go below the table."""
    tests = [f[1] for f in folds]
    mark = " SYNTHETIC" if synthetic else ""
    lines = ["| level | method | " + " | ".join(column_title(f[0], f[1]) for f in folds) + " |",
             "|" + "---|" * (2 + len(tests))]
    rows = list(METHODS) + (["clap"] if any((t, "clap") in results for t in tests) else [])
    for level in ("segment", "song"):
        for method in rows:
            cells = []
            for t in tests:
                r = results.get((t, method))
                ours = f"{r[level]:.4f}{mark}" if r else "-"
                paper = PAPER.get((level, method), {}).get(t)
                cells.append(f"{ours} (paper {paper:#.3g})" if paper is not None else ours)
            lines.append(f"| {level} | {METHOD_NAMES[method]} | " + " | ".join(cells) + " |")
    if chance_rows:
        lines.append("")
        for level in ("segment", "song"):
            lines.append(f"Chance ({level} level, random scores on the same samples): " + ", ".join(
                f"{SHORT.get(t, t)} {chance_rows[t][level]:.4f}" for t in tests if t in chance_rows))
    return "\n".join(lines)


def table_title(synthetic):
    if synthetic:
        return ("Macro F1, zero-shot on the held-out dataset -- SYNTHETIC data: every figure marked SYNTHETIC comes "
                "from synthetic features and says nothing about the method; the paper's figure is beside it")
    return "Macro F1, zero-shot on the held-out dataset (ours, the paper's beside it)"


def reproduce(cfg, synthetic=False, features=None, out_root="runs", methods=None, seed=None, ddp=False,
              export=True, log=print, clap_pack=None, clap_features=None, clap_max_tracks=None):
    rank, world, active = dist.setup(force=ddp)
    main = rank == 0
    say = log if main else (lambda *_: None)
    seed = cfg.get("seed", 0) if seed is None else seed
    t0 = time.time()
    datasets = load_datasets(cfg, features, synthetic, seed)
    tc = train_config(cfg)
    folds = cfg.get("folds", DEFAULT_FOLDS)
    folds = [f for f in folds if all(n in datasets for n in f[0]) and f[1] in datasets]
    methods = methods or cfg.get("methods", list(METHODS))
    split = SPLITS[cfg.get("eval", {}).get("split", "test")]
    run = Path(out_root) / f"{cfg.get('name', 'run')}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    if main:
        run.mkdir(parents=True, exist_ok=True)
        write_json(run / "config.json", {**cfg, "seed": seed, "synthetic": synthetic, "world_size": world,
                                         "features": {k: list(v) if isinstance(v, tuple) else v for k, v in (features or {}).items()}})
    results, metrics, chance_rows = {}, {"folds": [], "world_size": world, "synthetic": synthetic}, {}
    # the paper keeps the epoch with the lowest MTG-Jamendo validation triplet loss in every fold
    select_on = datasets.get("mtg-jamendo")
    for train_names, test in folds:
        d_test = datasets[test]
        test_rows = split_rows(d_test, split, tc)
        chance_rows[test] = chance(d_test, split, rows=test_rows)
        for method in methods:
            say(f"[{'+'.join(train_names)} -> {test}] {method}")
            head, clusters, info = train_head(cfg, [datasets[n] for n in train_names], method, test, seed,
                                              log=say, dist_info=(rank, world, active), select_on=select_on)
            # held-out scoring: the held-out vocabulary's EXPANDED vectors, in every configuration
            r = evaluate(head, d_test, cfg["layers"], split, embeddings="expanded", rows=test_rows)
            results[(test, method)] = r
            say(f"  zero-shot {test}: segment F1 {r['segment']:.4f}  song F1 {r['song']:.4f}  ({info['seconds']:.1f}s)")
            metrics["folds"].append({"train": train_names, "test": test, "method": method, **r,
                                     "embeddings": "expanded", "selected_epoch": info["selected_epoch"],
                                     "selected_on": info["selected_on"], "best_val_f1": info["best_val_f1"],
                                     "epochs": info["epochs"], "seconds": info["seconds"], "combine": info["combine"],
                                     "targets": info["targets"], "train_segments": info["train_segments"],
                                     "clusters": None if clusters is None else {
                                         "n": clusters["nClusters"], "method": clusters.get("method"),
                                         "bandwidth": clusters.get("bandwidth")},
                                     "history": info["history"]})
    if clap_pack and main:
        from .clap_eval import evaluate_clap_folds

        say(f"[CLAP zero-shot] {clap_pack}")
        cdata = load_datasets(cfg, clap_features, False, seed, label_spaces=vocab_label_spaces()) if clap_features else datasets
        cfolds = [f for f in folds if f[1] in cdata]
        cres, _ = evaluate_clap_folds(clap_pack, cdata, cfolds, split, clap_max_tracks, log=say, tc=tc)
        results.update(cres)
        metrics["clap"] = {"pack": str(clap_pack), "max_tracks": clap_max_tracks,
                           "folds": [{"test": t, **r} for (t, _), r in cres.items()]}
    table = format_table(results, chance_rows, folds, synthetic)
    metrics["chance"] = chance_rows
    metrics["table"] = table
    if export and main:
        ex = cfg.get("export", {})
        names = [n for n in ex.get("train_on", list(datasets)) if n in datasets]
        method = ex.get("method", "alignment")
        say(f"[final] training {method} on {'+'.join(names)} for the pack")
        head, clusters, info = train_head(cfg, [datasets[n] for n in names], method, None, seed, log=say,
                                          select_on=select_on)
        hidden = datasets[names[0]].features.shape[-1]
        manifest, diff = export_pack(run / "pack", head, info["input_dim"], info["output_dim"], cfg.get("pack", {}),
                                     cfg["layers"], hidden, clusters,
                                     f"Head ({cfg.get('head', {}).get('type', 'mlp')}, {method}) trained on "
                                     f"{'+'.join(names)}{' (SYNTHETIC features)' if synthetic else ''}.", names)
        metrics["pack"] = {"path": str(run / "pack"), "bytes": pack_size(run / "pack"), "parity_max_abs_diff": diff,
                           "in_domain": {n: evaluate(head, datasets[n], cfg["layers"], 2, tc=tc) for n in names}}
        say(f"pack: {run / 'pack'} ({pack_size(run / 'pack') / 1e6:.2f} MB, head ONNX parity max abs diff {diff:.2e})")
    metrics["seconds"] = time.time() - t0
    if main:
        write_json(run / "metrics.json", metrics)
        (run / "table.md").write_text(f"{table_title(synthetic)}\n\n{table}\n")
        say("\n" + table_title(synthetic))
        say(table)
        say(f"\nrun folder: {run}  total {metrics['seconds']:.1f}s")
    if ddp:
        dist.teardown()
    return results, metrics, run
