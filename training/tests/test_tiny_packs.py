import json
from pathlib import Path

import numpy as np
import pytest
import torch

from moodshelf_train.encoder import HiddenStatesEncoder, random_hubert, tiny_hubert_config, zero_mean_unit_var
from moodshelf_train.packs import sha256_file, verify_pack
from moodshelf_train.tiny import make_tiny_packs, reference_waveform
from moodshelf_train.vocab import CAL500, EMOTIFY, MTG_JAMENDO

COMMITTED = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "packs"


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    a = tmp_path_factory.mktemp("a")
    b = tmp_path_factory.mktemp("b")
    make_tiny_packs(a)
    make_tiny_packs(b)
    return a, b


def _all_files(d):
    return sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())


def test_deterministic(packs):
    a, b = packs
    assert _all_files(a) == _all_files(b)
    for rel in _all_files(a):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_manifest_sha256_and_layout(packs):
    a, _ = packs
    pack = a / "tiny-joint"
    assert verify_pack(pack) == []
    m = json.loads((pack / "manifest.json").read_text())
    for rel, info in m["files"].items():
        assert sha256_file(pack / rel) == info["sha256"] and (pack / rel).stat().st_size == info["size"]
    assert {"audio/encoder.onnx", "head/head.onnx", "label-encoder/config.json", "label-encoder/tokenizer.json",
            "label-encoder/tokenizer_config.json", "label-encoder/onnx/model.onnx"} <= set(m["files"])
    v = {x["id"]: x for x in m["vocabularies"]}
    assert v["mtg-jamendo"]["labels"] == MTG_JAMENDO and v["mtg-jamendo"]["topK"] == 2
    assert v["cal500"]["labels"] == CAL500 and v["cal500"]["topK"] == 4
    assert v["emotify"]["labels"] == EMOTIFY and v["emotify"]["topK"] == 3
    assert m["head"]["outputDim"] == m["labelEncoder"]["dim"]
    assert sum(info["size"] for info in m["files"].values()) < 2_000_000


def test_reference_matches_pytorch(packs):
    a, _ = packs
    ref = json.loads((a / "reference.json").read_text())
    x = zero_mean_unit_var(reference_waveform()[None])
    np.testing.assert_allclose(x[0, :16], ref["normalizedInput"]["first"], atol=1e-6)
    enc = HiddenStatesEncoder(random_hubert(tiny_hubert_config(), seed=1))
    with torch.no_grad():
        hs = enc(torch.from_numpy(x)).numpy()
    assert list(hs.shape) == ref["hiddenStates"]["shape"]
    feats = np.concatenate([hs[0, i, 0] for i in ref["features"]["layers"]])
    np.testing.assert_allclose(feats, ref["features"]["values"], atol=1e-4)
    e = np.array(ref["embedding"]["normalized"])
    assert abs(np.linalg.norm(e) - 1) < 1e-6
    for text, lab in ref["labels"].items():
        assert abs(float(np.dot(e, lab["embedding"])) - lab["cosine"]) < 1e-5
        assert lab["inputIds"][0] == 2 and lab["inputIds"][-1] == 3 and 1 not in lab["inputIds"]  # [CLS] .. [SEP], no [UNK]


def test_label_encoder_torch_parity(packs):
    """The label-encoder ONNX equals the PyTorch BERT it was exported from, with padding in a batch."""
    from moodshelf_train.label_encoder import build_tiny_bert, mean_pool

    a, _ = packs
    ref = json.loads((a / "reference.json").read_text())
    _, model, tok = build_tiny_bert(a / "scratch-le", hidden=32, layers=2, heads=4, intermediate=64, seed=2)
    texts = list(ref["labels"])
    enc = tok.encode_batch(texts)
    L = max(len(e.ids) for e in enc)
    ids = torch.tensor([e.ids + [0] * (L - len(e.ids)) for e in enc])
    mask = torch.tensor([[1] * len(e.ids) + [0] * (L - len(e.ids)) for e in enc])
    with torch.no_grad():
        h = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state.numpy()
    emb = mean_pool(h, mask.numpy())
    for i, t in enumerate(texts):
        np.testing.assert_allclose(emb[i], ref["labels"][t]["embedding"], atol=1e-4)


def test_committed_fixtures_are_current(packs):
    a, _ = packs
    assert verify_pack(COMMITTED / "tiny-joint") == []
    new = json.loads((a / "reference.json").read_text())
    old = json.loads((COMMITTED / "reference.json").read_text())
    np.testing.assert_allclose(old["embedding"]["raw"], new["embedding"]["raw"], atol=1e-5)
    for t in new["labels"]:
        assert old["labels"][t]["inputIds"] == new["labels"][t]["inputIds"]
        np.testing.assert_allclose(old["labels"][t]["embedding"], new["labels"][t]["embedding"], atol=1e-5)
