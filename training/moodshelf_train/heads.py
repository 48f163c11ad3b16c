"""Projection heads (the paper's two variants). Input: concatenated pooled hidden states (3072 for MERT
layers 3, 6, 9, 12); output: joint-space vector (384), L2-normalised outside the module."""

import torch
from torch import nn


class MLPHead(nn.Module):
    """2 x (Linear d->d, ReLU, Dropout 0.1), Linear d->out (20.1 M params at 3072 -> 384)."""

    def __init__(self, input_dim=3072, output_dim=384, hidden_dim=None, depth=2, dropout=0.1):
        super().__init__()
        hidden_dim = hidden_dim or input_dim
        layers, d = [], input_dim
        for _ in range(depth):
            layers += [nn.Linear(d, hidden_dim), nn.ReLU(), nn.Dropout(dropout)]
            d = hidden_dim
        layers.append(nn.Linear(d, output_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, features):
        return self.net(features)


class AttentionHead(nn.Module):
    """Linear d->768, TransformerEncoder (2 layers, 8 heads, ff 3072), LayerNorm, Linear 768->out.
    The input is one token per segment (sequence length 1), as the paper's code (16.8 M params at default)."""

    def __init__(self, input_dim=3072, output_dim=384, model_dim=768, layers=2, heads=8, ff=3072, dropout=0.1):
        super().__init__()
        self.proj = nn.Linear(input_dim, model_dim)
        layer = nn.TransformerEncoderLayer(model_dim, heads, ff, dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(model_dim)
        self.out = nn.Linear(model_dim, output_dim)

    def forward(self, features):
        x = self.proj(features).unsqueeze(1)
        x = self.encoder(x).squeeze(1)
        return self.out(self.norm(x))


def build_head(kind, input_dim, output_dim, **kw):
    if kind == "mlp":
        return MLPHead(input_dim, output_dim, **kw)
    if kind == "attention":
        return AttentionHead(input_dim, output_dim, **kw)
    raise ValueError(f"unknown head {kind!r}")
