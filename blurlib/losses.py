"""Training losses on blur logits: pixel-wise cross entropy (the paper's) and the fidelity loss (Table IV).

Each takes ``logits`` (N, 1, H, W), any float dtype (computed in float32), and ``target`` (N, 1, H, W) in {0, 1}
(1 = blurred), and returns the mean over all pixels of the batch (a scalar tensor).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Pixel-wise binary cross entropy of sigmoid(logits) against target in {0, 1}, mean over pixels."""
    return F.binary_cross_entropy_with_logits(logits.float(), target)


def fidelity(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Fidelity loss 1 − √(p·y) − √((1−p)(1−y)), p = sigmoid(logits), mean over pixels (Tsai et al., 2007)."""
    p = torch.sigmoid(logits.float())
    return (1 - torch.sqrt(p * target + 1e-8) - torch.sqrt((1 - p) * (1 - target) + 1e-8)).mean()


LOSSES = {"cross_entropy": cross_entropy, "fidelity": fidelity}
"""Loss name (as profiles and ``--loss`` spell it) -> loss function."""

DEFAULT_LOSS = "cross_entropy"
