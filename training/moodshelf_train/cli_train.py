"""`reproduce` and `train` commands."""

import json
import sys
import time
from pathlib import Path

RUNS = Path(__file__).resolve().parents[1] / "runs"


def _features(pairs):
    """name=features.npy:index.json (paper layout) or name=folder (app export)."""
    out = {}
    for p in pairs or []:
        name, _, spec = p.partition("=")
        if not spec:
            sys.exit(f"--features expects name=path, got {p!r}")
        out[name] = tuple(spec.split(":", 1)) if ":" in spec else spec
    return out


def _reproduce(a):
    from .reproduce import load_config, reproduce

    cfg = load_config(a.config or ("synthetic" if a.synthetic else "paper"))
    if a.epochs:
        cfg.setdefault("train", {})["epochs"] = a.epochs
    if a.pack_config:
        cfg["pack"] = json.loads(Path(a.pack_config).read_text())
    if not a.synthetic and not a.features:
        sys.exit("reproduce needs --synthetic or --features name=features.npy:index.json ...")
    t = time.time()
    reproduce(cfg, synthetic=a.synthetic, features=_features(a.features), out_root=a.out, methods=a.methods,
              seed=a.seed, ddp=a.ddp, export=not a.no_export, clap_pack=a.clap_pack,
              clap_features=_features(a.clap_features) or None, clap_max_tracks=a.clap_max_tracks)
    print(f"wall time {time.time() - t:.1f}s")


def _evaluate_clap(a):
    from .clap_eval import evaluate_clap_folds
    from .reproduce import DEFAULT_FOLDS, format_table, load_config, load_datasets, vocab_label_spaces

    cfg = load_config(a.config or ("synthetic" if a.synthetic else "paper"))
    if not a.synthetic and not a.features:
        sys.exit("evaluate-clap needs --synthetic or --features name=embeds-or-waveforms.npy:index.json ...")
    seed = cfg.get("seed", 0) if a.seed is None else a.seed
    t = time.time()
    datasets = load_datasets(cfg, _features(a.features), a.synthetic, seed,
                             label_spaces=None if a.synthetic else vocab_label_spaces())
    folds = [f for f in cfg.get("folds", DEFAULT_FOLDS) if f[1] in datasets]
    split = a.split or cfg.get("eval", {}).get("split", "test")
    split = {"train": 0, "validation": 1, "test": 2, "all": None}[split]
    results, chance_rows = evaluate_clap_folds(a.pack, datasets, folds, split, a.max_tracks)
    table = format_table(results, chance_rows, folds)
    print("\nMacro F1, zero-shot on each held-out dataset" + (" -- SYNTHETIC data (chance-level by construction)" if a.synthetic else ""))
    print(table)
    if a.json:
        from .packs import write_json

        write_json(a.json, {"pack": a.pack, "split": a.split or cfg.get("eval", {}).get("split", "test"),
                            "max_tracks": a.max_tracks, "chance": chance_rows,
                            "folds": [{"test": k[0], **v} for k, v in results.items()], "table": table})
    print(f"wall time {time.time() - t:.1f}s")


def add_commands(sub):
    s = sub.add_parser("reproduce", help="leave-one-dataset-out table (paper protocol) + run folder + pack")
    s.add_argument("--synthetic", action="store_true", help="synthetic multi-dataset features (planted structure)")
    s.add_argument("--config", help="config JSON path or name in training/configs (default synthetic|paper)")
    s.add_argument("--features", nargs="*", metavar="NAME=PATH",
                   help="mtg-jamendo=feat.npy:index.json cal500=... emotify=... (paper layout) or name=export-folder")
    s.add_argument("--methods", nargs="*", choices=["baseline", "clustering", "alignment"])
    s.add_argument("--epochs", type=int)
    s.add_argument("--seed", type=int)
    s.add_argument("--out", default=str(RUNS), help="runs root (a run folder is created inside)")
    s.add_argument("--pack-config", help="JSON with the pack section (encoder / labelEncoder / id / version)")
    s.add_argument("--ddp", action="store_true", help="use torch.distributed even standalone (gloo, world size 1)")
    s.add_argument("--no-export", action="store_true")
    s.add_argument("--clap-pack", help="also score this CLAP pack zero-shot (row 'CLAP zero-shot')")
    s.add_argument("--clap-features", nargs="*", metavar="NAME=PATH",
                   help="CLAP audio embeddings [N, dim] or 48 kHz waveforms [N, samples] per dataset (paper layout); "
                        "default: the datasets above (synthetic: deterministic synthetic waveforms)")
    s.add_argument("--clap-max-tracks", type=int, help="score only the first N tracks of each held-out split")
    s.set_defaults(fn=_reproduce)

    s = sub.add_parser("evaluate-clap", help="score a CLAP pack zero-shot with the same splits and metrics (table row)")
    s.add_argument("--pack", required=True, help="pack folder of kind 'clap' (manifest.json + clap/)")
    s.add_argument("--synthetic", action="store_true",
                   help="synthetic datasets; every segment gets a deterministic synthetic waveform (plumbing only)")
    s.add_argument("--features", nargs="*", metavar="NAME=PATH",
                   help="mtg-jamendo=embeds.npy:index.json ... : [N, dim] CLAP audio embeddings or [N, samples] "
                        "waveforms at the pack's rate, aligned with the index")
    s.add_argument("--config", help="config JSON path or name in training/configs (default synthetic|paper)")
    s.add_argument("--split", choices=["train", "validation", "test", "all"], help="default: the config's eval.split")
    s.add_argument("--max-tracks", type=int, help="only the first N tracks of each held-out split (quick runs)")
    s.add_argument("--seed", type=int)
    s.add_argument("--json", help="write the results here")
    s.set_defaults(fn=_evaluate_clap)
