"""Where and how training runs: device (`--device auto|cpu|cuda`), mixed precision (bf16/fp16 autocast on GPU),
DataLoader workers, checkpoints that resume. Used by the trainer (train.py) and the device check.

Settings live in cfg["runtime"] (written by the CLI, recorded in the run's config.json):
  {"device": "auto"|"cpu"|"cuda"|"cuda:N", "precision": "auto"|"fp32"|"bf16"|"fp16", "workers": int,
   "checkpoint_dir": path or null, "resume": bool}
`Runtime.from_config(cfg)` resolves them. Typical use in a training loop:

    rt = Runtime.from_config(cfg)                     # device, autocast dtype, scaler, workers
    model = rt.prepare(model)                         # moved to the device
    ddp_model = rt.wrap_ddp(model) if distributed else model
    ck = rt.checkpointer(tag)                         # <checkpoint_dir>/<tag>.pt, or None
    state = ck.load(rt.device) if ck and rt.resume else None
    start = ck.restore(state, model=model, optimizer=opt, scheduler=sched, scaler=rt.scaler, generators=[g]) if state else 0
    for epoch in range(start, epochs):
        for batch in rt.loader(dataset, batch_size, generator=g): ...
            x = rt.to(x)
            with rt.autocast():
                loss = ...
            rt.step(loss, opt)                        # backward (+ GradScaler with fp16), optimizer step
        ... validation, scheduler ...
        if ck: ck.save(epoch, model=model, optimizer=opt, scheduler=sched, scaler=rt.scaler, generators=[g], extra={...})
"""

import contextlib
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")
PRECISION_CHOICES = ("auto", "fp32", "bf16", "fp16")


class DeviceError(RuntimeError):
    pass


def cuda_available():
    return torch.cuda.is_available() and torch.cuda.device_count() > 0


def resolve_device(spec="auto", local_rank=None):
    """torch.device for `spec`: "auto" = CUDA when a GPU is visible, else CPU; "cuda" without a GPU is an error.
    Under torchrun (LOCAL_RANK set) a CUDA device is cuda:LOCAL_RANK."""
    spec = (spec or "auto").strip().lower()
    if spec not in DEVICE_CHOICES and not spec.startswith("cuda:"):
        raise DeviceError(f"unknown device {spec!r} (auto, cpu, cuda, cuda:N)")
    if spec == "cpu" or (spec == "auto" and not cuda_available()):
        return torch.device("cpu")
    if not cuda_available():
        raise DeviceError(f"--device {spec}: no CUDA GPU is visible to PyTorch "
                          f"(torch {torch.__version__}, CUDA build {torch.version.cuda or 'none'})")
    if spec.startswith("cuda:"):
        idx = int(spec.split(":", 1)[1])
    else:
        idx = int(local_rank if local_rank is not None else os.environ.get("LOCAL_RANK", 0))
    if idx >= torch.cuda.device_count():
        raise DeviceError(f"cuda:{idx} requested but only {torch.cuda.device_count()} GPU(s) are visible")
    return torch.device("cuda", idx)


def resolve_precision(spec, device):
    """"fp32" | "bf16" | "fp16". auto: bf16 on a GPU that supports it (fp16 otherwise), fp32 on CPU. Mixed
    precision is GPU-only here: on CPU any choice but fp32 is an error."""
    spec = (spec or "auto").strip().lower()
    if spec not in PRECISION_CHOICES:
        raise DeviceError(f"unknown precision {spec!r} ({', '.join(PRECISION_CHOICES)})")
    if device.type != "cuda":
        if spec in ("bf16", "fp16"):
            raise DeviceError(f"--precision {spec} needs a CUDA device (running on {device})")
        return "fp32"
    if spec == "auto":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return spec


def backend_for(device):
    """torch.distributed backend for a device: NCCL for CUDA, gloo for CPU."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


_AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class Runtime:
    device: torch.device
    precision: str = "fp32"
    workers: int = 0
    checkpoint_dir: Optional[Path] = None
    resume: bool = False
    scaler: Optional[object] = None

    @classmethod
    def create(cls, device="auto", precision="auto", workers=0, checkpoint_dir=None, resume=False, local_rank=None):
        dev = resolve_device(device, local_rank)
        prec = resolve_precision(precision, dev)
        scaler = torch.amp.GradScaler("cuda") if prec == "fp16" else None
        return cls(dev, prec, int(workers or 0), Path(checkpoint_dir) if checkpoint_dir else None, bool(resume), scaler)

    @classmethod
    def from_config(cls, cfg=None, local_rank=None):
        rc = dict((cfg or {}).get("runtime") or {})
        return cls.create(rc.get("device", "auto"), rc.get("precision", "auto"), rc.get("workers", 0),
                          rc.get("checkpoint_dir"), rc.get("resume", False), local_rank)

    @property
    def amp_dtype(self):
        return _AMP_DTYPES.get(self.precision)

    @property
    def pin_memory(self):
        return self.device.type == "cuda"

    def describe(self):
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "cpu"
        return f"{self.device} ({name}), precision {self.precision}, workers {self.workers}"

    def autocast(self):
        """Autocast context for the forward pass and loss (bf16/fp16 on CUDA; a no-op in fp32)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def to(self, x):
        """Tensor (or tuple/list/dict of tensors) onto the device (non-blocking from pinned memory)."""
        if isinstance(x, torch.Tensor):
            return x.to(self.device, non_blocking=self.pin_memory)
        if isinstance(x, (list, tuple)):
            return type(x)(self.to(v) for v in x)
        if isinstance(x, dict):
            return {k: self.to(v) for k, v in x.items()}
        return x

    def prepare(self, model):
        return model.to(self.device)

    def wrap_ddp(self, model):
        from torch.nn.parallel import DistributedDataParallel as DDP

        if self.device.type == "cuda":
            return DDP(model, device_ids=[self.device.index], output_device=self.device.index)
        return DDP(model)

    def step(self, loss, optimizer, clip=None, parameters=None):
        """backward + optimizer step (GradScaler with fp16); optional grad-norm clipping."""
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            if clip:
                self.scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(parameters, clip)
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(parameters, clip)
            optimizer.step()

    def loader(self, dataset, batch_size, shuffle=True, generator=None, drop_last=False, sampler=None,
               collate_fn=None):
        """DataLoader with this runtime's workers and pinning. With workers > 0 the worker processes are
        persistent and seeded from `generator` (so runs repeat)."""
        from torch.utils.data import DataLoader

        kw = {}
        if self.workers > 0:
            kw.update(num_workers=self.workers, persistent_workers=True, prefetch_factor=4,
                      worker_init_fn=_seed_worker)
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle if sampler is None else False,
                          sampler=sampler, generator=generator, drop_last=drop_last, pin_memory=self.pin_memory,
                          collate_fn=collate_fn, **kw)

    def checkpointer(self, tag):
        """Checkpointer for <checkpoint_dir>/<tag>.pt, or None when checkpoints are off."""
        return Checkpointer(self.checkpoint_dir / f"{_safe(tag)}.pt") if self.checkpoint_dir else None

    def synchronize(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


def _seed_worker(worker_id):
    s = torch.initial_seed() % 2**32
    np.random.seed(s)
    random.seed(s)


def _safe(tag):
    return "".join(c if c.isalnum() or c in "+-_.=" else "_" for c in str(tag))


def rng_state(generators=()):
    """Every random state a resumed run needs to continue identically."""
    st = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
          "generators": [g.get_state() for g in generators]}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def set_rng_state(st, generators=()):
    random.setstate(st["python"])
    np.random.set_state(st["numpy"])
    torch.set_rng_state(st["torch"].cpu())
    for g, s in zip(generators, st.get("generators", [])):
        g.set_state(s.cpu())
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in st["cuda"]])


class Checkpointer:
    """One file per training run, rewritten atomically after every epoch: model, optimizer, scheduler, GradScaler,
    every RNG state (Python, NumPy, torch CPU/CUDA, the given torch Generators) and `extra` (history, best state,
    ...). Only rank 0 writes (call save on every rank; the others return)."""

    def __init__(self, path):
        self.path = Path(path)

    def exists(self):
        return self.path.exists()

    def save(self, epoch, model=None, optimizer=None, scheduler=None, scaler=None, generators=(), extra=None):
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized() and dist.get_rank() != 0:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        state = {"format": "moodshelf-checkpoint-1", "epoch": int(epoch), "rng": rng_state(generators),
                 "extra": extra or {}}
        for k, o in (("model", _unwrap(model)), ("optimizer", optimizer), ("scheduler", scheduler), ("scaler", scaler)):
            if o is not None:
                state[k] = o.state_dict()
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)
        return self.path

    def load(self, map_location="cpu"):
        """The saved state, or None when there is none."""
        if not self.path.exists():
            return None
        return torch.load(self.path, map_location=map_location, weights_only=False)

    @staticmethod
    def restore(state, model=None, optimizer=None, scheduler=None, scaler=None, generators=()):
        """Load `state` into the objects and the RNGs; returns the epoch to continue from (saved epoch + 1)."""
        for k, o in (("model", _unwrap(model)), ("optimizer", optimizer), ("scheduler", scheduler), ("scaler", scaler)):
            if o is not None and k in state:
                o.load_state_dict(state[k])
        set_rng_state(state["rng"], generators)
        return int(state["epoch"]) + 1


def _unwrap(model):
    return getattr(model, "module", model)


class SegmentRows(torch.utils.data.Dataset):
    """Rows of a SegmentDataset as a torch Dataset: item i = (features of row rows[i], hidden states `layers`
    concatenated, float32 [len(layers) * H]; rows[i]). Reads the (memory-mapped) features lazily, so DataLoader
    workers (Runtime.workers) do the I/O; nothing is materialised up front."""

    def __init__(self, dataset, layers, rows=None):
        self.d = dataset
        self.layers = list(layers)
        self.rows = np.arange(len(dataset.track)) if rows is None else np.asarray(rows, dtype=np.int64)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        r = int(self.rows[i])
        f = np.asarray(self.d.features[r], dtype=np.float32)
        x = f if f.ndim == 1 else f[self.layers].reshape(-1)
        return torch.from_numpy(np.ascontiguousarray(x)), r
