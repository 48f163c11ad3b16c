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
    for method, r in res.items():
        assert r["segment"] > ch["segment"] + 0.05, (method, r, ch)
        assert r["song"] > ch["song"] + 0.05, (method, r, ch)
    # alignment regularisation on top of clustering must not hurt (small tolerance for noise)
    assert res["alignment"]["segment"] >= res["clustering"]["segment"] - 0.03, res
    assert res["alignment"]["song"] >= res["clustering"]["song"] - 0.03, res


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
