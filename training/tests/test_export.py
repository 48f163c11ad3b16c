import json

import numpy as np
import torch

from moodshelf_train.export import export_head
from moodshelf_train.heads import AttentionHead, MLPHead
from moodshelf_train.onnx_util import ort_run, ort_session
from moodshelf_train.packexport import export_pack
from moodshelf_train.packs import verify_pack
from moodshelf_train.train import Standardized


def test_mlp_and_attention_export_parity(tmp_path):
    torch.manual_seed(0)
    for i, head in enumerate([MLPHead(48, 16, hidden_dim=64), AttentionHead(48, 16, model_dim=32, heads=4, ff=64)]):
        model = Standardized(head, torch.randn(48), torch.rand(48) + 0.5).eval()
        diff = export_head(model, 48, tmp_path / f"h{i}.onnx")
        assert diff <= 1e-5
        x = np.random.default_rng(1).normal(size=(3, 48)).astype(np.float32)
        (y,) = ort_run(ort_session(tmp_path / f"h{i}.onnx"), {"features": x})
        with torch.no_grad():
            np.testing.assert_allclose(y, model(torch.from_numpy(x)).numpy(), atol=1e-5)


def test_paper_sized_mlp_param_count():
    assert abs(sum(p.numel() for p in MLPHead(3072, 384).parameters()) / 1e6 - 20.1) < 0.05
    assert abs(sum(p.numel() for p in AttentionHead(3072, 384).parameters()) / 1e6 - 16.8) < 0.05


def test_export_pack(tmp_path):
    torch.manual_seed(0)
    head = MLPHead(4 * 16, 384, hidden_dim=32).eval()
    clusters = {"method": "mean-shift", "quantile": 0.03, "nSamples": 73, "bandwidth": 0.9, "nClusters": 2,
                "assignments": {"cal500": [0] * 17}}
    m, diff = export_pack(tmp_path / "pack", head, 64, 384, {"id": "t", "encoder": {"type": "tiny-random", "layers": 12}},
                          [3, 6, 9, 12], 16, clusters)
    assert diff <= 1e-5
    assert verify_pack(tmp_path / "pack") == []
    man = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    assert man["formatVersion"] == 1 and man["kind"] == "joint" and man["clusters"]["assignments"]["cal500"] == [0] * 17
    assert [v["topK"] for v in man["vocabularies"]] == [2, 4, 3]
    # encoder output has 13 hidden states of width 16, as the head reads layers 3..12
    (hs,) = ort_run(ort_session(tmp_path / "pack" / "audio" / "encoder.onnx"), {"input_values": np.zeros((1, 24000), np.float32)})
    assert hs.shape == (1, 13, 74, 16)


def test_conv2d_feature_encoder_gives_the_same_hidden_states_and_exports_for_any_length(tmp_path):
    import onnxruntime as ort

    from moodshelf_train.encoder import (Conv2dFeatureEncoder, HiddenStatesEncoder, export_encoder, random_hubert,
                                         tiny_hubert_config)

    reference = HiddenStatesEncoder(random_hubert(tiny_hubert_config(), seed=3))
    model = random_hubert(tiny_hubert_config(), seed=3)
    path = tmp_path / "encoder.onnx"
    assert export_encoder(model, path, 16000, seconds=0.5) == 2
    assert isinstance(model.feature_extractor, Conv2dFeatureEncoder)
    sess = ort.InferenceSession(str(path))
    ops = [n.op_type for n in __import__("onnx").load(str(path)).graph.node]
    assert "Conv" in ops and ops.count("MultiHeadAttention") == 2 and "Softmax" not in ops
    for n in (4000, 16000, 16037, 24001):
        x = torch.randn(2, n)
        with torch.no_grad():
            want = reference(x).numpy()
        got = sess.run(None, {"input_values": x.numpy()})[0]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=2e-4)


def test_attention_fusion_is_the_same_function_and_leaves_a_block_it_does_not_know(tmp_path):
    import onnx
    import onnxruntime as ort

    from moodshelf_train.encoder import export_encoder, random_hubert, tiny_hubert_config
    from moodshelf_train.onnx_fuse import fuse_attention

    cfg = tiny_hubert_config(layers=3)
    model = random_hubert(cfg, seed=5)
    with torch.no_grad():  # Hugging Face initialises biases to zero: give the Q, K, V biases values to carry
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.copy_(torch.randn_like(p) * 0.2)
    plain = tmp_path / "plain.onnx"
    assert export_encoder(model, plain, 16000, seconds=0.5, fuse=False) == 0
    model = onnx.load(str(plain))
    assert [n.op_type for n in model.graph.node].count("Softmax") == 3
    # one block's attention probabilities also leave the graph: that block must stay as it is
    second = [n for n in model.graph.node if n.op_type == "Softmax"][1]
    model.graph.output.append(onnx.helper.make_tensor_value_info(second.output[0], onnx.TensorProto.FLOAT, None))
    assert fuse_attention(model) == 2
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("MultiHeadAttention") == 2 and ops.count("Softmax") == 1
    fused = tmp_path / "fused.onnx"
    onnx.save(model, str(fused))
    x = np.random.default_rng(0).standard_normal((2, 9000)).astype(np.float32)
    want = ort.InferenceSession(str(plain)).run(None, {"input_values": x})[0]
    got = ort.InferenceSession(str(fused)).run(None, {"input_values": x})
    np.testing.assert_allclose(got[0], want, atol=1e-5)
    assert got[1].shape == (2, cfg.num_attention_heads, want.shape[2], want.shape[2])
    # nothing to fuse: the model is untouched
    again = onnx.load(str(fused))
    assert fuse_attention(again) == 0 and len(again.graph.node) == len(model.graph.node)
