import numpy as np
import pytest

from moodshelf_train.reproduce import load_config
from moodshelf_train.synthetic import make_synthetic
from moodshelf_train.train import chance, evaluate, train_head


@pytest.fixture(scope="module")
def setup():
    cfg = load_config("synthetic")
    data = make_synthetic(cfg.get("synthetic"), seed=0)
    return cfg, data


def test_zero_shot_beats_chance_and_reg_does_not_hurt(setup):
    cfg, data = setup
    train = [data["mtg-jamendo"], data["cal500"]]
    test = data["emotify"]
    ch = chance(test, None)
    res = {}
    for method in ("baseline", "clustering", "alignment"):
        head, clusters, info = train_head(cfg, train, method, "emotify", seed=0)
        res[method] = evaluate(head, test, cfg["layers"], None)
        assert info["best_val_f1"] > 0
        # the kept epoch is the one with the lowest MTG-Jamendo validation triplet loss (the paper's checkpoint)
        losses = [h["val_loss_select"] for h in info["history"]]
        assert info["selected_epoch"] == int(np.argmin(losses))
    for method, r in res.items():
        assert r["segment"] > ch["segment"] + 0.05, (method, r, ch)
        assert r["song"] > ch["song"] + 0.05, (method, r, ch)
    # the regulariser on top of the baseline's expanded targets must not hurt much (tolerance for noise)
    assert res["alignment"]["segment"] >= res["baseline"]["segment"] - 0.05, res
    assert res["alignment"]["song"] >= res["baseline"]["song"] - 0.05, res


def test_training_is_deterministic(setup):
    cfg, data = setup
    cfg = {**cfg, "train": {**cfg["train"], "epochs": 3}}
    outs = []
    for _ in range(2):
        head, _, _ = train_head(cfg, [data["cal500"], data["emotify"]], "alignment", "mtg-jamendo", seed=3)
        outs.append(evaluate(head, data["mtg-jamendo"], cfg["layers"], None))
        x = data["mtg-jamendo"].select(cfg["layers"])[:5]
        import torch

        with torch.no_grad():
            outs.append(head(torch.from_numpy(x)).numpy())
    assert outs[0] == outs[2]
    np.testing.assert_array_equal(outs[1], outs[3])


def test_ddp_world_size_one(setup, tmp_path):
    from moodshelf_train import dist

    cfg, data = setup
    cfg = {**cfg, "train": {**cfg["train"], "epochs": 2}}
    rank, world, active = dist.setup(force=True)
    try:
        assert (rank, world, active) == (0, 1, True)
        head, _, info = train_head(cfg, [data["cal500"], data["emotify"]], "alignment", "mtg-jamendo", seed=0,
                                   dist_info=(rank, world, active))
        assert info["epochs"] == 2
    finally:
        dist.teardown()


def test_checkpoint_resume_continues_identically(setup, tmp_path):
    """runtime.Runtime checkpoints after every epoch; a run stopped after 2 epochs and resumed to 4 ends where an
    uninterrupted 4-epoch run ends (model, optimizer, scheduler, every RNG)."""
    import torch

    cfg, data = setup
    train = [data["cal500"], data["emotify"]]
    base = {**cfg, "train": {**cfg["train"], "epochs": 4}, "runtime": {"device": "cpu"}}
    ref, _, ref_info = train_head(base, train, "alignment", "mtg-jamendo", seed=5)
    ck = {"device": "cpu", "checkpoint_dir": str(tmp_path / "ck")}
    train_head({**base, "train": {**base["train"], "epochs": 2}, "runtime": ck}, train, "alignment", "mtg-jamendo", seed=5)
    assert list((tmp_path / "ck").glob("*.pt"))
    got, _, info = train_head({**base, "runtime": {**ck, "resume": True}}, train, "alignment", "mtg-jamendo", seed=5)
    assert [h["loss"] for h in info["history"]] == [h["loss"] for h in ref_info["history"]]
    assert info["selected_epoch"] == ref_info["selected_epoch"]
    for k, v in ref.state_dict().items():
        torch.testing.assert_close(got.state_dict()[k], v, rtol=0, atol=0)
