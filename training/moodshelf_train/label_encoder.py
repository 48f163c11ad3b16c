"""Label encoders in the transformers.js feature-extraction layout (config.json, tokenizer.json,
tokenizer_config.json, onnx/model.onnx), and sentence-transformers style pooling (mean over the attention
mask, then L2 normalisation).

`build_tiny_bert` writes a tiny random BERT whose WordPiece vocabulary (built with the `tokenizers` library)
covers the words of the three built-in vocabularies, common words, and single characters, so any lower-case
ASCII text tokenizes without [UNK].
"""

import json
import re
from pathlib import Path

import numpy as np
import torch

from .onnx_util import export_onnx, ort_run, ort_session
from .vocab import VOCABULARIES

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
COMMON_WORDS = """a an the this that is are was be it its of in on at to for with and or not no very so too
song songs music track tune sound sounds like feel feeling feels mood vibe for from by my your our his her
rainy rain sunny sun sunday monday morning night evening day summer winter autumn spring road trip drive
driving study work sleep chill chilled dance dancing workout gym coffee quiet loud bright warm cold dark light
old new young slow fast big small high low good bad best sweet bitter lonely alone together home city beach
forest sea ocean sky star stars party love lovely sadness happiness anger fear joy hope peace""".split()
PUNCT = list(",._-'!?&/();:\"")


def vocabulary_words():
    words = set()
    for v in VOCABULARIES.values():
        for label in v["labels"]:
            words.update(w for w in re.split(r"[^a-z0-9]+", label.lower()) if w)
    words.update(COMMON_WORDS)
    return sorted(words)


def build_vocab():
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]
    pieces = SPECIAL + PUNCT + letters + ["##" + c for c in letters]
    pieces += ["##s", "##es", "##ed", "##ing", "##ly", "##er", "##y", "##ness", "##ful"]
    for w in vocabulary_words():
        if w not in pieces:
            pieces.append(w)
    return {t: i for i, t in enumerate(pieces)}


def build_tokenizer(vocab):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.add_special_tokens(SPECIAL)
    return tok


def tokenizer_config(max_len):
    return {
        "clean_up_tokenization_spaces": True,
        "cls_token": "[CLS]",
        "do_basic_tokenize": True,
        "do_lower_case": True,
        "mask_token": "[MASK]",
        "model_max_length": max_len,
        "never_split": None,
        "pad_token": "[PAD]",
        "sep_token": "[SEP]",
        "strip_accents": None,
        "tokenize_chinese_chars": True,
        "tokenizer_class": "BertTokenizer",
        "unk_token": "[UNK]",
    }


class _BertOnnx(torch.nn.Module):
    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


def write_bert_folder(out_dir, vocab, config, seed=0):
    """Write a random BertModel label encoder folder in the transformers.js feature-extraction layout
    (tokenizer.json, tokenizer_config.json, config.json, onnx/model.onnx) for `vocab` and the BertConfig
    arguments `config` (vocab_size is taken from `vocab`). Returns (model, tokenizer)."""
    from transformers import BertConfig, BertModel

    out = Path(out_dir)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(vocab)
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(
        json.dumps(tokenizer_config(config["max_position_embeddings"]), indent=2) + "\n")
    cfg = BertConfig(**{**config, "vocab_size": len(vocab)}, pad_token_id=vocab["[PAD]"])
    cfg._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = BertModel(cfg, add_pooling_layer=False).eval()
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
    return model, tok


def build_tiny_bert(out_dir, hidden=32, layers=2, heads=4, intermediate=64, max_len=64, seed=0, init_range=0.5):
    """Write a tiny random BERT label encoder folder. Returns its hidden size (the embedding dim)."""
    config = dict(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                  intermediate_size=intermediate, max_position_embeddings=max_len, type_vocab_size=2,
                  initializer_range=init_range)
    model, tok = write_bert_folder(out_dir, build_vocab(), config, seed)
    return hidden, model, tok


class OnnxLabelEncoder:
    """Embeds texts as the app does: tokenizer.json + onnx/model.onnx, mean pooling over the mask, L2 norm.
    Texts are run one at a time (no padding), as transformers.js does for a single input."""

    def __init__(self, folder, prompt_template="{}", threads=1):
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.sess = ort_session(folder / "onnx" / "model.onnx", threads)
        self.prompt = prompt_template

    def encode_ids(self, text):
        return self.tok.encode(self.prompt.replace("{}", text)).ids

    def embed(self, texts, normalize=True):
        outs = []
        for t in texts:
            ids = np.array([self.encode_ids(t)], dtype=np.int64)
            mask = np.ones_like(ids)
            (h,) = ort_run(self.sess, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
            outs.append(mean_pool(h, mask, normalize)[0])
        return np.stack(outs).astype(np.float32)


def mean_pool(last_hidden, mask, normalize=True):
    h = np.asarray(last_hidden, dtype=np.float64)
    m = np.asarray(mask, dtype=np.float64)[..., None]
    v = (h * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    if normalize:
        v = v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
    return v
