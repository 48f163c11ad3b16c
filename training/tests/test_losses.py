import math

import torch

from moodshelf_train.losses import alignment_regularizer, multi_dataset_loss, triplet_cosine_loss


def test_triplet_hand_computed():
    a = torch.tensor([[1.0, 0.0], [2.0, 0.0]])
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # cos 1, cos 0
    n = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])  # cos 0, cos -1
    # row 0: relu(0 - 1 + 1) = 0 ; row 1: relu(-1 - 0 + 1) = 0
    assert torch.isclose(triplet_cosine_loss(a, p, n), torch.tensor(0.0))
    n2 = torch.tensor([[1.0, 1.0], [1.0, 0.0]])  # cos 1/sqrt2, cos 1
    # row 0: relu(0.7071 - 1 + 1) = 0.7071 ; row 1: relu(1 - 0 + 1) = 2
    expected = (1 / math.sqrt(2) + 2.0) / 2
    assert abs(float(triplet_cosine_loss(a, p, n2)) - expected) < 1e-6
    # margin is a parameter
    assert abs(float(triplet_cosine_loss(a, p, n2, margin=0.5)) - (0.2071068 + 1.5) / 2) < 1e-6


def test_alignment_regularizer_hand_computed():
    a = torch.tensor([[1.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])
    ids = torch.tensor([0, 1, 1])
    # anchor 0: partners 1, 2 (different id): cos 0 and -1 -> mean -0.5 -> relu(0.5) = 0.5
    # anchor 1: partner 0: cos 0 -> 1 ; anchor 2: partner 0: cos -1 -> 0
    lam = 2.5
    expected = lam * (0.5 + 1.0 + 0.0) / 3
    assert abs(float(alignment_regularizer(a, ids, lam)) - expected) < 1e-6


def test_alignment_regularizer_without_partner_gives_lambda_as_the_paper():
    """The paper's RegularizationLossV2 divides a zero sum by clamp(count, 1e-8): an anchor with no partner of a
    different id has mean 0 and contributes lam * relu(0 + 1) = lam; all ids equal -> exactly lam."""
    a = torch.randn(4, 3, requires_grad=True)
    assert abs(float(alignment_regularizer(a, torch.zeros(4, dtype=torch.long), lam=2.5).detach()) - 2.5) < 1e-6
    assert abs(float(alignment_regularizer(a, torch.zeros(4, dtype=torch.long), lam=1.0).detach()) - 1.0) < 1e-6
    b = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    # ids [5, 5, 7]: anchor 0 -> partner 2: cos 1 -> relu(2) = 2; anchor 1 -> partner 2: cos 0 -> 1;
    # anchor 2 -> partners 0, 1: mean(1, 0) = 0.5 -> 1.5. mean = 1.5, times lam 2
    assert abs(float(alignment_regularizer(b, torch.tensor([5, 5, 7]), lam=2.0)) - 2.0 * (2 + 1 + 1.5) / 3) < 1e-6
    loss = alignment_regularizer(a, torch.tensor([0, 1, 0, 1]))
    loss.backward()
    assert a.grad is not None and torch.isfinite(a.grad).all()


def test_multi_dataset_loss_sums_per_dataset_triplets_and_regularises_the_concatenation():
    # dataset A: one sample, anchor (1, 0), positive (0, 1) -> cos 0, negative (1, 0) -> cos 1: relu(1 - 0 + 1) = 2
    # dataset B: three samples, all anchor = positive, negative orthogonal: relu(0 - 1 + 1) = 0 each -> mean 0
    aA = torch.tensor([[3.0, 0.0]])  # scale must not matter: anchors are L2-normalised first
    pA, nA = torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]])
    aB = torch.tensor([[0.0, 2.0], [0.0, 1.0], [0.0, 5.0]])
    pB, nB = aB.clone(), torch.tensor([[1.0, 0.0]] * 3)
    total, per, reg = multi_dataset_loss([(aA, pA, nA), (aB, pB, nB)], margin=1.0)
    assert [round(float(x), 6) for x in per] == [2.0, 0.0]
    assert abs(float(total) - 2.0) < 1e-6  # summed per dataset; one mixed batch would give (2 + 0 + 0 + 0) / 4
    assert reg is None
    # regulariser over the 4 anchors concatenated, ids A: [1], B: [1, 2, 2]
    # normalised anchors: u0 = (1, 0), u1 = u2 = u3 = (0, 1)
    # anchor 0 (id 1): partners 2, 3 (id 2): cos 0, 0 -> mean 0 -> relu(1) = 1
    # anchor 1 (id 1): partners 2, 3: cos 1, 1 -> 1 -> relu(2) = 2
    # anchor 2 (id 2): partners 0, 1: cos 0, 1 -> 0.5 -> 1.5 ; anchor 3: same 1.5
    total, per, reg = multi_dataset_loss([(aA, pA, nA), (aB, pB, nB)], margin=1.0,
                                         reg_ids=[torch.tensor([1]), torch.tensor([1, 2, 2])], lam=2.5)
    expected_reg = 2.5 * (1 + 2 + 1.5 + 1.5) / 4
    assert abs(float(reg) - expected_reg) < 1e-6
    assert abs(float(total) - (2.0 + expected_reg)) < 1e-6
