"""Audio encoder: MERT-v1-95M is exactly Hugging Face HubertModel (feature_extractor_cqt false).
Exported to ONNX with input `input_values` [batch, samples] (already zero-mean/unit-variance normalised)
and output `hidden_states` [batch, layers + 1, frames, hidden] (output_hidden_states stacked)."""

import json
import warnings
from pathlib import Path

import numpy as np
import torch

from .onnx_fuse import fuse_attention_file
from .onnx_util import export_onnx

CONV_STRIDE = (5, 2, 2, 2, 2, 2, 2)  # product 320: one frame per 320 samples (75 frames/s at 24 kHz)
CONV_KERNEL = (10, 3, 3, 3, 3, 2, 2)


def mert_v1_95m_config():
    from transformers import HubertConfig

    cfg = HubertConfig(
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        hidden_act="gelu", conv_dim=(512,) * 7, conv_stride=CONV_STRIDE, conv_kernel=CONV_KERNEL, conv_bias=False,
        feat_extract_norm="group", feat_extract_activation="gelu", do_stable_layer_norm=False,
        num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16, feat_proj_layer_norm=True,
    )
    cfg._attn_implementation = "eager"
    return cfg


def tiny_hubert_config(hidden=32, layers=2, heads=4, intermediate=64, conv_channels=16):
    from transformers import HubertConfig

    cfg = HubertConfig(
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=intermediate,
        conv_dim=(conv_channels,) * 7, conv_stride=CONV_STRIDE, conv_kernel=CONV_KERNEL, conv_bias=False,
        feat_extract_norm="group", do_stable_layer_norm=False, num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4, vocab_size=32,
    )
    cfg._attn_implementation = "eager"
    return cfg


class HiddenStatesEncoder(torch.nn.Module):
    """HubertModel -> stacked hidden states [batch, layers + 1, frames, hidden]."""

    def __init__(self, hubert):
        super().__init__()
        self.hubert = hubert

    def forward(self, input_values):
        out = self.hubert(input_values, output_hidden_states=True)
        return torch.stack(out.hidden_states, dim=1)


def zero_mean_unit_var(x, eps=1e-7):
    """Per-segment normalisation as Wav2Vec2FeatureExtractor (computed in float64, returned float32)."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + eps)).astype(np.float32)


def random_hubert(cfg, seed=0):
    from transformers import HubertModel

    torch.manual_seed(seed)
    return HubertModel(cfg).eval()


def load_mert(model_dir):
    """Load a local MERT-v1-95M checkpoint folder (config.json + model.safetensors/pytorch_model.bin) into
    HubertModel. No downloads: pass a folder fetched elsewhere."""
    from transformers import HubertModel

    model_dir = Path(model_dir)
    src = json.loads((model_dir / "config.json").read_text())
    cfg = mert_v1_95m_config()
    for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "conv_dim",
              "conv_stride", "conv_kernel", "conv_bias", "feat_extract_norm", "do_stable_layer_norm",
              "num_conv_pos_embeddings", "num_conv_pos_embedding_groups", "layer_norm_eps", "hidden_act"):
        if k in src:
            setattr(cfg, k, tuple(src[k]) if isinstance(src[k], list) else src[k])
    if src.get("feature_extractor_cqt"):
        raise SystemExit("MERT with feature_extractor_cqt=true is not a plain HubertModel; not supported")
    if (model_dir / "model.safetensors").exists():
        from safetensors.torch import load_file

        sd = load_file(str(model_dir / "model.safetensors"))
    else:
        sd = torch.load(model_dir / "pytorch_model.bin", map_location="cpu", weights_only=True)
    model = HubertModel(cfg)
    sd = {k.removeprefix("model.").removeprefix("hubert."): v for k, v in sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if "masked_spec_embed" not in k]
    if missing:
        raise SystemExit(f"checkpoint lacks {len(missing)} encoder weights, e.g. {missing[:5]}")
    return model.eval()


class Conv2dFeatureEncoder(torch.nn.Module):
    """HubertFeatureEncoder (feat_extract_norm "group") with its 1-D convolutions run as 2-D ones over
    [batch, channels, 1, time]: the same weights and the same numbers (GroupNorm normalises the same values),
    but ONNX Runtime lays 2-D convolutions out in blocked channels (its NCHWc transformer) and runs them with
    direct kernels, where a 1-D one is an im2col and a GEMM over small chunks: the MERT-size feature encoder
    took 332-346 instead of 358-398 ms per 10-s segment (2 cores, interleaved, onnxruntime 1.30)."""

    def __init__(self, fe):
        super().__init__()
        self.convs = torch.nn.ModuleList()
        self.acts = torch.nn.ModuleList()
        self.norm0 = fe.conv_layers[0].layer_norm
        for layer in fe.conv_layers:
            c = layer.conv
            c2 = torch.nn.Conv2d(c.in_channels, c.out_channels, (1, c.kernel_size[0]), (1, c.stride[0]), bias=c.bias is not None)
            with torch.no_grad():
                c2.weight.copy_(c.weight.unsqueeze(2))
                if c.bias is not None:
                    c2.bias.copy_(c.bias)
            self.convs.append(c2)
            self.acts.append(layer.activation)

    def forward(self, input_values):
        h = input_values[:, None, None, :]
        for i, (conv, act) in enumerate(zip(self.convs, self.acts)):
            h = conv(h)
            if i == 0:
                h = self.norm0(h)
            h = act(h)
        return h[:, :, 0, :]


def with_conv2d_feature_encoder(hubert):
    """The model with its feature encoder as Conv2dFeatureEncoder where it has the layout that class covers
    (group norm on the first layer only, as MERT-v1-95M); else unchanged. Replaces the module in place."""
    fe = hubert.feature_extractor
    if isinstance(fe, Conv2dFeatureEncoder) or hubert.config.feat_extract_norm != "group":
        return hubert
    hubert.feature_extractor = Conv2dFeatureEncoder(fe).eval()
    return hubert


def export_encoder(hubert, path, sample_rate, seconds=1.0, opset=17, fuse=True):
    """Exports the encoder (stacked hidden states) to ONNX; with `fuse`, each self-attention block becomes one
    MultiHeadAttention node (onnx_fuse.py: same function, ~4-10 % less time per segment in ONNX Runtime).
    Returns the number of blocks fused."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    x = torch.randn(1, int(sample_rate * seconds))
    export_onnx(
        HiddenStatesEncoder(with_conv2d_feature_encoder(hubert.eval())), (x,), path, ["input_values"], ["hidden_states"],
        {"input_values": {0: "batch", 1: "samples"}, "hidden_states": {0: "batch", 2: "frames"}}, opset=opset,
    )
    if not fuse:
        return 0
    layers = hubert.config.num_hidden_layers
    fused = fuse_attention_file(path)
    if fused != layers:  # still a correct graph: the blocks that did not match run unfused
        warnings.warn(f"{path}: {fused} of {layers} attention blocks fused (has the exporter's pattern changed?)")
    return fused


def pool_and_concat(hidden_states, layers, pooling="first-frame"):
    """hidden_states [B, L+1, T, H] -> [B, len(layers) * H] as the app does."""
    h = np.asarray(hidden_states)
    if pooling == "first-frame":
        p = h[:, :, 0, :]
    elif pooling == "mean":
        p = h.mean(axis=2)
    else:
        raise ValueError(pooling)
    return np.concatenate([p[:, i, :] for i in layers], axis=-1).astype(np.float32)
