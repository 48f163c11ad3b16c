"""ONNX export helpers: legacy TorchScript exporter (deterministic, dynamic axes), onnxruntime sessions."""

import warnings

import numpy as np
import torch


def export_onnx(module, args, path, input_names, output_names, dynamic_axes, opset=17):
    module.eval()
    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)  # the fused TransformerEncoderLayer op has no ONNX export
    try:
        _export(module, args, path, input_names, output_names, dynamic_axes, opset)
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)


def _export(module, args, path, input_names, output_names, dynamic_axes, opset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(
                module,
                args,
                str(path),
                input_names=input_names,
                output_names=output_names,
                dynamic_axes=dynamic_axes,
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False,
            )


def ort_session(path, threads=1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def ort_run(sess, feeds):
    names = {i.name for i in sess.get_inputs()}
    return sess.run(None, {k: np.asarray(v) for k, v in feeds.items() if k in names})
