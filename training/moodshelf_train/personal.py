"""A personal pack: an installed joint pack whose projection head is fine-tuned on the user's own accepted tags.

Input: the pack folder (manifest.json, head/head.onnx, label-encoder/) and a `moodshelf export-features` folder
(features.npy [N, layers+1, hidden], segments.json, labels.json with each track's accepted tags, and optionally
label-embeddings.json). The pack's head stays as it is; a linear adapter A (D x D) and bias b after it are
trained, starting at the identity (so the personal pack starts as the original pack) and regularised towards it
(`anchor` * (|A - I|^2 + |b|^2)), with the paper's triplet loss on L2-normalised outputs: the positive is the mean of
the segment's accepted labels' vectors, the negative the mean of 5 labels drawn from those it does not carry.
The head input is what the app feeds the head: the manifest's `audio.layers` rows of each exported segment,
concatenated. Labels are embedded with the pack's own label encoder (the app's text space) unless the export
has label-embeddings.json.

Output: a copy of the pack with head/head.onnx = the original head followed by the adapter (one ONNX graph,
input `features`, output `embedding`, parity-checked against numpy), id `<id>-personal`, and the files table
rewritten. Install it in the app like any pack folder (`moodshelf models install DIR`). The held-out figure
(tracks split 80/20, seeded) is the pairwise accuracy: how often a segment's accepted label scores above a label
it does not carry, before and after."""

import json
import shutil
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .losses import triplet_cosine_loss
from .onnx_util import ort_run, ort_session
from .packs import write_manifest


def _head_inputs(features, layers):
    """[N, layers+1, hidden] -> [N, len(layers) * hidden] as the app pools them (layers concatenated in order)."""
    return np.concatenate([np.asarray(features[:, l, :], dtype=np.float32) for l in layers], axis=1)


def _run_head(head_path, x, batch=512):
    sess = ort_session(head_path)
    out = [ort_run(sess, {"features": x[i : i + batch]})[0] for i in range(0, len(x), batch)]
    return np.concatenate(out, axis=0).astype(np.float32)


def _label_space(export_dir, pack_dir, manifest, labels):
    emb = Path(export_dir) / "label-embeddings.json"
    if emb.exists():
        raw = json.loads(emb.read_text())
        vectors = dict(zip(raw["labels"], np.asarray(raw.get("expanded") or raw["plain"], dtype=np.float32)))
        missing = [l for l in labels if l not in vectors]
        if missing:
            raise ValueError(f"label-embeddings.json has no vector for {missing[:5]}")
        m = np.stack([vectors[l] for l in labels])
    else:
        from .label_encoder import OnnxLabelEncoder

        enc = manifest["labelEncoder"]
        m = OnnxLabelEncoder(Path(pack_dir) / enc["path"], enc.get("promptTemplate", "{}")).embed(labels)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


def pairwise_accuracy(z, label_vecs, pos_sets):
    """Share of (segment, accepted label, other label) triples where the accepted label scores higher."""
    s = F.normalize(torch.as_tensor(z), dim=-1) @ torch.as_tensor(label_vecs).t()
    right = total = 0
    for i, pos in enumerate(pos_sets):
        neg = [j for j in range(label_vecs.shape[0]) if j not in pos]
        if not pos or not neg:
            continue
        sp = s[i, list(pos)][:, None]
        sn = s[i, neg][None, :]
        right += float((sp > sn).sum() + 0.5 * (sp == sn).sum())
        total += sp.numel() * sn.numel()
    return right / total if total else float("nan")


def _adapter_onnx(head_path, out_path, a, b):
    """The original head graph followed by y = x A^T + b, as one model with input `features`, output `embedding`."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(head_path))
    g = model.graph
    out_name = g.output[0].name
    raw = f"{out_name}__before_personal"
    for node in g.node:
        node.output[:] = [raw if o == out_name else o for o in node.output]
        node.input[:] = [raw if i == out_name else i for i in node.input]
    g.initializer.extend([
        numpy_helper.from_array(np.ascontiguousarray(a.T.astype(np.float32)), "personal_adapter_weight"),
        numpy_helper.from_array(b.astype(np.float32), "personal_adapter_bias"),
    ])
    mm = f"{out_name}__personal_mm"
    g.node.extend([
        helper.make_node("MatMul", [raw, "personal_adapter_weight"], [mm], name="personal_adapter_matmul"),
        helper.make_node("Add", [mm, "personal_adapter_bias"], [out_name], name="personal_adapter_add"),
    ])
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))


def personal_pack(pack_dir, export_dir, out_dir, epochs=200, lr=0.01, anchor=1.0, margin=1.0, seed=0):
    """Fine-tunes an adapter after the pack's head on the export's accepted tags and writes the personal pack.
    Returns a summary dict (segments, labels, held-out pairwise accuracy before and after, parity)."""
    pack_dir, export_dir, out_dir = Path(pack_dir), Path(export_dir), Path(out_dir)
    manifest = json.loads((pack_dir / "manifest.json").read_text())
    if manifest.get("kind", "joint") != "joint" or manifest.get("head", {}).get("type") != "onnx":
        raise ValueError(f"{pack_dir}: a personal pack needs a joint pack with an ONNX head")
    features = np.load(export_dir / "features.npy", mmap_mode="r")
    segments = json.loads((export_dir / "segments.json").read_text())
    tags = {str(k): v for k, v in json.loads((export_dir / "labels.json").read_text()).items()}
    if len(segments) != len(features):
        raise ValueError(f"segments.json has {len(segments)} rows, features.npy {len(features)}")
    labels = sorted({l for v in tags.values() for l in v})
    if len(labels) < 2:
        raise ValueError("the export needs accepted tags of at least 2 labels (accept some tags in the app first)")
    keep = [i for i, s in enumerate(segments) if tags.get(str(s["track"]))]
    if not keep:
        raise ValueError("no exported segment belongs to a track with accepted tags")
    head_path = pack_dir / manifest["head"]["file"]
    x = _head_inputs(np.asarray(features[keep]), manifest["audio"]["layers"])
    e = _run_head(head_path, x)
    label_vecs = _label_space(export_dir, pack_dir, manifest, labels).astype(np.float32)
    index = {l: j for j, l in enumerate(labels)}
    pos_sets = [{index[l] for l in tags[str(segments[i]["track"])]} for i in keep]

    tracks = sorted({str(segments[i]["track"]) for i in keep})
    rng = np.random.default_rng(seed)
    held = set(rng.permutation(tracks)[: max(1, len(tracks) // 5)].tolist()) if len(tracks) >= 5 else set()
    # A segment carrying every label has no negative: it cannot be trained or scored on.
    has_negative = np.array([len(p) < len(labels) for p in pos_sets])
    is_train = np.array([str(segments[i]["track"]) not in held for i in keep]) & has_negative
    is_test = np.array([str(segments[i]["track"]) in held for i in keep]) & has_negative

    torch.manual_seed(seed)
    d = e.shape[1]
    a = torch.eye(d, requires_grad=True)
    bias = torch.zeros(d, requires_grad=True)
    opt = torch.optim.Adam([a, bias], lr=lr)
    et = torch.as_tensor(e[is_train])
    lv = torch.as_tensor(label_vecs)
    train_pos = [p for p, t in zip(pos_sets, is_train) if t]
    positive = torch.stack([F.normalize(lv[list(p)].mean(0), dim=-1) for p in train_pos])
    others = [np.array([j for j in range(len(labels)) if j not in p]) for p in train_pos]
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        draws = [o[torch.randint(len(o), (5,), generator=g).numpy()] for o in others]
        negative = torch.stack([F.normalize(lv[list(dr)].mean(0), dim=-1) for dr in draws])
        z = F.normalize(et @ a.t() + bias, dim=-1)
        loss = triplet_cosine_loss(z, positive, negative, margin) + anchor * (((a - torch.eye(d)) ** 2).sum() + (bias**2).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
    a_np, b_np = a.detach().numpy(), bias.detach().numpy()

    test_pos = [p for p, t in zip(pos_sets, is_test) if t]
    before = pairwise_accuracy(e[is_test], label_vecs, test_pos) if is_test.any() else float("nan")
    after = pairwise_accuracy(e[is_test] @ a_np.T + b_np, label_vecs, test_pos) if is_test.any() else float("nan")

    if out_dir.exists():
        shutil.rmtree(out_dir)
    shutil.copytree(pack_dir, out_dir)
    out_head = out_dir / manifest["head"]["file"]
    _adapter_onnx(head_path, out_head, a_np, b_np)
    (got,) = ort_run(ort_session(out_head), {"features": x[: min(len(x), 16)]})
    want = e[: len(got)] @ a_np.T + b_np
    parity = float(np.abs(got - want).max())
    if not parity <= 1e-4:
        raise RuntimeError(f"personal head ONNX parity failed: max abs diff {parity:.3g}")
    m = {k: v for k, v in manifest.items() if k != "files"}
    m["id"] = f"{manifest['id']}-personal"
    m["name"] = f"{manifest.get('name', manifest['id'])} (personal)"
    m["description"] = (manifest.get("description", "") + f" Personal: head fine-tuned on {len(tracks)} tagged tracks "
                        f"({len(labels)} labels) with a linear adapter regularised towards the identity.").strip()
    m["source"] = "training/moodshelf_train/personal.py (personal-pack)"
    write_manifest(out_dir, m)
    return {"segments": len(keep), "tracks": len(tracks), "labels": len(labels), "heldOutTracks": len(held),
            "pairwiseBefore": before, "pairwiseAfter": after, "adapterDistance": float(np.linalg.norm(a_np - np.eye(d))),
            "parity": parity, "pack": str(out_dir), "id": m["id"]}
