"""torch.distributed helpers: works under torchrun (env://) and standalone with world size 1.

The backend follows the device the run trains on (runtime.resolve_device): NCCL when it is a CUDA device (each rank
on cuda:LOCAL_RANK), gloo on CPU. The device comes from `setup(device=...)`, else from `configure(device=...)`
(the CLI's --device), else "auto"; so a CPU run on a machine with GPUs uses gloo, and tensors must live on
`device()`."""

import os
import socket

import torch.distributed as dist

_state = {"device_spec": "auto", "device": None, "backend": None, "env_set": []}
_ENV = ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE")


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def configure(device="auto"):
    """The device spec that `setup` uses when it is not given one (auto, cpu, cuda, cuda:N)."""
    _state["device_spec"] = device or "auto"


def setup(force=False, backend=None, device=None):
    """Initialise the process group when launched by torchrun (WORLD_SIZE set) or when force=True
    (world size 1). Returns (rank, world_size, active). device: the training device spec (default: the configured
    one); backend: override (default NCCL for CUDA, gloo for CPU)."""
    from .runtime import backend_for, resolve_device

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), True
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    dev = resolve_device(device or _state["device_spec"], local_rank)
    _state["device"] = dev
    if "WORLD_SIZE" not in os.environ and not force:
        return 0, 1, False
    # standalone (world size 1): the rendezvous variables set here are removed again by teardown(), so a later
    # setup() in this process (or a child process) does not take them for a torchrun launch
    defaults = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": None, "RANK": "0", "WORLD_SIZE": "1"}
    for k in _ENV:
        if k not in os.environ:
            os.environ[k] = defaults[k] or str(_free_port())
            _state["env_set"].append(k)
    backend = backend or backend_for(dev)
    if backend == "nccl":
        import torch

        if dev.type != "cuda":
            raise RuntimeError("the NCCL backend needs a CUDA device (use gloo on CPU)")
        torch.cuda.set_device(dev)
        dist.init_process_group(backend=backend, init_method="env://", device_id=dev)
    else:
        dist.init_process_group(backend=backend, init_method="env://")
    _state["backend"] = backend
    return dist.get_rank(), dist.get_world_size(), True


def device():
    """The device chosen by the last `setup` (resolved from the configured spec if setup has not run)."""
    if _state["device"] is None:
        from .runtime import resolve_device

        _state["device"] = resolve_device(_state["device_spec"], int(os.environ.get("LOCAL_RANK", 0)))
    return _state["device"]


def backend():
    """The process group's backend ("nccl" / "gloo"), or None when not distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_backend()
    return None


def teardown():
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    for k in _state["env_set"]:
        os.environ.pop(k, None)
    _state["env_set"] = []
    _state["backend"] = None


def is_main():
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0
