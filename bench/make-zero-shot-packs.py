"""Writes the two packs bench/zero-shot.ts installs (random weights; benchmarks only, never commit them).

usage: python bench/make-zero-shot-packs.py OUT_DIR   (training/.venv's interpreter, which has moodshelf_train)

  OUT_DIR/joint-384  kind joint: the tiny fixture pack's audio encoder (bench:zero-shot stores embeddings
                     directly; the encoder only runs at install), a 64 -> 384 head, and a label encoder with
                     all-MiniLM-L6-v2's architecture and size (BERT 6 x 384, 12 heads, FFN 1536, vocabulary
                     30522; moodshelf_train/minilm.py), run by the app's feature-extraction pipeline.
  OUT_DIR/clap-512   kind clap: Xenova/clap-htsat-unfused's architecture and size (HTSAT audio tower,
                     RoBERTa-base text tower 12 x 768 with its 768 -> 512 projection; moodshelf_train/clap.py
                     `make-clap-pack --real-size`), run by the app's CLAP text path.
"""

import json
import shutil
import sys
from pathlib import Path

import torch
from torch import nn

from moodshelf_train.clap import make_real_size_clap
from moodshelf_train.export import export_head
from moodshelf_train.minilm import build_minilm_random
from moodshelf_train.packs import write_manifest

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "packs" / "tiny-joint"


def joint_384(out):
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(TINY / "audio", out / "audio")
    dim, n_params = build_minilm_random(out / "label-encoder", seed=11)
    m = json.loads((TINY / "manifest.json").read_text())
    head_in = m["head"]["inputDim"]
    torch.manual_seed(12)
    export_head(nn.Linear(head_in, dim), head_in, out / "head" / "head.onnx")
    m.pop("files", None)
    m.update(
        id="bench-zero-shot-384",
        name="bench:zero-shot 384-d pack (random weights)",
        description=f"Tiny audio encoder, {head_in} -> {dim} head, label encoder with all-MiniLM-L6-v2's size "
                    f"({n_params / 1e6:.1f} M parameters, 6 x 384). Benchmarks only.",
        source="bench/make-zero-shot-packs.py",
    )
    m["head"] = {**m["head"], "outputDim": dim}
    m["labelEncoder"] = {**m["labelEncoder"], "dim": dim}
    write_manifest(out, m)


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    joint_384(out / "joint-384")
    make_real_size_clap(out / "clap-512", seed=13)
    print(f"wrote {out / 'joint-384'} and {out / 'clap-512'}")


if __name__ == "__main__":
    main(sys.argv[1])
