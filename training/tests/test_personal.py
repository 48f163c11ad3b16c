"""The personal pack: a pack's head fine-tuned on an app export's accepted tags (moodshelf_train.personal)."""

import json
from pathlib import Path

import numpy as np
import pytest

from moodshelf_train.data import write_app_export
from moodshelf_train.packs import verify_pack
from moodshelf_train.personal import _head_inputs, _run_head, personal_pack

TINY = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "packs" / "tiny-joint"
LABELS = ["calm", "energetic", "sad"]


def _unit(m):
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def _export(folder, seed=0, tracks=150):
    """An export whose accepted tags follow directions U in the head's output space, while the labels' vectors V
    point elsewhere: the original pack ranks them near chance, an adapter can learn U -> V."""
    manifest = json.loads((TINY / "manifest.json").read_text())
    rng = np.random.default_rng(seed)
    feats = rng.standard_normal((tracks * 2, 3, 32)).astype(np.float32)
    e = _run_head(TINY / manifest["head"]["file"], _head_inputs(feats, manifest["audio"]["layers"]))
    e = e - e.mean(0)
    u = _unit(rng.standard_normal((len(LABELS), e.shape[1])))
    v = _unit(rng.standard_normal((len(LABELS), e.shape[1])))
    s = np.stack([e[2 * t : 2 * t + 2].mean(0) for t in range(tracks)]) @ u.T
    cut = np.median(s, axis=0)
    labels = {str(t + 1): [l for k, l in enumerate(LABELS) if s[t, k] > cut[k]] or [LABELS[int(s[t].argmax())]]
              for t in range(tracks)}
    segments = [(str(t + 1), k) for t in range(tracks) for k in range(2)]
    write_app_export(folder, feats, segments, labels)
    (Path(folder) / "label-embeddings.json").write_text(json.dumps({"labels": LABELS, "plain": v.tolist()}))
    return folder


def test_fine_tunes_the_head_on_accepted_tags_and_writes_an_installable_pack(tmp_path):
    export = _export(tmp_path / "export")
    r = personal_pack(TINY, export, tmp_path / "personal", epochs=300, lr=0.02, anchor=0.001, seed=1)
    assert r["heldOutTracks"] == 30 and r["labels"] == 3
    assert r["pairwiseAfter"] > r["pairwiseBefore"] + 0.1, r
    assert r["parity"] <= 1e-4
    out = tmp_path / "personal"
    assert verify_pack(out) == []
    m = json.loads((out / "manifest.json").read_text())
    assert m["id"] == "tiny-joint-personal" and m["head"] == json.loads((TINY / "manifest.json").read_text())["head"]
    # The original pack is untouched.
    assert verify_pack(TINY) == []


def test_starts_at_the_original_head_and_stays_there_under_a_strong_anchor(tmp_path):
    export = _export(tmp_path / "export", seed=3)
    r = personal_pack(TINY, export, tmp_path / "personal", epochs=50, lr=0.001, anchor=1e5, seed=1)
    assert r["adapterDistance"] < 0.1  # Adam jitters around the identity by about lr per entry
    assert r["pairwiseAfter"] == pytest.approx(r["pairwiseBefore"], abs=0.02)
    r0 = personal_pack(TINY, export, tmp_path / "zero", epochs=0, seed=1)
    assert r0["adapterDistance"] == 0 and r0["pairwiseAfter"] == r0["pairwiseBefore"]


def test_refuses_an_export_without_accepted_tags(tmp_path):
    folder = tmp_path / "export"
    write_app_export(folder, np.zeros((2, 3, 32), np.float32), [("1", 0), ("1", 1)], {"1": []})
    with pytest.raises(ValueError, match="at least 2 labels"):
        personal_pack(TINY, folder, tmp_path / "out")
