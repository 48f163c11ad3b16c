"""python -m moodshelf_train <command> ...  (see training/README.md)"""

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _cmd_make_tiny_packs(a):
    from .tiny import make_tiny_packs

    t = time.time()
    sizes = make_tiny_packs(a.out_dir)
    for k, v in sizes.items():
        print(f"{k}: {v / 1024:.1f} KiB")
    print(f"wrote {a.out_dir} in {time.time() - t:.1f}s")


def _cmd_export_encoder(a):
    if a.random_init:
        from .tiny import make_mert_random_pack

        t = time.time()
        size, n = make_mert_random_pack(a.out, seed=a.seed)
        print(f"wrote {a.out}: {size / 1e6:.1f} MB, encoder {n / 1e6:.1f} M parameters, {time.time() - t:.0f}s")
        return
    if not a.model:
        sys.exit("export-encoder needs --random-init or --model <local MERT-v1-95M folder>")
    from pathlib import Path

    from .encoder import export_encoder, load_mert

    model = load_mert(a.model)
    path = Path(a.out) / "audio" / "encoder.onnx" if not a.out.endswith(".onnx") else Path(a.out)
    export_encoder(model, path, 24000)
    print(f"wrote {path}")


def _cmd_personal_pack(a):
    import json

    from .personal import personal_pack

    t = time.time()
    r = personal_pack(a.pack, a.features, a.out, epochs=a.epochs, lr=a.lr, anchor=a.anchor, seed=a.seed)
    print(json.dumps(r))
    print(f"wrote {a.out} ({r['id']}) in {time.time() - t:.1f}s: held-out pairwise accuracy "
          f"{r['pairwiseBefore']:.3f} -> {r['pairwiseAfter']:.3f}; install it with: npx moodshelf models install {a.out}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="moodshelf_train")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("make-tiny-packs", help="write the tiny fixture packs (tiny-joint, tiny-clap) and reference.json, reference-clap.json")
    s.add_argument("out_dir", nargs="?", default=str(REPO / "tests" / "fixtures" / "packs"))
    s.set_defaults(fn=_cmd_make_tiny_packs)

    s = sub.add_parser("export-encoder", help="export MERT-v1-95M (HubertModel) to ONNX")
    s.add_argument("--random-init", "--mert-random", action="store_true",
                   help="MERT-v1-95M-shaped random weights, written as a full benchmark pack")
    s.add_argument("--model", help="local MERT-v1-95M checkpoint folder (no downloads here)")
    s.add_argument("--out", required=True, help="pack folder (or .onnx path with --model)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(fn=_cmd_export_encoder)

    from . import cli_train

    cli_train.add_commands(sub)

    s = sub.add_parser("personal-pack", help="fine-tune an installed joint pack's head on `moodshelf export-features` "
                                             "(accepted tags) and write a personal pack")
    s.add_argument("--pack", required=True, help="the joint pack folder to start from")
    s.add_argument("--features", required=True, help="the export-features folder")
    s.add_argument("--out", required=True, help="the personal pack folder (replaced)")
    s.add_argument("--epochs", type=int, default=200)
    s.add_argument("--lr", type=float, default=0.01)
    s.add_argument("--anchor", type=float, default=1.0, help="weight of |A - I|^2 (higher: closer to the original head)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(fn=_cmd_personal_pack)

    a = p.parse_args(argv)
    a.fn(a)


if __name__ == "__main__":
    main()
