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
              seed=a.seed, ddp=a.ddp, export=not a.no_export)
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
    s.set_defaults(fn=_reproduce)
