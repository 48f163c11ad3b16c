"""A label encoder with the architecture and size of sentence-transformers/all-MiniLM-L6-v2 (BertModel, 6 layers x
384 hidden, 12 heads, intermediate 1536, 512 positions, WordPiece vocabulary of 30522 entries) and random weights,
in the transformers.js feature-extraction layout (config.json, tokenizer.json, tokenizer_config.json,
onnx/model.onnx; label_encoder.py). For benchmarks (the joint benchmark pack of `export-encoder --random-init`,
bench:zero-shot): its embeddings mean nothing. Command: `make-label-encoder --real-size --out DIR` (~90 MB).

The vocabulary is label_encoder.build_vocab()'s (every word of the built-in vocabularies, common words, single
characters) padded with `[unusedN]` entries to MiniLM's 30522, so the embedding table has the real size and every
label tokenizes as with the tiny encoders.
"""

import json
from pathlib import Path

import torch

from .label_encoder import _BertOnnx, build_tokenizer, build_vocab, tokenizer_config
from .onnx_util import export_onnx

MINILM_L6 = dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                 intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2, hidden_act="gelu",
                 layer_norm_eps=1e-12)


def minilm_vocab(size=MINILM_L6["vocab_size"]):
    """build_vocab()'s tokens numbered densely (its ids skip the few pieces listed twice), then `[unusedN]` up to
    `size`: ids 0 .. size-1, the special tokens first."""
    tokens = [t for t, _ in sorted(build_vocab().items(), key=lambda kv: kv[1])]
    i = 0
    while len(tokens) < size:
        tokens.append(f"[unused{i}]")
        i += 1
    return {t: k for k, t in enumerate(tokens)}


def build_minilm_random(out_dir, seed=0, init_range=0.1):
    """Write the MiniLM-L6-sized random label encoder folder. Returns (dim, parameter count)."""
    from transformers import BertConfig, BertModel

    out = Path(out_dir)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    vocab = minilm_vocab()
    tok = build_tokenizer(vocab)
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(
        json.dumps(tokenizer_config(MINILM_L6["max_position_embeddings"]), indent=2) + "\n")
    cfg = BertConfig(**MINILM_L6, initializer_range=init_range, pad_token_id=vocab["[PAD]"])
    cfg._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = BertModel(cfg, add_pooling_layer=False).eval()
    n_params = sum(p.numel() for p in model.parameters())
    c = cfg.to_dict()
    for k in ("_attn_implementation", "transformers_version", "dtype", "torch_dtype"):
        c.pop(k, None)
    c["architectures"] = ["BertModel"]
    c["model_type"] = "bert"
    (out / "config.json").write_text(json.dumps(dict(sorted(c.items())), indent=2) + "\n")
    ids = torch.tensor([[vocab["[CLS]"], 10, 11, vocab["[SEP]"]]], dtype=torch.long)
    export_onnx(
        _BertOnnx(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), out / "onnx" / "model.onnx",
        ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"],
        {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
         "token_type_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}},
    )
    return MINILM_L6["hidden_size"], n_params
