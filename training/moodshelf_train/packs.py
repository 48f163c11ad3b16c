"""Model-pack helpers (docs/model-pack.md, formatVersion 1): manifest, sha256 and sizes of every file."""

import hashlib
import json
import os
from pathlib import Path

FORMAT_VERSION = 1


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_table(pack_dir):
    """{relative posix path: {sha256, size}} for every file except manifest.json, sorted."""
    pack_dir = Path(pack_dir)
    files = {}
    for p in sorted(pack_dir.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(pack_dir).as_posix()
        if rel == "manifest.json":
            continue
        files[rel] = {"sha256": sha256_file(p), "size": p.stat().st_size}
    return files


def write_json(path, obj):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_manifest(pack_dir, manifest):
    """Fill `files` from the folder contents and write manifest.json. Returns the manifest."""
    m = dict(manifest)
    m["formatVersion"] = FORMAT_VERSION
    m["files"] = file_table(pack_dir)
    # keep formatVersion first for readability
    ordered = {"formatVersion": FORMAT_VERSION}
    ordered.update({k: v for k, v in m.items() if k != "formatVersion"})
    write_json(Path(pack_dir) / "manifest.json", ordered)
    return ordered


def verify_pack(pack_dir):
    """Check every file of the manifest (sha256 and size) and that no file is unlisted. Returns list of errors."""
    pack_dir = Path(pack_dir)
    m = json.loads((pack_dir / "manifest.json").read_text())
    errors = []
    if m.get("formatVersion") != FORMAT_VERSION:
        errors.append(f"formatVersion {m.get('formatVersion')}")
    actual = file_table(pack_dir)
    for rel, info in m.get("files", {}).items():
        a = actual.get(rel)
        if a is None:
            errors.append(f"missing {rel}")
        elif a != info:
            errors.append(f"mismatch {rel}")
    for rel in actual:
        if rel not in m.get("files", {}):
            errors.append(f"unlisted {rel}")
    return errors


def pack_size(pack_dir):
    return sum(os.path.getsize(p) for p in Path(pack_dir).rglob("*") if p.is_file())
