"""CLAP packs (`kind: clap`, docs/model-pack.md): the tiny random-weight fixture `tiny-clap` in the
transformers.js layout of Xenova/clap-htsat-unfused, its reference values, and an onnxruntime runner used by
`evaluate-clap` (zero-shot CLAP baseline on the same splits as the trained heads).

Layout written under `<pack>/clap/`:
  config.json                 ClapConfig (model_type "clap"): tiny HTSAT audio config + tiny RoBERTa text config
  preprocessor_config.json    ClapFeatureExtractor (48 kHz, 64 mel bins, hop 480, 10 s, rand_trunc, repeatpad)
  tokenizer.json              byte-level BPE (RoBERTa style) trained with `tokenizers` on the vocabularies
  tokenizer_config.json       RobertaTokenizer
  onnx/audio_model.onnx       input_features [batch, 1, frames, 64] -> audio_embeds [batch, projection_dim]
  onnx/text_model.onnx        input_ids, attention_mask [batch, sequence] -> text_embeds [batch, projection_dim]
The embeddings are the raw projections (ClapAudioModelWithProjection / ClapTextModelWithProjection), not
normalised; consumers L2-normalise.

`make_real_size_clap` (command `make-clap-pack --real-size`) writes the same layout with the REAL architecture and
size of Xenova/clap-htsat-unfused (= laion/clap-htsat-unfused: HTSAT audio tower, patch embeds 96, depths
[2, 2, 6, 2], heads [4, 8, 16, 32], hidden 768, spec 256, window 8; RoBERTa-base text tower, 12 x 768, vocabulary
50265; 512-d projections) and random weights, for benchmarks (bench:analyze). Never commit it (~0.6 GB).
"""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import torch

from .onnx_util import export_onnx, ort_run, ort_session
from .packs import write_json, write_manifest
from .vocab import VOCABULARIES, vocabulary_entries

PROMPT = "This is a {} song."
REFERENCE_TEXTS = ["This is a sad song.", "This is a happy song.", "This is a rainy sunday song."]
CLAP_SAMPLE_RATE = 48000
CLAP_SECONDS = 10
PROJECTION_DIM = 16
MAX_TEXT_LEN = 64
PARITY_TOL = 1e-5  # ONNX (onnxruntime) vs PyTorch, max abs difference of the raw embeddings

# Xenova/clap-htsat-unfused (= laion/clap-htsat-unfused) preprocessor_config.json values
FEATURE_EXTRACTOR = dict(
    feature_size=64, sampling_rate=48000, hop_length=480, max_length_s=10, fft_window_size=1024,
    padding_value=0.0, return_attention_mask=False, frequency_min=50, frequency_max=14000, top_db=None,
    truncation="rand_trunc", padding="repeatpad",
)

AUDIO_CONFIG = dict(  # tiny HTSAT: spec 256 (= 1024 frames x 64 mel bins folded by freq_ratio 4), patch 4, window 8
    window_size=8, num_mel_bins=64, spec_size=256, patch_size=4, patch_stride=[4, 4], num_classes=4,
    hidden_size=32, patch_embeds_hidden_size=4, depths=[1, 1, 1, 1], num_attention_heads=[1, 1, 2, 2],
    enable_fusion=False, projection_dim=PROJECTION_DIM, mlp_ratio=2.0,
)
TEXT_CONFIG = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
    max_position_embeddings=MAX_TEXT_LEN + 2, type_vocab_size=1, projection_dim=PROJECTION_DIM,
    pad_token_id=1, bos_token_id=0, eos_token_id=2,
)

# laion/clap-htsat-unfused's config.json (transformers' ClapAudioConfig / ClapTextConfig defaults are that checkpoint)
REAL_PROJECTION_DIM = 512
REAL_AUDIO_CONFIG = dict(
    window_size=8, num_mel_bins=64, spec_size=256, patch_size=4, patch_stride=[4, 4], num_classes=527,
    hidden_size=768, patch_embeds_hidden_size=96, depths=[2, 2, 6, 2], num_attention_heads=[4, 8, 16, 32],
    enable_fusion=False, fusion_type=None, projection_dim=REAL_PROJECTION_DIM, mlp_ratio=4.0, hidden_act="gelu",
    projection_hidden_act="relu", flatten_patch_embeds=True, enable_patch_layer_norm=True, qkv_bias=True,
    layer_norm_eps=1e-5, patch_embed_input_channels=1,
)
REAL_TEXT_CONFIG = dict(
    vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
    hidden_act="gelu", max_position_embeddings=514, type_vocab_size=1, projection_dim=REAL_PROJECTION_DIM,
    projection_hidden_act="relu", layer_norm_eps=1e-12, pad_token_id=1, bos_token_id=0, eos_token_id=2,
)
REAL_MAX_TEXT_LEN = 512

ROBERTA_SPECIAL = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


# ----------------------------------------------------------------------------------------------- tokenizer

def _corpus():
    words = set()
    for v in VOCABULARIES.values():
        for label in v["labels"]:
            words.add(label)
            words.update(w for w in label.replace(",", " ").replace("_", " ").split() if w)
    from .label_encoder import COMMON_WORDS

    words.update(COMMON_WORDS)
    lines = []
    for w in sorted(words):
        lines += [w, PROMPT.replace("{}", w), PROMPT.replace("{}", w.capitalize())]
    lines += ["This is a rainy sunday song.", "This is a song.", "This is a sad song.", "This is a happy song."]
    return lines


def build_roberta_tokenizer(vocab_size=800):
    """Byte-level BPE (RoBERTa: <s>=0 <pad>=1 </s>=2 <unk>=3 <mask>=4, `<s> … </s>`), trained on the mood words
    and the prompt. Byte-level, so every text tokenizes (no <unk>)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=1, special_tokens=ROBERTA_SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_corpus(), trainer=trainer)
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True, add_prefix_space=False)
    return tok


def roberta_tokenizer_config(max_len=MAX_TEXT_LEN):
    return {
        "add_prefix_space": False,
        "bos_token": "<s>",
        "clean_up_tokenization_spaces": True,
        "cls_token": "<s>",
        "eos_token": "</s>",
        "errors": "replace",
        "mask_token": "<mask>",
        "model_max_length": max_len,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "tokenizer_class": "RobertaTokenizer",
        "trim_offsets": True,
        "unk_token": "<unk>",
    }


# ---------------------------------------------------------------------------------------------- the model

class _AudioOnnx(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_features):
        return self.m(input_features=input_features).audio_embeds


class _TextOnnx(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m(input_ids=input_ids, attention_mask=attention_mask).text_embeds


def tiny_clap_config(vocab_size):
    from transformers import ClapConfig

    cfg = ClapConfig(audio_config=dict(AUDIO_CONFIG), text_config=dict(TEXT_CONFIG, vocab_size=vocab_size),
                     projection_dim=PROJECTION_DIM)
    for c in (cfg, cfg.audio_config, cfg.text_config):
        c._attn_implementation = "eager"
    return cfg


def build_tiny_clap_models(vocab_size, seed=5):
    """(audio ClapAudioModelWithProjection, text ClapTextModelWithProjection, ClapConfig), eval mode, fixed seeds."""
    from transformers import ClapAudioModelWithProjection, ClapTextModelWithProjection

    cfg = tiny_clap_config(vocab_size)
    torch.manual_seed(seed)
    audio = ClapAudioModelWithProjection(cfg.audio_config).eval()
    torch.manual_seed(seed + 1)
    text = ClapTextModelWithProjection(cfg.text_config).eval()
    return audio, text, cfg


def real_size_clap_config():
    """ClapConfig with laion/clap-htsat-unfused's architecture and size (audio: HTSAT, text: RoBERTa-base, 512-d)."""
    from transformers import ClapConfig

    cfg = ClapConfig(audio_config=dict(REAL_AUDIO_CONFIG), text_config=dict(REAL_TEXT_CONFIG),
                     projection_dim=REAL_PROJECTION_DIM)
    for c in (cfg, cfg.audio_config, cfg.text_config):
        c._attn_implementation = "eager"
    return cfg


def build_real_size_clap_models(seed=0):
    """(audio, text, ClapConfig) at laion/clap-htsat-unfused's size with random weights (fixed seeds), eval mode."""
    from transformers import ClapAudioModelWithProjection, ClapTextModelWithProjection

    cfg = real_size_clap_config()
    torch.manual_seed(seed)
    audio = ClapAudioModelWithProjection(cfg.audio_config).eval()
    torch.manual_seed(seed + 1)
    text = ClapTextModelWithProjection(cfg.text_config).eval()
    return audio, text, cfg


def feature_extractor():
    from transformers import ClapFeatureExtractor

    return ClapFeatureExtractor(**FEATURE_EXTRACTOR)


def _clean_config(d):
    for k in ("_attn_implementation", "transformers_version", "dtype", "torch_dtype", "_name_or_path",
              "_attn_implementation_autoset"):
        d.pop(k, None)
    for sub in ("audio_config", "text_config"):
        if isinstance(d.get(sub), dict):
            _clean_config(d[sub])
    return dict(sorted(d.items()))


def write_clap_folder(out_dir, seed=5, real_size=False):
    """Write the transformers.js CLAP folder (tiny, or with `real_size` laion/clap-htsat-unfused's architecture and
    size). Returns (audio model, text model, tokenizer)."""
    out = Path(out_dir)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    tok = build_roberta_tokenizer()
    tok.save(str(out / "tokenizer.json"))
    write_json(out / "tokenizer_config.json", roberta_tokenizer_config(REAL_MAX_TEXT_LEN if real_size else MAX_TEXT_LEN))
    fe = feature_extractor()
    pp = fe.to_dict()
    pp["processor_class"] = "ClapProcessor"
    write_json(out / "preprocessor_config.json", dict(sorted(pp.items())))
    if real_size:
        audio, text, cfg = build_real_size_clap_models(seed)
    else:
        audio, text, cfg = build_tiny_clap_models(tok.get_vocab_size(), seed)
    c = cfg.to_dict()
    c["architectures"] = ["ClapModel"]
    c["model_type"] = "clap"
    write_json(out / "config.json", _clean_config(c))
    frames = fe.nb_max_samples // fe.hop_length + 1
    x = torch.zeros(1, 1, frames, fe.feature_size)
    export_onnx(_AudioOnnx(audio), (x,), out / "onnx" / "audio_model.onnx", ["input_features"], ["audio_embeds"],
                {"input_features": {0: "batch"}, "audio_embeds": {0: "batch"}})
    ids = torch.tensor([tok.encode(REFERENCE_TEXTS[0]).ids], dtype=torch.long)
    export_onnx(_TextOnnx(text), (ids, torch.ones_like(ids)), out / "onnx" / "text_model.onnx",
                ["input_ids", "attention_mask"], ["text_embeds"],
                {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                 "text_embeds": {0: "batch"}})
    return audio, text, tok


def clap_manifest(pack_id, name, description, dim, source, license_="MIT"):
    return {
        "kind": "clap",
        "id": pack_id,
        "version": "1.0.0",
        "name": name,
        "description": description,
        "license": license_,
        "source": source,
        "audio": {
            "encoder": "clap/onnx/audio_model.onnx",
            "sampleRate": CLAP_SAMPLE_RATE,
            "segmentSeconds": CLAP_SECONDS,
            "hopSeconds": CLAP_SECONDS,
            "normalize": "none",
            "layers": [],
            "pooling": "mean",
            "hiddenSize": 0,
        },
        "head": {"type": "identity", "outputDim": dim},
        "labelEncoder": {"path": "clap", "pooling": "mean", "normalize": True, "dim": dim, "promptTemplate": PROMPT},
        "vocabularies": vocabulary_entries(),
    }


def make_tiny_clap(pack_dir, seed=5):
    pack_dir = Path(pack_dir)
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    pack_dir.mkdir(parents=True)
    audio, text, tok = write_clap_folder(pack_dir / "clap", seed)
    m = clap_manifest(
        "tiny-clap", "Tiny CLAP test pack (random weights)",
        "Random-weight tiny CLAP (HTSAT audio: patch embeds 4, hidden 32, depths [1,1,1,1]; RoBERTa text: hidden 32, "
        f"2 layers; projection {PROJECTION_DIM}) in the transformers.js layout of Xenova/clap-htsat-unfused. "
        "For tests only: its scores mean nothing.",
        PROJECTION_DIM, "training/moodshelf_train/clap.py (make-tiny-packs)")
    write_manifest(pack_dir, m)
    return m, audio, text, tok


def make_real_size_clap(pack_dir, seed=0):
    """A benchmark CLAP pack with Xenova/clap-htsat-unfused's architecture and size, random weights (~0.6 GB).

    The tokenizer is this module's small byte-level BPE (the real one has 50265 entries; the text tower's embedding
    table has the real 50265 rows), so label prompts tokenize to about as many tokens as with RoBERTa's own.
    Returns (manifest, encoder parameter counts {audio, text})."""
    pack_dir = Path(pack_dir)
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    pack_dir.mkdir(parents=True)
    audio, text, _ = write_clap_folder(pack_dir / "clap", seed, real_size=True)
    n = {"audio": sum(p.numel() for p in audio.parameters()), "text": sum(p.numel() for p in text.parameters())}
    del audio, text
    m = clap_manifest(
        "clap-htsat-unfused-random", "CLAP HTSAT-unfused-sized, random weights (benchmark)",
        f"Random weights with the architecture and size of Xenova/clap-htsat-unfused: HTSAT audio tower "
        f"({n['audio'] / 1e6:.1f} M parameters: patch embeds 96, depths [2, 2, 6, 2], heads [4, 8, 16, 32], hidden 768, "
        f"spec 256, window 8) and RoBERTa-base text tower ({n['text'] / 1e6:.1f} M parameters, 12 x 768), 512-d "
        "projections, in the transformers.js layout. Benchmarks only: its scores mean nothing.",
        REAL_PROJECTION_DIM, "training/moodshelf_train/clap.py (make-clap-pack --real-size)")
    write_manifest(pack_dir, m)
    return m, n


# ------------------------------------------------------------------------------------------------ runtime

def l2n(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12, None)


class OnnxClap:
    """A CLAP pack run as the app runs it: ClapFeatureExtractor (from preprocessor_config.json) + audio ONNX,
    tokenizer.json + text ONNX (one text per run, no padding) with the manifest's prompt template."""

    def __init__(self, pack_dir, threads=1):
        from tokenizers import Tokenizer
        from transformers import ClapFeatureExtractor

        self.pack = Path(pack_dir)
        self.manifest = json.loads((self.pack / "manifest.json").read_text())
        if self.manifest.get("kind") != "clap":
            raise ValueError(f"{pack_dir}: kind {self.manifest.get('kind')!r}, expected 'clap'")
        le = self.manifest["labelEncoder"]
        self.folder = self.pack / le["path"]
        self.prompt = le.get("promptTemplate", "{}")
        self.sample_rate = int(self.manifest["audio"]["sampleRate"])
        self.seconds = float(self.manifest["audio"]["segmentSeconds"])
        self.dim = int(self.manifest["head"]["outputDim"])
        pp = json.loads((self.folder / "preprocessor_config.json").read_text())
        self.fe = ClapFeatureExtractor(**{k: v for k, v in pp.items() if k in FEATURE_EXTRACTOR or k == "feature_size"})
        self.tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.audio = ort_session(self.pack / self.manifest["audio"]["encoder"], threads)
        self.text = ort_session(self.folder / "onnx" / "text_model.onnx", threads)

    def features(self, waveform):
        """input_features [1, 1, frames, 64] float32 for one mono waveform at the pack's rate."""
        f = self.fe(np.asarray(waveform, dtype=np.float32), sampling_rate=self.sample_rate, return_tensors="np")
        return np.asarray(f["input_features"], dtype=np.float32)

    def embed_audio(self, waveforms, normalize=True, batch=8):
        outs = []
        for i in range(0, len(waveforms), batch):
            x = np.concatenate([self.features(w) for w in waveforms[i:i + batch]])
            (e,) = ort_run(self.audio, {"input_features": x})
            outs.append(e)
        e = np.concatenate(outs) if outs else np.zeros((0, self.dim), np.float32)
        return (l2n(e) if normalize else e).astype(np.float32)

    def encode_ids(self, text, prompt=True):
        return self.tok.encode(self.prompt.replace("{}", text) if prompt else text).ids

    def embed_texts(self, texts, prompt=True, normalize=True):
        outs = []
        for t in texts:
            ids = np.array([self.encode_ids(t, prompt)], dtype=np.int64)
            (e,) = ort_run(self.text, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            outs.append(e[0])
        e = np.stack(outs) if outs else np.zeros((0, self.dim), np.float32)
        return (l2n(e) if normalize else e).astype(np.float32)


# ------------------------------------------------------------------------------------------- reference

def _r(a, nd=7):
    return [round(float(v), nd) for v in np.asarray(a).ravel()]


def compute_clap_reference(pack_dir, models=None):
    """Reference values for tiny-clap: transformers' (Python) ClapFeatureExtractor on the 48 kHz reference
    waveform, onnxruntime (CPU, 1 thread) embeddings, and (when `models` = (audio, text) PyTorch modules are
    given) the max abs difference ONNX vs PyTorch (raises above PARITY_TOL). Returns (reference, parity)."""
    from .tiny import WAVEFORM_FORMULA, reference_waveform

    clap = OnnxClap(pack_dir)
    raw = reference_waveform(CLAP_SAMPLE_RATE, CLAP_SECONDS)
    x = clap.features(raw)
    (a_raw,) = ort_run(clap.audio, {"input_features": x})
    a_n = l2n(a_raw[0])
    texts = {}
    t_embs = {}
    for t in REFERENCE_TEXTS:
        ids = clap.encode_ids(t, prompt=False)
        (e,) = ort_run(clap.text, {"input_ids": np.array([ids], np.int64), "attention_mask": np.ones((1, len(ids)), np.int64)})
        t_embs[t] = e[0]
        texts[t] = {"inputIds": ids, "textEmbeds": _r(e[0]), "normalized": _r(l2n(e[0])),
                    "cosine": round(float(a_n @ l2n(e[0])), 7)}
    parity = None
    if models is not None:
        audio, text = models
        with torch.no_grad():
            pa = audio(input_features=torch.from_numpy(x)).audio_embeds.numpy()
            d_text = 0.0
            for t in REFERENCE_TEXTS:
                ids = torch.tensor([texts[t]["inputIds"]])
                pt = text(input_ids=ids, attention_mask=torch.ones_like(ids)).text_embeds.numpy()[0]
                d_text = max(d_text, float(np.abs(pt - t_embs[t]).max()))
        parity = {"audioMaxAbsDiff": float(np.abs(pa - a_raw).max()), "textMaxAbsDiff": d_text}
        if max(parity.values()) > PARITY_TOL:
            raise AssertionError(f"tiny-clap ONNX differs from PyTorch: {parity}")
    fe = clap.fe
    return {
        "pack": clap.manifest["id"],
        "tolerance": 1e-4,
        "note": "input_features from transformers' (Python) ClapFeatureExtractor with the pack's preprocessor_config.json "
                "(float64 STFT, Hann periodic window 1024, hop 480, center/reflect padding, power 2, Slaney mel 50-14000 Hz, "
                "10*log10(max(1e-10, mel))); the waveform is exactly max_length (480000 samples) so rand_trunc and repeatpad "
                "do nothing. Embeddings from onnxruntime (CPU, 1 thread); 'normalized' = L2-normalised; texts are given "
                "in full (the prompt already applied), one text per run without padding; cosine = dot of the normalised "
                "audio and text embeddings.",
        "waveform": {"formula": WAVEFORM_FORMULA, "sampleRate": CLAP_SAMPLE_RATE, "samples": int(raw.size),
                     "first": _r(raw[:16])},
        "inputFeatures": {"shape": list(x.shape), "first8": _r(x[0, 0, 0, :8]), "frame500First8": _r(x[0, 0, 500, :8]),
                          "lastFrameFirst8": _r(x[0, 0, -1, :8]), "mean": round(float(x.astype(np.float64).mean()), 5),
                          "featureExtractor": {k: getattr(fe, k) for k in ("feature_size", "sampling_rate", "hop_length",
                                                                            "fft_window_size", "nb_max_samples",
                                                                            "frequency_min", "frequency_max",
                                                                            "truncation", "padding")}},
        "audioEmbeds": {"shape": list(a_raw.shape), "raw": _r(a_raw[0]), "normalized": _r(a_n)},
        "texts": texts,
        "onnxInputs": {"audio": ["input_features"], "text": ["input_ids", "attention_mask"]},
        "onnxOutputs": {"audio": ["audio_embeds"], "text": ["text_embeds"]},
        "torchParity": None if parity is None else {"maxAbsDiffBelow": PARITY_TOL},
    }, parity


# -------------------------------------------------------------------------------------- synthetic audio

def synthetic_waveform(key, sample_rate=CLAP_SAMPLE_RATE, seconds=CLAP_SECONDS):
    """A deterministic waveform for a synthetic segment (`key` e.g. "emotify/emotify-3/1"): 3 partials with
    frequencies, amplitudes, phases and a tremolo rate drawn from a generator seeded with crc32(key), plus
    faint noise. The synthetic datasets carry no audio, so this only exercises the CLAP path end to end."""
    import zlib

    rng = np.random.default_rng(zlib.crc32(key.encode()))
    n = int(sample_rate * seconds)
    t = np.arange(n, dtype=np.float64) / sample_rate
    f0 = 80.0 * 2 ** rng.uniform(0, 4)
    w = np.zeros(n)
    for h, amp in zip((1, 2, 3), rng.uniform(0.05, 0.4, 3)):
        w += amp * np.sin(2 * math.pi * f0 * h * t + rng.uniform(0, 2 * math.pi))
    w *= 1 + 0.3 * np.sin(2 * math.pi * rng.uniform(0.5, 6) * t)
    w += 0.01 * rng.standard_normal(n)
    return w.astype(np.float32)
