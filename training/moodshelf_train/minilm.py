"""A label encoder with the architecture and size of sentence-transformers/all-MiniLM-L6-v2 (BertModel, 6 layers x
384 hidden, 12 heads, intermediate 1536, 512 positions, WordPiece vocabulary of 30522 entries) and random weights,
in the transformers.js feature-extraction layout (config.json, tokenizer.json, tokenizer_config.json,
onnx/model.onnx; label_encoder.py). For benchmarks (the joint benchmark pack of `export-encoder --random-init`,
bench:zero-shot): its embeddings mean nothing. Command: `make-label-encoder --real-size --out DIR` (~90 MB).

The vocabulary is label_encoder.build_vocab()'s (every word of the built-in vocabularies, common words, single
characters) padded with `[unusedN]` entries to MiniLM's 30522, so the embedding table has the real size and every
label tokenizes as with the tiny encoders.
"""

from .label_encoder import build_vocab, write_bert_folder

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
    model, _ = write_bert_folder(out_dir, minilm_vocab(), {**MINILM_L6, "initializer_range": init_range}, seed)
    return MINILM_L6["hidden_size"], sum(p.numel() for p in model.parameters())
