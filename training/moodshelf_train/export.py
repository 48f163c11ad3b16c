"""Head export to ONNX (input `features`, output `embedding`) with a parity check against PyTorch."""

from pathlib import Path

import numpy as np
import torch

from .onnx_util import export_onnx, ort_run, ort_session


class ParityError(RuntimeError):
    pass


def export_head(head, input_dim, path, tol=1e-5, seed=0, n=8):
    """Export and check max |onnx - torch| <= tol on random and scaled inputs. Returns the max difference."""
    head = head.eval()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    export_onnx(head, (torch.zeros(2, input_dim),), path, ["features"], ["embedding"],
                {"features": {0: "batch"}, "embedding": {0: "batch"}})
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, input_dim, generator=g)
    with torch.no_grad():
        ref = head(x).numpy()
    (out,) = ort_run(ort_session(path), {"features": x.numpy()})
    diff = float(np.abs(out - ref).max())
    if not diff <= tol:
        raise ParityError(f"head ONNX parity failed: max abs diff {diff:.3g} > {tol:g}")
    # batch of one must also work (dynamic batch)
    (one,) = ort_run(ort_session(path), {"features": x[:1].numpy()})
    diff = max(diff, float(np.abs(one - ref[:1]).max()))
    if not diff <= tol:
        raise ParityError(f"head ONNX parity failed (batch 1): max abs diff {diff:.3g} > {tol:g}")
    return diff
