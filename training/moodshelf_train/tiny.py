"""Tiny committed fixture packs (tests/fixtures/packs) and the MERT-sized random-weight benchmark pack.

Everything is deterministic: fixed seeds, the legacy TorchScript ONNX exporter, single-threaded
onnxruntime for the reference values."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import torch

from .encoder import (export_encoder, mert_v1_95m_config, pool_and_concat, random_hubert, tiny_hubert_config,
                      zero_mean_unit_var)
from .export import export_head
from .heads import MLPHead
from .label_encoder import OnnxLabelEncoder, build_tiny_bert
from .onnx_util import ort_run, ort_session
from .packs import pack_size, write_json, write_manifest
from .vocab import VOCABULARIES, vocabulary_entries

WAVEFORM_FORMULA = ("w[n] = 0.5*sin(2*pi*220*t) + 0.25*sin(2*pi*554.37*t + 0.3) + 0.1*sin(2*pi*3*t), "
                    "t = n / sampleRate, n = 0 .. sampleRate*10 - 1, computed in float64 then cast to float32")
REFERENCE_LABELS = ["sad", "happy", "rainy sunday", "angry, aggressive"]
TINY_LAYERS = [1, 2]
SAMPLE_RATE = 24000
SEGMENT_SECONDS = 10


def reference_waveform(sample_rate=SAMPLE_RATE, seconds=SEGMENT_SECONDS):
    t = np.arange(int(sample_rate * seconds), dtype=np.float64) / sample_rate
    w = (0.5 * np.sin(2 * math.pi * 220 * t) + 0.25 * np.sin(2 * math.pi * 554.37 * t + 0.3)
         + 0.1 * np.sin(2 * math.pi * 3 * t))
    return w.astype(np.float32)


def _r(a, nd=7):
    """Round floats for JSON (1e-7 << the 1e-4 tolerance) so the file stays small and stable."""
    return [round(float(v), nd) for v in np.asarray(a).ravel()]


def _joint_manifest(pack_id, name, description, sample_rate, layers, hidden, head_in, dim, source):
    return {
        "kind": "joint",
        "id": pack_id,
        "version": "1.0.0",
        "name": name,
        "description": description,
        "license": "MIT",
        "source": source,
        "audio": {
            "encoder": "audio/encoder.onnx",
            "sampleRate": sample_rate,
            "segmentSeconds": SEGMENT_SECONDS,
            "hopSeconds": SEGMENT_SECONDS,
            "normalize": "zero-mean-unit-var",
            "layers": layers,
            "pooling": "first-frame",
            "hiddenSize": hidden,
        },
        "head": {"type": "onnx", "file": "head/head.onnx", "inputDim": head_in, "outputDim": dim},
        "labelEncoder": {"path": "label-encoder", "pooling": "mean", "normalize": True, "dim": dim,
                         "promptTemplate": "{}"},
        "vocabularies": vocabulary_entries(),
    }


def make_tiny_joint(pack_dir):
    pack_dir = Path(pack_dir)
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    (pack_dir / "audio").mkdir(parents=True)
    hidden = 32
    cfg = tiny_hubert_config(hidden=hidden, layers=2, heads=4, intermediate=64, conv_channels=16)
    hubert = random_hubert(cfg, seed=1)
    export_encoder(hubert, pack_dir / "audio" / "encoder.onnx", SAMPLE_RATE, seconds=1.0)
    dim, _, _ = build_tiny_bert(pack_dir / "label-encoder", hidden=32, layers=2, heads=4, intermediate=64, seed=2)
    head_in = hidden * len(TINY_LAYERS)
    torch.manual_seed(3)
    head = MLPHead(head_in, dim, hidden_dim=64).eval()
    export_head(head, head_in, pack_dir / "head" / "head.onnx")
    manifest = _joint_manifest(
        "tiny-joint", "Tiny joint test pack (random weights)",
        "Random-weight tiny HuBERT-shaped encoder (hidden 32, 2 layers, conv stack 320 samples/frame), "
        "tiny MLP head and tiny BERT label encoder. For tests only: its scores mean nothing.",
        SAMPLE_RATE, TINY_LAYERS, hidden, head_in, dim, "training/moodshelf_train/tiny.py (make-tiny-packs)")
    write_manifest(pack_dir, manifest)
    return manifest, hubert, head


def compute_reference(pack_dir):
    """Reference values from onnxruntime (single thread), cross-checked against PyTorch by the tests."""
    pack_dir = Path(pack_dir)
    m = json.loads((pack_dir / "manifest.json").read_text())
    a = m["audio"]
    sr = a["sampleRate"]
    raw = reference_waveform(sr, a["segmentSeconds"])
    x = zero_mean_unit_var(raw[None, :])
    (hs,) = ort_run(ort_session(pack_dir / a["encoder"]), {"input_values": x})
    feats = pool_and_concat(hs, a["layers"], a["pooling"])
    (emb,) = ort_run(ort_session(pack_dir / m["head"]["file"]), {"features": feats})
    emb = emb[0].astype(np.float64)
    emb_n = emb / np.linalg.norm(emb)
    le = OnnxLabelEncoder(pack_dir / m["labelEncoder"]["path"], m["labelEncoder"].get("promptTemplate", "{}"))
    labels = {}
    for text in REFERENCE_LABELS:
        e = le.embed([text])[0].astype(np.float64)
        labels[text] = {"inputIds": le.encode_ids(text), "embedding": _r(e), "cosine": round(float(emb_n @ e), 7)}
    vocabs = {}
    for v in m["vocabularies"]:
        E = le.embed(v["labels"]).astype(np.float64)
        cos = E @ emb_n
        top = [int(i) for i in np.argsort(-cos, kind="stable")[: v["topK"]]]
        vocabs[v["id"]] = {"cosines": _r(cos), "topK": v["topK"], "topIndices": top,
                           "topLabels": [v["labels"][i] for i in top]}
    return {
        "pack": m["id"],
        "tolerance": 1e-4,
        "note": "Values from onnxruntime (CPU, 1 thread) on the pack's ONNX files; label embeddings are "
                "sentence-transformers style (mean over tokens with the attention mask, then L2 normalise), "
                "one text per run without padding; cosine = dot of the L2-normalised head embedding and label embedding.",
        "waveform": {"formula": WAVEFORM_FORMULA, "sampleRate": sr, "samples": int(raw.size), "first": _r(raw[:16])},
        "normalizedInput": {"method": "(w - mean(w)) / sqrt(var(w) + 1e-7), population variance, float64",
                            "first": _r(x[0, :16]), "last": _r(x[0, -4:])},
        "hiddenStates": {"shape": list(hs.shape), "firstFrameLayer0First8": _r(hs[0, 0, 0, :8]),
                         "lastLayerFrame10First8": _r(hs[0, -1, 10, :8])},
        "features": {"layers": a["layers"], "pooling": a["pooling"], "values": _r(feats[0])},
        "embedding": {"raw": _r(emb), "normalized": _r(emb_n)},
        "labels": labels,
        "vocabularies": vocabs,
    }


def make_tiny_packs(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    make_tiny_joint(out / "tiny-joint")
    ref = compute_reference(out / "tiny-joint")
    write_json(out / "reference.json", ref)
    from .clap import compute_clap_reference, make_tiny_clap

    _, audio, text, _ = make_tiny_clap(out / "tiny-clap")
    ref_clap, _parity = compute_clap_reference(out / "tiny-clap", (audio, text))
    write_json(out / "reference-clap.json", ref_clap)
    return {"tiny-joint": pack_size(out / "tiny-joint"), "tiny-clap": pack_size(out / "tiny-clap")}


def make_mert_random_pack(out_dir, seed=0, head_kind="mlp"):
    """MERT-v1-95M-shaped encoder with random weights (~380 MB), random 3072->384 MLP head per the paper, and a
    random label encoder with all-MiniLM-L6-v2's architecture and size (6 x 384, minilm.py). For benchmarks; never
    commit it."""
    pack_dir = Path(out_dir)
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    (pack_dir / "audio").mkdir(parents=True)
    cfg = mert_v1_95m_config()
    hubert = random_hubert(cfg, seed=seed)
    n_params = sum(p.numel() for p in hubert.parameters())
    export_encoder(hubert, pack_dir / "audio" / "encoder.onnx", 24000, seconds=1.0)
    del hubert
    from .minilm import build_minilm_random

    dim, _ = build_minilm_random(pack_dir / "label-encoder", seed=seed + 2)
    torch.manual_seed(seed + 3)
    head = MLPHead(3072, 384).eval()
    export_head(head, 3072, pack_dir / "head" / "head.onnx")
    manifest = _joint_manifest(
        "mert-random", "MERT-v1-95M-shaped encoder, random weights (benchmark)",
        f"HubertModel with MERT-v1-95M's shape ({n_params / 1e6:.1f} M parameters, 12 x 768, 24 kHz), random weights; "
        "random paper-sized MLP head 3072->3072->3072->384; random label encoder with all-MiniLM-L6-v2's size "
        "(BERT 6 x 384, vocabulary 30522). Benchmarks only.",
        24000, [3, 6, 9, 12], 768, 3072, 384, "training/moodshelf_train/tiny.py (export-encoder --random-init)")
    write_manifest(pack_dir, manifest)
    return pack_size(pack_dir), n_params
