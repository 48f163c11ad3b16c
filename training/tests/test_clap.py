"""tiny-clap fixture pack (kind "clap") and the zero-shot CLAP baseline of the evaluation harness."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from moodshelf_train.clap import (PROJECTION_DIM, REFERENCE_TEXTS, OnnxClap, build_roberta_tokenizer,
                                  build_tiny_clap_models, compute_clap_reference, feature_extractor, l2n, make_tiny_clap,
                                  synthetic_waveform)
from moodshelf_train.clap_eval import evaluate_clap
from moodshelf_train.data import LabelSpace, SegmentDataset
from moodshelf_train.packs import verify_pack
from moodshelf_train.tiny import reference_waveform

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "tests" / "fixtures" / "packs"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    d = tmp_path_factory.mktemp("clap") / "tiny-clap"
    _, audio, text, _ = make_tiny_clap(d)
    ref, parity = compute_clap_reference(d, (audio, text))
    (d.parent / "reference-clap.json").write_text(json.dumps(ref))
    return d, ref, parity


def test_layout_manifest_and_onnx_signature(pack):
    import onnx

    d, ref, parity = pack
    assert verify_pack(d) == []
    m = json.loads((d / "manifest.json").read_text())
    assert m["kind"] == "clap" and m["formatVersion"] == 1
    assert m["audio"] == {"encoder": "clap/onnx/audio_model.onnx", "sampleRate": 48000, "segmentSeconds": 10,
                          "hopSeconds": 10, "normalize": "none", "layers": [], "pooling": "mean", "hiddenSize": 0}
    assert m["head"] == {"type": "identity", "outputDim": PROJECTION_DIM}
    assert m["labelEncoder"] == {"path": "clap", "pooling": "mean", "normalize": True, "dim": PROJECTION_DIM,
                                 "promptTemplate": "This is a {} song."}
    assert [v["id"] for v in m["vocabularies"]] == ["mtg-jamendo", "cal500", "emotify"]
    assert set(m["files"]) == {f"clap/{f}" for f in ("config.json", "preprocessor_config.json", "tokenizer.json",
                                                       "tokenizer_config.json", "onnx/audio_model.onnx",
                                                       "onnx/text_model.onnx")}
    assert sum(f["size"] for f in m["files"].values()) < 3_000_000
    cfg = json.loads((d / "clap" / "config.json").read_text())
    assert cfg["model_type"] == "clap" and cfg["projection_dim"] == PROJECTION_DIM
    pp = json.loads((d / "clap" / "preprocessor_config.json").read_text())
    assert pp["feature_extractor_type"] == "ClapFeatureExtractor" and pp["truncation"] == "rand_trunc"
    assert pp["padding"] == "repeatpad" and pp["nb_max_samples"] == 480000 and pp["nb_frequency_bins"] == 513

    def sig(path):
        g = onnx.load(str(path)).graph
        dims = lambda v: [x.dim_param or x.dim_value for x in v.type.tensor_type.shape.dim]
        return {i.name: dims(i) for i in g.input}, {o.name: dims(o) for o in g.output}

    assert sig(d / "clap/onnx/audio_model.onnx") == ({"input_features": ["batch", 1, 1001, 64]},
                                                     {"audio_embeds": ["batch", PROJECTION_DIM]})
    assert sig(d / "clap/onnx/text_model.onnx") == ({"input_ids": ["batch", "sequence"],
                                                     "attention_mask": ["batch", "sequence"]},
                                                    {"text_embeds": ["batch", PROJECTION_DIM]})
    assert max(parity.values()) <= 1e-5


def test_reference_matches_pytorch(pack):
    d, ref, _ = pack
    tok = build_roberta_tokenizer()
    audio, text, _ = build_tiny_clap_models(tok.get_vocab_size())
    x = feature_extractor()(reference_waveform(48000, 10), sampling_rate=48000, return_tensors="np")["input_features"]
    assert list(x.shape) == ref["inputFeatures"]["shape"] == [1, 1, 1001, 64]
    np.testing.assert_allclose(x[0, 0, 0, :8], ref["inputFeatures"]["first8"], atol=1e-4)
    with torch.no_grad():
        a = audio(input_features=torch.from_numpy(x.astype(np.float32))).audio_embeds.numpy()[0]
    np.testing.assert_allclose(l2n(a), ref["audioEmbeds"]["normalized"], atol=1e-4)
    for t in REFERENCE_TEXTS:
        r = ref["texts"][t]
        ids = tok.encode(t).ids
        assert ids == r["inputIds"] and ids[0] == 0 and ids[-1] == 2 and 3 not in ids  # <s> … </s>, no <unk>
        with torch.no_grad():
            e = text(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)).text_embeds
        e = l2n(e.numpy()[0])
        np.testing.assert_allclose(e, r["normalized"], atol=1e-4)
        assert abs(float(e @ l2n(a)) - r["cosine"]) < 1e-4
    # the prompt template of the manifest gives the same ids as the full sentence
    clap = OnnxClap(d)
    assert clap.encode_ids("sad") == ref["texts"]["This is a sad song."]["inputIds"]


def test_committed_fixtures_are_current(pack):
    _, new, _ = pack
    assert verify_pack(COMMITTED / "tiny-clap") == []
    old = json.loads((COMMITTED / "reference-clap.json").read_text())
    assert old["inputFeatures"]["shape"] == new["inputFeatures"]["shape"]
    np.testing.assert_allclose(old["inputFeatures"]["first8"], new["inputFeatures"]["first8"], atol=1e-4)
    np.testing.assert_allclose(old["audioEmbeds"]["normalized"], new["audioEmbeds"]["normalized"], atol=1e-5)
    for t in REFERENCE_TEXTS:
        assert old["texts"][t]["inputIds"] == new["texts"][t]["inputIds"]
        np.testing.assert_allclose(old["texts"][t]["normalized"], new["texts"][t]["normalized"], atol=1e-5)


def test_transformers_js_loads_pack_and_matches(pack):
    """@huggingface/transformers (JS) loads the pack with ClapAudio/TextModelWithProjection, AutoProcessor and
    AutoTokenizer and reproduces the Python reference (features, ids, embeddings) within 1e-4."""
    assert shutil.which("node"), "node is not on PATH"
    assert (REPO / "node_modules" / "@huggingface" / "transformers").exists(), "node_modules missing: run npm ci first"
    d, _, _ = pack
    out = subprocess.run(["node", str(REPO / "training" / "scripts" / "check_tiny_clap.mjs"), str(d),
                          str(d.parent / "reference-clap.json")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["ok"]


def _dataset(name, feats, track, labels, top_k, layout):
    n_tracks = len(labels)
    return SegmentDataset(name, feats, np.asarray(track), [f"{name}-{t}" for t in range(n_tracks)], labels,
                          np.full(n_tracks, 2), LabelSpace(LABELS, np.zeros((len(LABELS), 1)), np.zeros((len(LABELS), 1))),
                          top_k, {"layout": layout})


LABELS = ["sad", "happy", "calm", "angry, aggressive", "joyful_activation"]


def test_precomputed_embeddings_path_scores_perfectly(pack):
    """Audio embeddings equal to the label prompts' text embeddings: top-1 is the track's label, macro F1 1."""
    d, _, _ = pack
    clap = OnnxClap(d)
    T = clap.embed_texts(LABELS)
    assert T.shape == (len(LABELS), PROJECTION_DIM)
    track = [0, 0, 1, 2, 3, 4, 4]
    labels = [[0], [1], [2], [3], [4]]
    feats = np.stack([T[labels[t][0]] * 3.0 for t in track]).astype(np.float32)  # unnormalised on purpose
    r = evaluate_clap(clap, _dataset("x", feats, track, labels, 1, "paper"), split=2)
    assert r["audio"] == "embeddings" and r["segments"] == 7 and r["tracks"] == 5
    assert r["segment"] == 1.0 and r["song"] == 1.0


def test_waveform_path_equals_synthetic_path(pack):
    d, _, _ = pack
    clap = OnnxClap(d)
    track, labels = [0, 0, 1], [[0, 1], [2]]
    waves = np.stack([synthetic_waveform(f"s/s-{t}/{i}") for t, i in zip(track, [0, 1, 0])])
    syn = _dataset("s", np.zeros((3, 1, 1), np.float32), track, labels, 2, "synthetic")
    wav = _dataset("s", waves, track, labels, 2, "paper")
    from moodshelf_train.clap_eval import clap_scores

    s1, src1 = clap_scores(clap, syn, np.ones(3, bool))
    s2, src2 = clap_scores(clap, wav, np.ones(3, bool))
    assert (src1, src2) == ("synthetic", "waveforms")
    np.testing.assert_allclose(s1, s2, atol=1e-6)
    assert s1.shape == (3, len(LABELS)) and np.all(np.abs(s1) <= 1 + 1e-6)


def test_evaluate_clap_cli_synthetic(capsys, tmp_path):
    from moodshelf_train.__main__ import main

    pack_dir = COMMITTED / "tiny-clap"
    main(["evaluate-clap", "--pack", str(pack_dir), "--synthetic", "--max-tracks", "3", "--json",
          str(tmp_path / "clap.json")])
    out = capsys.readouterr().out
    rows = [l for l in out.splitlines() if l.startswith("| segment | CLAP zero-shot |") or l.startswith("| song | CLAP zero-shot |")]
    assert len(rows) == 2, out
    assert all(len(r.strip("|").split("|")) == 5 for r in rows)  # level, method, 3 test datasets
    res = json.loads((tmp_path / "clap.json").read_text())
    assert {f["test"] for f in res["folds"]} == {"emotify", "mtg-jamendo", "cal500"}
    assert all(f["tracks"] == 3 and f["audio"] == "synthetic" for f in res["folds"])


def test_evaluate_clap_cli_uses_the_trainer_split(tmp_path):
    """evaluate-clap scores the samples the trainer's split settings (the config's `train` section) define, as
    `reproduce --clap-pack` does: a config with split "tracks" changes CAL500/Emotify's test samples."""
    from moodshelf_train.__main__ import main
    from moodshelf_train.clap_eval import clap_samples
    from moodshelf_train.reproduce import load_config, load_datasets
    from moodshelf_train.train import train_config

    cfg = load_config("synthetic")
    cfg["train"]["split"] = "tracks"
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    main(["evaluate-clap", "--pack", str(COMMITTED / "tiny-clap"), "--synthetic", "--config", str(tmp_path / "cfg.json"),
          "--split", "test", "--max-tracks", "3", "--json", str(tmp_path / "clap.json")])
    got = {f["test"]: f["segments"] for f in json.loads((tmp_path / "clap.json").read_text())["folds"]}
    datasets = load_datasets(cfg, None, True, cfg["seed"])
    want = {n: len(clap_samples(d, 2, 3, train_config(cfg))[0]) for n, d in datasets.items()}
    assert got == want
    assert got["cal500"] != len(clap_samples(datasets["cal500"], 2, 3)[0])  # not the default split settings


# ------------------------------------------------------------------------------ real-size benchmark packs

def test_real_size_clap_has_the_published_architecture_and_size():
    """make-clap-pack --real-size: laion/clap-htsat-unfused's config (Xenova/clap-htsat-unfused converts it) and
    its size: 153.5 M parameters (the checkpoint's model.safetensors is 614 MB of float32), an HTSAT audio tower of
    11.82 GFLOP per 10 s segment (the figure bench:analyze counts from the exported ONNX graph)."""
    from torch.utils.flop_counter import FlopCounterMode

    from moodshelf_train.clap import build_real_size_clap_models

    audio, text, cfg = build_real_size_clap_models(0)
    a, t = cfg.audio_config, cfg.text_config
    assert (a.spec_size, a.window_size, a.patch_size, a.num_mel_bins, a.patch_embeds_hidden_size, a.hidden_size) == (
        256, 8, 4, 64, 96, 768)
    assert a.depths == [2, 2, 6, 2] and a.num_attention_heads == [4, 8, 16, 32] and not a.enable_fusion
    assert (t.vocab_size, t.hidden_size, t.num_hidden_layers, t.num_attention_heads, t.intermediate_size,
            t.max_position_embeddings) == (50265, 768, 12, 12, 3072, 514)
    assert cfg.projection_dim == a.projection_dim == t.projection_dim == 512
    n_audio = sum(p.numel() for p in audio.parameters())
    n_text = sum(p.numel() for p in text.parameters())
    assert 153.0e6 < n_audio + n_text < 154.0e6 and 27e6 < n_audio < 29e6
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        e = audio(input_features=torch.zeros(1, 1, 1001, 64)).audio_embeds
    assert e.shape == (1, 512)
    assert fc.get_total_flops() == 11_816_665_088


def test_make_clap_pack_real_size_layout(tmp_path, monkeypatch):
    """The real-size generator's layout, manifest and 512-d towers, run through the CLI with the towers shrunk
    (the full-size export takes ~40 s and 0.6 GB; bench:analyze runs it)."""
    from moodshelf_train import clap
    from moodshelf_train.__main__ import main

    monkeypatch.setitem(clap.REAL_AUDIO_CONFIG, "patch_embeds_hidden_size", 8)
    monkeypatch.setitem(clap.REAL_AUDIO_CONFIG, "hidden_size", 64)
    monkeypatch.setitem(clap.REAL_AUDIO_CONFIG, "depths", [1, 1, 1, 1])
    monkeypatch.setitem(clap.REAL_AUDIO_CONFIG, "num_attention_heads", [1, 1, 2, 2])
    for k, v in dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64).items():
        monkeypatch.setitem(clap.REAL_TEXT_CONFIG, k, v)
    out = tmp_path / "clap-random"
    main(["make-clap-pack", "--real-size", "--out", str(out)])
    assert verify_pack(out) == []
    m = json.loads((out / "manifest.json").read_text())
    assert m["id"] == "clap-htsat-unfused-random" and m["kind"] == "clap"
    assert m["head"] == {"type": "identity", "outputDim": 512} and m["labelEncoder"]["dim"] == 512
    assert m["audio"]["encoder"] == "clap/onnx/audio_model.onnx" and m["audio"]["sampleRate"] == 48000
    cfg = json.loads((out / "clap" / "config.json").read_text())
    assert cfg["projection_dim"] == 512 and cfg["text_config"]["vocab_size"] == 50265
    assert json.loads((out / "clap" / "tokenizer_config.json").read_text())["model_max_length"] == 512
    c = OnnxClap(out)
    assert c.embed_texts(["sad"]).shape == (1, 512)
    assert c.embed_audio([reference_waveform(48000, 10)]).shape == (1, 512)


def test_minilm_sized_label_encoder(tmp_path):
    """make-label-encoder --real-size: all-MiniLM-L6-v2's BertModel (6 x 384, 12 heads, 1536, 512 positions, 30522
    tokens; 22,565,376 parameters without the pooler it does not use) in the transformers.js layout."""
    from moodshelf_train.__main__ import main
    from moodshelf_train.label_encoder import OnnxLabelEncoder

    out = tmp_path / "minilm"
    main(["make-label-encoder", "--real-size", "--out", str(out)])
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"],
            cfg["max_position_embeddings"], cfg["vocab_size"]) == (6, 384, 12, 1536, 512, 30522)
    tok = json.loads((out / "tokenizer.json").read_text())
    assert len(tok["model"]["vocab"]) == 30522
    from transformers import BertConfig, BertModel

    n = sum(p.numel() for p in BertModel(BertConfig(**{k: cfg[k] for k in (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "max_position_embeddings", "type_vocab_size")}), add_pooling_layer=False).parameters())
    assert n == 22_565_376
    le = OnnxLabelEncoder(out)
    e = le.embed(["sad", "rainy sunday"])
    assert e.shape == (2, 384) and np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    assert 1 not in le.encode_ids("rainy sunday")  # no [UNK]
