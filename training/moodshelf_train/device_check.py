"""`device-check`: a few steps of paper-size training on synthetic features, to check a GPU machine end to end
(training/scripts/gpu-check.sh runs it under torchrun, world size 1, NCCL).

What it exercises: the paper's on-disk layout ([N, 1, 13, 768] float32 features, structured .npy index, MTG-Jamendo
as three split files) written and read back by the real readers; Runtime (device, autocast bf16/fp16, DataLoader
workers over the memory-mapped rows, pinned memory); DDP on the NCCL backend with tensors on the GPU; the paper's
attention head (3072 -> 384, 16.8 M parameters) with batch 256 per dataset, triplet loss per dataset summed plus the
alignment regulariser over all anchors (cluster ids from clusters.fold_cluster_map); a checkpoint saved and restored
into fresh objects giving the same next-step loss; the validation path (cached layer selection, cosine top-k).
Exit status: 0 ok, 2 no usable device, 1 a check failed."""

import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import dist
from .runtime import Checkpointer, DeviceError, Runtime, SegmentRows

TRAIN = ("mtg-jamendo", "cal500")
LAYERS = [3, 6, 9, 12]


def _say(*a):
    if dist.is_main():
        print(*a, flush=True)


def _fold_tensors(datasets, clusters, device):
    """Per dataset: multi-hot labels per segment row [N, V_d] (bool), expanded label vectors [V_d, 384], the
    global cluster id of each of its labels."""
    out = {}
    for n, d in datasets.items():
        V = len(d.space.labels)
        y = np.zeros((len(d.track), V), dtype=bool)
        for r, t in enumerate(d.track):
            y[r, d.track_labels[t]] = True
        out[n] = {"y": torch.from_numpy(y).to(device), "E": torch.from_numpy(d.space.expanded).to(device),
                  "cid": torch.tensor(clusters["assignments"][n], device=device)}
    return out


def _step_loss(model, batches, tens, g, rt, lam=2.5, n_neg=5):
    """One training step's loss: per-dataset triplet losses summed + the v2 regulariser over all anchors."""
    from .losses import alignment_regularizer, triplet_cosine_loss

    total, anchors, ids = 0.0, [], []
    for n, (x, rows) in batches.items():
        x = rt.to(x)
        rows = rows.to(rt.device)
        T = tens[n]
        y = T["y"][rows]
        with rt.autocast():
            a = model(x)
        a = F.normalize(a.float(), dim=-1)
        pos = (y.float() @ T["E"]) / y.sum(1, keepdim=True)
        negw = (~y).float()
        nidx = torch.multinomial(negw.cpu(), n_neg, replacement=True, generator=g).to(rt.device)
        neg = T["E"][nidx].mean(1)
        total = total + triplet_cosine_loss(a, pos, neg)
        pick = torch.multinomial(y.float().cpu(), 1, generator=g).squeeze(1).to(rt.device)
        anchors.append(a)
        ids.append(T["cid"][pick])
    return total + alignment_regularizer(torch.cat(anchors), torch.cat(ids), lam)


def device_check(a):
    t_start = time.time()
    try:
        rt = Runtime.create(a.device, a.precision, a.workers)
    except DeviceError as e:
        print(f"device-check: {e}", flush=True)
        return 2
    rank, world, active = dist.setup(force=True, device=str(rt.device))
    report = {"device": str(rt.device), "precision": rt.precision, "workers": rt.workers, "world_size": world,
              "backend": dist.backend(), "torch": torch.__version__, "cuda": torch.version.cuda}
    if rt.device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(rt.device)
    _say(f"device-check: {rt.describe()}, world size {world}, backend {dist.backend()}")
    ok = True
    tmp = None
    try:
        from .clusters import fold_cluster_map
        from .data import load_label_embeddings, load_paper_input
        from .heads import build_head
        from .synthetic import write_synthetic

        out = Path(a.out) if a.out else Path(tmp := tempfile.mkdtemp(prefix="moodshelf-device-check-"))
        spaces = load_label_embeddings()
        t = time.time()
        params = {"hidden": a.hidden, "tracks": {n: a.tracks for n in ("mtg-jamendo", "cal500", "emotify")}}
        if dist.is_main():
            write_synthetic(out, params, seed=0, label_spaces=spaces)
        if active:
            torch.distributed.barrier()
        src = np.load(out / "input" / "mtg_train_source.npy", mmap_mode="r")
        idx = np.load(out / "input" / "mtg_train_index.npy", mmap_mode="r")
        datasets = load_paper_input(out / "input", list(TRAIN), out / "annotations", spaces)
        report["data"] = {"mtg_train_source": list(src.shape), "dtype": str(src.dtype), "index_fields": list(idx.dtype.names),
                          "segments": {n: int(len(d.track)) for n, d in datasets.items()}, "seconds": time.time() - t}
        _say(f"  data: mtg_train_source.npy {tuple(src.shape)} {src.dtype}, index fields {idx.dtype.names}, "
             f"segments {report['data']['segments']} ({report['data']['seconds']:.1f}s)")
        assert src.ndim == 4 and src.shape[1] == 1 and src.shape[2] == 13, src.shape

        clusters = fold_cluster_map(list(TRAIN), spaces)
        assert clusters["nClusters"] == 42, clusters["nClusters"]
        tens = _fold_tensors(datasets, clusters, rt.device)
        torch.manual_seed(0)
        in_dim = len(LAYERS) * a.hidden
        head = rt.prepare(build_head(a.head, in_dim, 384))
        n_params = sum(p.numel() for p in head.parameters())
        model = rt.wrap_ddp(head) if active else head
        assert next(head.parameters()).device == rt.device
        opt = torch.optim.AdamW(head.parameters(), lr=1e-4, weight_decay=0.01)
        g = torch.Generator().manual_seed(1)
        loaders = {}
        for n, d in datasets.items():
            rows = d.rows_of(0)
            rows = rows[rank::world]
            loaders[n] = rt.loader(SegmentRows(d, LAYERS, rows), a.batch_size, shuffle=True,
                                   generator=torch.Generator().manual_seed(2), drop_last=True)
        iters = {n: iter(l) for n, l in loaders.items()}

        def next_batches():
            out_b = {}
            for n in loaders:
                try:
                    out_b[n] = next(iters[n])
                except StopIteration:  # max_size_cycle: the shorter loader starts over
                    iters[n] = iter(loaders[n])
                    out_b[n] = next(iters[n])
            return out_b

        model.train()
        losses, times = [], []
        for step in range(a.steps):
            b = next_batches()
            t = time.time()
            loss = _step_loss(model, b, tens, g, rt)
            opt.zero_grad(set_to_none=True)
            rt.step(loss, opt)
            rt.synchronize()
            times.append(time.time() - t)
            losses.append(float(loss.detach()))
        assert all(np.isfinite(losses)), losses
        steady = times[3:] or times
        seg_per_step = a.batch_size * len(loaders) * world
        report["train"] = {"head": a.head, "parameters": n_params, "steps": a.steps, "first_loss": losses[0],
                           "last_loss": losses[-1], "step_ms": 1000 * float(np.median(steady)),
                           "segments_per_s": seg_per_step / float(np.median(steady))}
        _say(f"  train: {a.head} head {n_params / 1e6:.1f} M params, {a.steps} steps of {a.batch_size}/dataset, loss "
             f"{losses[0]:.4f} -> {losses[-1]:.4f}, {report['train']['step_ms']:.1f} ms/step "
             f"({report['train']['segments_per_s']:.0f} segments/s)")
        if rt.device.type == "cuda":
            report["train"]["peak_memory_mb"] = torch.cuda.max_memory_allocated(rt.device) / 2**20

        # checkpoint -> next-step loss equals the one after restoring into fresh objects
        ck = Checkpointer(out / "checkpoints" / "device-check.pt")
        ck.save(0, model=model, optimizer=opt, scaler=rt.scaler, generators=[g])
        b = next_batches()
        ref = float(_step_loss(model, b, tens, g, rt).detach())
        torch.manual_seed(123)
        head2 = rt.prepare(build_head(a.head, in_dim, 384))
        model2 = rt.wrap_ddp(head2) if active else head2
        opt2 = torch.optim.AdamW(head2.parameters(), lr=1e-4, weight_decay=0.01)
        g2 = torch.Generator()
        Checkpointer.restore(ck.load(rt.device), model=model2, optimizer=opt2, scaler=rt.scaler, generators=[g2])
        model2.train()
        again = float(_step_loss(model2, b, tens, g2, rt).detach())
        report["resume"] = {"loss": ref, "loss_after_restore": again, "abs_diff": abs(ref - again)}
        _say(f"  resume: next-step loss {ref:.6f}, after restoring the checkpoint {again:.6f}")
        if abs(ref - again) > 1e-4 * max(1.0, abs(ref)):
            ok = False
            _say("  FAILED: the restored run does not give the same next-step loss")

        # validation path: cached selection, cosine top-k on the device
        d = datasets["cal500"]
        t = time.time()
        x = d.select(LAYERS, split=1)
        assert d.select(LAYERS, split=1) is x  # cached
        head.eval()
        with torch.no_grad(), rt.autocast():
            s = F.normalize(head(rt.to(torch.from_numpy(x))).float(), dim=-1) @ tens["cal500"]["E"].t()
        top = s.topk(d.top_k, dim=1).indices
        report["validation"] = {"segments": int(len(x)), "seconds": time.time() - t, "scores": list(s.shape)}
        assert top.shape == (len(x), d.top_k)
        _say(f"  validation: {len(x)} segments scored on {s.device} ({report['validation']['seconds']:.2f}s)")
    except AssertionError as e:
        ok = False
        _say(f"  FAILED: {e!r}")
    finally:
        report["ok"] = ok
        report["seconds"] = time.time() - t_start
        if dist.is_main() and getattr(a, "json", None):
            Path(a.json).parent.mkdir(parents=True, exist_ok=True)
            Path(a.json).write_text(json.dumps(report, indent=1) + "\n")
        dist.teardown()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    _say(f"device-check: {'OK' if ok else 'FAILED'} in {report['seconds']:.1f}s")
    return 0 if ok else 1
