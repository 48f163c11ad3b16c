"""torch.distributed helpers: works under torchrun (env://) and standalone with world size 1 (gloo, CPU)."""

import os
import socket

import torch.distributed as dist


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def setup(force=False, backend=None):
    """Initialise the process group when launched by torchrun (WORLD_SIZE set) or when force=True
    (world size 1). Returns (rank, world_size, active)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), True
    if "WORLD_SIZE" not in os.environ and not force:
        return 0, 1, False
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(_free_port()))
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    import torch

    backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    dist.init_process_group(backend=backend, init_method="env://")
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    return dist.get_rank(), dist.get_world_size(), True


def teardown():
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def is_main():
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0
