"""`reproduce`, `evaluate-clap`, `clusters` and `device-check` commands."""

import json
import sys
import time
from pathlib import Path

RUNS = Path(__file__).resolve().parents[1] / "runs"


def _features(pairs):
    """name=features.npy:index.npy (paper layout; `{split}` in both paths = MTG-Jamendo's per-split files) or
    name=folder (the paper's resources/input folder, or an app export)."""
    out = {}
    for p in pairs or []:
        name, _, spec = p.partition("=")
        if not spec:
            sys.exit(f"--features expects name=path, got {p!r}")
        out[name] = tuple(spec.split(":", 1)) if ":" in spec else spec
    return out


def _paper_input(a, features):
    """--paper-input DIR: the paper's resources/input folder for every built-in dataset whose files are there."""
    if not getattr(a, "paper_input", None):
        return features
    from .data import PAPER_INPUT_FILES, is_paper_input_dir

    found = [n for n in PAPER_INPUT_FILES if is_paper_input_dir(a.paper_input, n)]
    if not found:
        sys.exit(f"--paper-input {a.paper_input}: none of the paper's input files (mtg_train_source.npy, "
                 "CAL500_source.npy, emotify_source.npy, ... with their *_index.npy)")
    return {**{n: a.paper_input for n in found}, **features}


def _apply_data_options(a, cfg):
    """--paper-dir / --annotations / --label-embeddings / --split-mode: process-wide (data.configure_paper_data) and
    recorded in cfg["data"]."""
    from .data import configure_paper_data

    d = cfg.setdefault("data", {})
    for k, attr in (("paper_dir", "paper_dir"), ("annotations", "annotations"),
                    ("label_embeddings", "label_embeddings"), ("split", "split_mode")):
        v = getattr(a, attr, None)
        if v:
            d[k] = v
    configure_paper_data(d.get("paper_dir"), d.get("annotations"), d.get("label_embeddings"), d.get("split"))


def _apply_runtime_options(a, cfg, out_root, seed):
    """--device / --precision / --workers / --checkpoint-dir / --resume / --no-checkpoints into cfg["runtime"] (read
    by the trainer through runtime.Runtime.from_config) and the distributed backend choice (dist.configure)."""
    from . import dist
    from .runtime import resolve_device, resolve_precision

    rc = cfg.setdefault("runtime", {})
    for k in ("device", "precision", "workers"):
        v = getattr(a, k, None)
        if v is not None:
            rc[k] = v
    rc.setdefault("device", "auto")
    rc.setdefault("precision", "auto")
    rc.setdefault("workers", 0)
    try:  # fail early, with a clear message, on e.g. --device cuda without a GPU
        dev = resolve_device(rc["device"])
        resolve_precision(rc["precision"], dev)
    except RuntimeError as e:
        sys.exit(str(e))
    if getattr(a, "no_checkpoints", False):
        rc["checkpoint_dir"] = None
    else:
        rc["checkpoint_dir"] = str(a.checkpoint_dir or Path(out_root) / "checkpoints" / f"{cfg.get('name', 'run')}-seed{seed}")
    rc["resume"] = bool(getattr(a, "resume", False))
    if rc["resume"] and not rc["checkpoint_dir"]:
        sys.exit("--resume needs checkpoints (drop --no-checkpoints)")
    dist.configure(rc["device"])


def _reproduce(a):
    from .reproduce import load_config, reproduce

    cfg = load_config(a.config or ("synthetic" if a.synthetic else "paper"))
    if a.epochs:
        cfg.setdefault("train", {})["epochs"] = a.epochs
    if a.pack_config:
        cfg["pack"] = json.loads(Path(a.pack_config).read_text())
    features = _paper_input(a, _features(a.features))
    if not a.synthetic and not features:
        sys.exit("reproduce needs --synthetic, --paper-input DIR or --features name=features.npy:index.npy ...")
    seed = cfg.get("seed", 0) if a.seed is None else a.seed
    _apply_data_options(a, cfg)
    _apply_runtime_options(a, cfg, a.out, seed)
    t = time.time()
    reproduce(cfg, synthetic=a.synthetic, features=features, out_root=a.out, methods=a.methods,
              seed=a.seed, ddp=a.ddp, export=not a.no_export, clap_pack=a.clap_pack,
              clap_features=_features(a.clap_features) or None, clap_max_tracks=a.clap_max_tracks)
    print(f"wall time {time.time() - t:.1f}s")


def _clusters(a):
    from .clusters import assignments_json, fold_cluster_map
    from .data import configure_paper_data, load_label_embeddings
    from .vocab import VOCABULARIES

    bad = [n for n in a.train if n not in VOCABULARIES]
    if bad or len(set(a.train)) != len(a.train):
        sys.exit(f"--train takes distinct dataset names of {', '.join(VOCABULARIES)}; got {' '.join(a.train)}")
    configure_paper_data(a.paper_dir, None, a.label_embeddings)
    spaces = load_label_embeddings()
    c = fold_cluster_map(a.train, spaces, quantile=a.quantile, n_samples=a.n_samples, source=a.source)
    out = assignments_json(c)
    if a.json:
        print(json.dumps(out, indent=1 if a.pretty else None))
        return
    bw = "committed map (not recomputed)" if c["bandwidth"] is None else f"bandwidth {c['bandwidth']:.6g}"
    print(f"{' + '.join(c['datasets'])}: {c['nClusters']} clusters over {len(out['assignments'])} labels "
          f"({c['method']}, quantile {c['quantile']}, n_samples {c['nSamples']}, {bw})")
    by = {}
    for r in out["assignments"]:
        by.setdefault(r["cluster"], []).append(f"{r['dataset']}:{r['label']}")
    for k in sorted(by):
        print(f"  {k:3d}: {' | '.join(by[k])}")


def _device_check(a):
    from .device_check import device_check

    sys.exit(device_check(a))


def _evaluate_clap(a):
    from .clap_eval import evaluate_clap_folds
    from .reproduce import DEFAULT_FOLDS, format_table, load_config, load_datasets, vocab_label_spaces
    from .train import train_config

    cfg = load_config(a.config or ("synthetic" if a.synthetic else "paper"))
    features = _paper_input(a, _features(a.features))
    if not a.synthetic and not features:
        sys.exit("evaluate-clap needs --synthetic or --features name=embeds-or-waveforms.npy:index.npy ...")
    seed = cfg.get("seed", 0) if a.seed is None else a.seed
    _apply_data_options(a, cfg)
    t = time.time()
    datasets = load_datasets(cfg, features, a.synthetic, seed,
                             label_spaces=None if a.synthetic else vocab_label_spaces())
    folds = [f for f in cfg.get("folds", DEFAULT_FOLDS) if f[1] in datasets]
    split = a.split or cfg.get("eval", {}).get("split", "test")
    split = {"train": 0, "validation": 1, "test": 2, "all": None}[split]
    # the trainer's split settings (train.split mode, split_ratios, oversample), so the CLAP row scores the same
    # samples as the heads' rows of `reproduce` with this config
    results, chance_rows = evaluate_clap_folds(a.pack, datasets, folds, split, a.max_tracks, tc=train_config(cfg))
    table = format_table(results, chance_rows, folds)
    print("\nMacro F1, zero-shot on each held-out dataset" + (" -- SYNTHETIC data (chance-level by construction)" if a.synthetic else ""))
    print(table)
    if a.json:
        from .packs import write_json

        write_json(a.json, {"pack": a.pack, "split": a.split or cfg.get("eval", {}).get("split", "test"),
                            "max_tracks": a.max_tracks, "chance": chance_rows,
                            "folds": [{"test": k[0], **v} for k, v in results.items()], "table": table})
    print(f"wall time {time.time() - t:.1f}s")


def _make_clap_pack(a):
    from .clap import make_real_size_clap, make_tiny_clap
    from .packs import pack_size

    t = time.time()
    seed = {} if a.seed is None else {"seed": a.seed}  # default: each generator's own seed (tiny-clap's is 5)
    if a.real_size:
        m, n = make_real_size_clap(a.out, **seed)
        print(f"wrote {a.out}: {pack_size(a.out) / 1e6:.1f} MB, audio tower {n['audio'] / 1e6:.1f} M parameters, "
              f"text tower {n['text'] / 1e6:.1f} M, {time.time() - t:.0f}s")
    else:
        make_tiny_clap(a.out, **seed)
        print(f"wrote {a.out}: {pack_size(a.out) / 1e3:.1f} kB (tiny), {time.time() - t:.0f}s")


def _make_label_encoder(a):
    from .minilm import build_minilm_random

    t = time.time()
    dim, n = build_minilm_random(a.out, seed=a.seed)
    print(f"wrote {a.out}: {dim}-d, {n / 1e6:.1f} M parameters, {time.time() - t:.0f}s")


def add_commands(sub):
    s = sub.add_parser("make-clap-pack", help="a CLAP pack with random weights (kind 'clap'; --real-size: "
                                              "Xenova/clap-htsat-unfused's architecture and size, for benchmarks)")
    s.add_argument("--real-size", action="store_true",
                   help="HTSAT + RoBERTa-base, 512-d, ~0.6 GB (default: the tiny test pack)")
    s.add_argument("--out", required=True, help="pack folder (replaced)")
    s.add_argument("--seed", type=int)
    s.set_defaults(fn=_make_clap_pack)

    s = sub.add_parser("make-label-encoder", help="a label encoder with all-MiniLM-L6-v2's size (6 x 384) and random "
                                                  "weights, transformers.js layout, for benchmarks")
    s.add_argument("--real-size", action="store_true", required=True, help="the only size it writes (required, explicit)")
    s.add_argument("--out", required=True, help="folder (config.json, tokenizer.json, onnx/model.onnx)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(fn=_make_label_encoder)

    s = sub.add_parser("reproduce", help="leave-one-dataset-out table (paper protocol) + run folder + pack")
    s.add_argument("--synthetic", action="store_true", help="synthetic multi-dataset features (planted structure)")
    s.add_argument("--config", help="config JSON path or name in training/configs (default synthetic|paper)")
    s.add_argument("--features", nargs="*", metavar="NAME=PATH",
                   help="cal500=CAL500_source.npy:CAL500_index.npy, mtg-jamendo=in/mtg_{split}_source.npy:in/mtg_{split}_index.npy "
                        "(the paper's layout), name=resources/input folder, or name=app-export folder")
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
    _data_args(s)
    _runtime_args(s)
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
    _data_args(s)
    s.set_defaults(fn=_evaluate_clap)

    s = sub.add_parser("clusters", help="the label -> cluster map of a fold's training datasets (the paper's)")
    s.add_argument("--train", nargs="+", required=True, metavar="DATASET",
                   help="training datasets: mtg-jamendo cal500 emotify (2 or 3; any order)")
    s.add_argument("--json", action="store_true", help='print {"datasets", "clusters", "assignments": [{dataset, label, cluster}]}')
    s.add_argument("--pretty", action="store_true", help="indent the JSON")
    s.add_argument("--source", choices=["paper", "mean-shift", "committed"], default="paper",
                   help="paper (default): committed map for MTG+Emotify and CAL500+Emotify, mean shift otherwise")
    s.add_argument("--quantile", type=float, help="MeanShift estimate_bandwidth quantile (default: the paper's)")
    s.add_argument("--n-samples", type=int, help="estimate_bandwidth n_samples (default: the paper's)")
    s.add_argument("--paper-dir", help="the paper's data folder (default data/paper in the repo)")
    s.add_argument("--label-embeddings", help="label-embeddings.json (default <paper dir>/label-embeddings.json)")
    s.set_defaults(fn=_clusters)

    s = sub.add_parser("device-check", help="a few steps of paper-size training on synthetic features (GPU check)")
    s.add_argument("--device", default="cuda", help="auto, cpu, cuda (default cuda: fails clearly without a GPU)")
    s.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    s.add_argument("--workers", type=int, default=2, help="DataLoader workers")
    s.add_argument("--steps", type=int, default=30, help="training steps (each: one batch per dataset)")
    s.add_argument("--batch-size", type=int, default=256)
    s.add_argument("--head", choices=["attention", "mlp"], default="attention")
    s.add_argument("--tracks", type=int, default=300, help="synthetic tracks per dataset")
    s.add_argument("--hidden", type=int, default=768, help="hidden size of the synthetic features (MERT: 768)")
    s.add_argument("--out", help="folder for the synthetic data and checkpoint (default: a temporary folder)")
    s.add_argument("--json", help="write the measurements here")
    s.set_defaults(fn=_device_check)


def _data_args(s):
    s.add_argument("--paper-input", metavar="DIR",
                   help="the paper's resources/input folder (mtg_{train,validation,test}_{source,index}.npy, "
                        "CAL500_*.npy, emotify_*.npy): every built-in dataset found there")
    s.add_argument("--paper-dir", help="the paper's data folder: annotations/ and label-embeddings.json (default "
                                       "data/paper in the repo, or MOODSHELF_PAPER_DIR)")
    s.add_argument("--annotations", help="annotation folder (ours, or the paper's resources/ with jamendo-*.json, "
                                         "CAL500_metadata.json, emotify_metadata_updated.json)")
    s.add_argument("--label-embeddings", help="label-embeddings.json")
    s.add_argument("--split-mode", choices=["paper", "paper-exact", "tracks"],
                   help="CAL500/Emotify split: paper (default; contiguous 80/10/10 of the index as the paper's data "
                        "module), paper-exact (also the released code's double upsample division), tracks (seeded, per track)")


def _runtime_args(s):
    s.add_argument("--device", choices=["auto", "cpu", "cuda"], help="default auto: CUDA when a GPU is visible")
    s.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"],
                   help="autocast on GPU (auto: bf16 where supported, else fp16); CPU runs are fp32")
    s.add_argument("--workers", type=int, help="DataLoader worker processes (default 0)")
    s.add_argument("--checkpoint-dir", help="checkpoint folder (default <out>/checkpoints/<config>-seed<seed>); "
                                            "one file per fold and method, rewritten every epoch")
    s.add_argument("--resume", action="store_true", help="continue from the checkpoints in --checkpoint-dir")
    s.add_argument("--no-checkpoints", action="store_true", help="do not write checkpoints")
