"""Devices and scale on CPU: device / precision / backend selection, tensors on the chosen device, DDP world size 1
(gloo on CPU), DataLoader workers, checkpoints that resume to the same next-step loss, and the GPU check's clear exit
when no GPU is present."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from moodshelf_train import dist, runtime
from moodshelf_train.runtime import Checkpointer, DeviceError, Runtime, SegmentRows, backend_for, resolve_device, resolve_precision

TRAINING = Path(__file__).resolve().parents[1]
HAS_CUDA = torch.cuda.is_available()


def test_device_selection(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(runtime, "cuda_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device(None) == torch.device("cpu")
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu")
    # with GPUs visible: auto = cuda, on LOCAL_RANK's GPU under torchrun
    monkeypatch.setattr(runtime, "cuda_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("auto", local_rank=0) == torch.device("cuda", 0)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert resolve_device("cuda") == torch.device("cuda", 1)
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    with pytest.raises(DeviceError, match="only 2 GPU"):
        resolve_device("cuda:3")


def test_precision_and_backend(monkeypatch):
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu) == "fp32" and resolve_precision("fp32", cpu) == "fp32"
    with pytest.raises(DeviceError, match="needs a CUDA device"):
        resolve_precision("bf16", cpu)
    gpu = torch.device("cuda", 0)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert resolve_precision("auto", gpu) == "bf16" and resolve_precision("fp16", gpu) == "fp16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert resolve_precision("auto", gpu) == "fp16"
    assert backend_for(gpu) == "nccl" and backend_for(cpu) == "gloo" and backend_for("cpu") == "gloo"


def test_cpu_runtime_moves_tensors_and_autocast_is_a_no_op():
    rt = Runtime.create("cpu", "auto", workers=0)
    assert rt.device.type == "cpu" and rt.precision == "fp32" and rt.scaler is None and rt.amp_dtype is None
    x = rt.to({"a": torch.ones(2), "b": [torch.zeros(1)]})
    assert x["a"].device == rt.device and x["b"][0].device == rt.device
    with rt.autocast():
        y = torch.nn.Linear(3, 2)(torch.ones(1, 3))
    assert y.dtype == torch.float32
    cfg_rt = Runtime.from_config({"runtime": {"device": "cpu", "workers": 3, "checkpoint_dir": "/tmp/x", "resume": True}})
    assert cfg_rt.workers == 3 and cfg_rt.resume and cfg_rt.checkpointer("a+b-alignment").path == Path("/tmp/x/a+b-alignment.pt")


def test_ddp_backend_follows_the_device():
    """World size 1 on CPU: gloo even where GPUs would be visible (tensors stay on the CPU there)."""
    rank, world, active = dist.setup(force=True, device="cpu")
    try:
        assert (rank, world, active) == (0, 1, True)
        assert dist.backend() == "gloo" and dist.device() == torch.device("cpu")
        rt = Runtime.create("cpu")
        model = rt.wrap_ddp(rt.prepare(torch.nn.Linear(4, 2)))
        model(torch.ones(3, 4)).sum().backward()
    finally:
        dist.teardown()
    dist.configure("auto")


@pytest.fixture(scope="module")
def small():
    from moodshelf_train.synthetic import make_synthetic

    return make_synthetic({"tracks": {"mtg-jamendo": 40, "cal500": 30, "emotify": 30}}, seed=0)


def test_loader_workers_give_the_same_batches(small):
    d = small["cal500"]
    layers = [3, 6, 9, 12]
    ds = SegmentRows(d, layers, d.rows_of(0))
    got = []
    for w in (0, 2):
        rt = Runtime.create("cpu", workers=w)
        got.append([(x.clone(), r.clone()) for x, r in rt.loader(ds, 16, generator=torch.Generator().manual_seed(5))])
    assert len(got[0]) == len(got[1])
    for (x0, r0), (x1, r1) in zip(*got):
        assert torch.equal(r0, r1) and torch.equal(x0, x1)
    ref = d.select(layers)
    np.testing.assert_array_equal(got[0][0][0].numpy(), ref[got[0][0][1].numpy()])


def _mini_train(d, ck, epochs, seed_init, resume, steps_per_epoch=3, record_epoch=None):
    """A small training loop on the Runtime pieces (head with dropout, negatives from a Generator, AdamW,
    ReduceLROnPlateau, numpy and python RNG use) that checkpoints every epoch. Returns the first-step loss of
    `record_epoch`."""
    import random

    from moodshelf_train.heads import build_head
    from moodshelf_train.losses import triplet_cosine_loss

    rt = Runtime.create("cpu")
    torch.manual_seed(seed_init)
    layers = [3, 6, 9, 12]
    x_all = torch.from_numpy(d.select(layers))
    E = torch.from_numpy(d.space.expanded)
    y_all = torch.zeros(len(d.track), len(d.space.labels), dtype=torch.bool)
    for r, t in enumerate(d.track):
        y_all[r, d.track_labels[t]] = True
    model = rt.prepare(build_head("mlp", x_all.shape[1], E.shape[1], hidden_dim=32, dropout=0.3))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0)
    g = torch.Generator().manual_seed(99)
    start = 0
    state = ck.load() if resume else None
    if state:
        start = Checkpointer.restore(state, model=model, optimizer=opt, scheduler=sched, generators=[g])
    recorded = None
    for epoch in range(start, epochs):
        model.train()
        perm = torch.randperm(len(x_all), generator=g)
        noise = np.random.rand() + random.random()  # the global RNGs are part of the state too
        for i in range(steps_per_epoch):
            idx = perm[i * 8:(i + 1) * 8]
            y = y_all[idx]
            a = F.normalize(model(rt.to(x_all[idx])), dim=-1)
            nidx = torch.multinomial((~y).float(), 5, replacement=True, generator=g)
            loss = triplet_cosine_loss(a, (y.float() @ E) / y.sum(1, keepdim=True), E[nidx].mean(1)) + 0 * noise
            if epoch == record_epoch and i == 0:
                recorded = float(loss.detach())
            opt.zero_grad()
            rt.step(loss, opt)
        sched.step(float(-epoch))  # a falling "validation" score: the LR drops, and must be restored
        ck.save(epoch, model=model, optimizer=opt, scheduler=sched, generators=[g], extra={"epoch_loss": float(loss.detach())})
    return recorded, opt.param_groups[0]["lr"]


def test_checkpoint_resume_gives_the_same_next_step_loss(small, tmp_path):
    d = small["mtg-jamendo"]
    full = Checkpointer(tmp_path / "full.pt")
    ref, ref_lr = _mini_train(d, full, epochs=3, seed_init=0, resume=False, record_epoch=2)
    # a run stopped after 2 epochs, then resumed from its checkpoint with fresh objects (another init seed)
    part = Checkpointer(tmp_path / "part.pt")
    _mini_train(d, part, epochs=2, seed_init=0, resume=False)
    st = part.load()
    assert st["epoch"] == 1 and "scheduler" in st and st["extra"]["epoch_loss"] > 0
    torch.manual_seed(12345)
    np.random.seed(7)
    got, got_lr = _mini_train(d, part, epochs=3, seed_init=777, resume=True, record_epoch=2)
    assert got == ref and got_lr == ref_lr
    assert part.load()["epoch"] == 2


def test_cli_device_cuda_without_gpu_is_a_clear_error():
    if HAS_CUDA:
        pytest.skip("a GPU is visible")
    r = subprocess.run([sys.executable, "-m", "moodshelf_train", "reproduce", "--synthetic", "--device", "cuda",
                        "--no-export"], cwd=TRAINING, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "no CUDA GPU" in r.stderr
    r = subprocess.run([sys.executable, "-m", "moodshelf_train", "device-check", "--steps", "1"], cwd=TRAINING,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no CUDA GPU" in r.stdout


def test_gpu_check_script_exits_clearly_without_gpu():
    if HAS_CUDA:
        pytest.skip("a GPU is visible: run scripts/gpu-check.sh itself")
    r = subprocess.run(["bash", str(TRAINING / "scripts" / "gpu-check.sh")], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "PYTHON": sys.executable})
    assert r.returncode == 2 and "no CUDA GPU is visible" in r.stderr and "nothing was checked" in r.stderr


def test_device_check_runs_on_cpu(tmp_path):
    """The GPU check's code path, tiny and on CPU (gloo, fp32): data in the paper's layout, steps, resume, validation."""
    import json

    out = tmp_path / "dc.json"
    r = subprocess.run([sys.executable, "-m", "moodshelf_train", "device-check", "--device", "cpu", "--steps", "2",
                        "--tracks", "24", "--batch-size", "8", "--hidden", "64", "--head", "mlp", "--workers", "0",
                        "--json", str(out)], cwd=TRAINING, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads(out.read_text())
    assert rep["ok"] and rep["backend"] == "gloo" and rep["resume"]["abs_diff"] == 0.0
    assert rep["data"]["mtg_train_source"][1:3] == [1, 13] and rep["data"]["index_fields"] == ["track_id", "start", "end"]
