import numpy as np
import torch
from torchmetrics.classification import MultilabelF1Score

from moodshelf_train.metrics import macro_f1, multi_hot, song_vote, topk_binarize


def test_macro_f1_matches_torchmetrics():
    rng = np.random.default_rng(0)
    for V, k, n in [(9, 3, 50), (17, 4, 80), (56, 2, 200)]:
        target = (rng.random((n, V)) < 0.15).astype(int)
        target[:, -1] = 0  # a label that never occurs (and is sometimes predicted)
        pred = topk_binarize(rng.random((n, V)), k)
        tm = MultilabelF1Score(num_labels=V, average="macro")(torch.tensor(pred), torch.tensor(target))
        assert abs(macro_f1(pred, target) - float(tm)) < 1e-6


def test_topk_and_song_vote():
    s = np.array([[0.9, 0.1, 0.5], [0.8, 0.7, 0.1], [0.1, 0.9, 0.2], [0.2, 0.3, 0.9]])
    assert topk_binarize(s, 2).tolist() == [[1, 0, 1], [1, 1, 0], [0, 1, 1], [0, 1, 1]]
    tracks, pred = song_vote(s, np.array([0, 0, 0, 1]), 1)
    # track 0: votes label0 x2, label1 x1 -> label 0 ; track 1 -> label 2
    assert tracks.tolist() == [0, 1] and pred.tolist() == [[1, 0, 0], [0, 0, 1]]
    # tie in votes broken by the mean cosine
    tracks, pred = song_vote(np.array([[0.9, 0.2], [0.1, 0.3]]), np.array([5, 5]), 1)
    assert pred.tolist() == [[1, 0]]
    assert multi_hot([[0, 2], [1]], 3).tolist() == [[1, 0, 1], [0, 1, 0]]
