"""Writes the 512-d joint pack bench/ui.ts installs (random weights; benchmarks only, never commit it).

usage: python bench/make-ui-pack.py OUT_DIR   (run with training/.venv's interpreter, cwd training/)

The audio encoder is the tiny fixture pack's (bench:ui stores embeddings directly, the encoder only runs
at install); the head projects its 64 features to 512-d. The label encoder has the compute of CLAP's text
tower (Xenova/clap-htsat-unfused: a 12 x 768 RoBERTa-base-sized transformer, 12 heads, 3072 FFN) and
its 768 -> 512 projection, here a BERT of that size whose `last_hidden_state` is the projected token
states, so the app's feature-extraction pipeline mean-pools and normalises them into 512-d label vectors.
The tokenizer is the tiny pack's.
"""

import json
import shutil
import sys
from pathlib import Path

import torch
from torch import nn

from moodshelf_train.export import export_head
from moodshelf_train.onnx_util import export_onnx
from moodshelf_train.packs import write_manifest

DIM = 512
HIDDEN, LAYERS, HEADS, FFN = 768, 12, 12, 3072
ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "packs" / "tiny-joint"


class ProjectedBert(nn.Module):
    def __init__(self, bert, proj):
        super().__init__()
        self.bert = bert
        self.proj = proj

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
        return self.proj(h)


def main(out):
    from transformers import BertConfig, BertModel

    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(TINY / "audio", out / "audio")
    enc = out / "label-encoder"
    (enc / "onnx").mkdir(parents=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(TINY / "label-encoder" / f, enc / f)
    tiny_cfg = json.loads((TINY / "label-encoder" / "config.json").read_text())
    cfg = BertConfig(
        vocab_size=tiny_cfg["vocab_size"], hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
        intermediate_size=FFN, max_position_embeddings=tiny_cfg["max_position_embeddings"], type_vocab_size=2,
        initializer_range=0.02, pad_token_id=tiny_cfg["pad_token_id"],
    )
    cfg._attn_implementation = "eager"
    torch.manual_seed(7)
    model = ProjectedBert(BertModel(cfg, add_pooling_layer=False), nn.Linear(HIDDEN, DIM)).eval()
    c = {k: v for k, v in cfg.to_dict().items() if k not in ("_attn_implementation", "transformers_version", "dtype", "torch_dtype")}
    c.update(architectures=["BertModel"], model_type="bert")
    (enc / "config.json").write_text(json.dumps(dict(sorted(c.items())), indent=2) + "\n")
    ids = torch.tensor([[2, 10, 11, 3]], dtype=torch.long)
    axes = {"batch": 0, "sequence": 1}
    export_onnx(
        model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), enc / "onnx" / "model.onnx",
        ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"],
        {n: {v: k for k, v in axes.items()} for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
    )
    torch.manual_seed(8)
    export_head(nn.Linear(64, DIM), 64, out / "head" / "head.onnx")

    m = json.loads((TINY / "manifest.json").read_text())
    m.pop("files", None)
    m.update(
        id="bench-ui-512",
        name="bench:ui 512-d pack (random weights)",
        description="Tiny audio encoder, 64 -> 512 head, CLAP-text-tower-sized label encoder (12 x 768 -> 512). Benchmarks only.",
        source="bench/make-ui-pack.py",
    )
    m["head"] = {**m["head"], "outputDim": DIM}
    m["labelEncoder"] = {**m["labelEncoder"], "dim": DIM}
    write_manifest(out, m)


if __name__ == "__main__":
    main(sys.argv[1])
