"""Export a trained head as a full model pack (docs/model-pack.md): encoder ONNX, head ONNX (parity-checked),
label encoder folder, vocabularies, clusters, manifest with sha256."""

import shutil
from pathlib import Path

from .encoder import export_encoder, load_mert, mert_v1_95m_config, random_hubert, tiny_hubert_config
from .export import export_head
from .label_encoder import build_tiny_bert
from .packs import write_manifest
from .tiny import _joint_manifest
from .vocab import vocabulary_entries


def export_pack(pack_dir, head, input_dim, output_dim, pack_cfg, layers, hidden, clusters=None, description="",
                datasets_trained=()):
    """pack_cfg: {id, version, name, encoder: {type: tiny-random|mert-random|mert|onnx, ...},
    labelEncoder: {type: tiny-random|folder, path}, sampleRate}. Returns (manifest, parity max diff)."""
    pack_dir = Path(pack_dir)
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    (pack_dir / "audio").mkdir(parents=True)
    enc = pack_cfg.get("encoder", {"type": "tiny-random"})
    sr = int(pack_cfg.get("sampleRate", 24000))
    enc_path = pack_dir / "audio" / "encoder.onnx"
    if enc["type"] == "tiny-random":
        cfg = tiny_hubert_config(hidden=hidden, layers=int(enc.get("layers", 12)), heads=int(enc.get("heads", 4)),
                                 intermediate=int(enc.get("intermediate", 2 * hidden)))
        export_encoder(random_hubert(cfg, seed=int(enc.get("seed", 1))), enc_path, sr)
    elif enc["type"] == "mert-random":
        export_encoder(random_hubert(mert_v1_95m_config(), seed=int(enc.get("seed", 0))), enc_path, sr)
    elif enc["type"] == "mert":
        export_encoder(load_mert(enc["path"]), enc_path, sr)
    elif enc["type"] == "onnx":
        shutil.copyfile(enc["path"], enc_path)
    else:
        raise ValueError(f"unknown encoder type {enc['type']!r}")
    le = pack_cfg.get("labelEncoder", {"type": "tiny-random"})
    if le["type"] == "folder":
        shutil.copytree(le["path"], pack_dir / "label-encoder")
    else:
        build_tiny_bert(pack_dir / "label-encoder", hidden=output_dim, layers=1, heads=4 if output_dim % 4 == 0 else 1,
                        intermediate=2 * output_dim, seed=int(le.get("seed", 2)), init_range=0.1)
    diff = export_head(head, input_dim, pack_dir / "head" / "head.onnx")
    m = _joint_manifest(pack_cfg.get("id", "moodshelf-head"), pack_cfg.get("name", "Moodshelf trained head"), description,
                        sr, list(layers), hidden, input_dim, output_dim, "training/moodshelf_train (reproduce/train)")
    m["version"] = str(pack_cfg.get("version", "1.0.0"))
    if le["type"] != "folder":
        m["description"] += (" Label encoder: tiny RANDOM BERT stand-in (dims match, meaning does not); "
                             "pass labelEncoder {type: folder, path: <all-MiniLM-L6-v2 transformers.js folder>} for real use.")
    m["vocabularies"] = vocabulary_entries()
    if clusters:
        m["clusters"] = {k: clusters[k] for k in ("method", "quantile", "nSamples", "bandwidth", "assignments")}
    if datasets_trained:
        m["trainedOn"] = list(datasets_trained)
    return write_manifest(pack_dir, m), diff
