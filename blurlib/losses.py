"""Training losses on blur logits: pixel-wise cross entropy (the paper's), the fidelity loss (Table IV) and, beyond
the paper, cross entropy + soft IoU (the pair later detectors train sharp maps with).

Each takes ``logits`` (N, 1, H, W), any float dtype (computed in float32), and ``target`` (N, 1, H, W) in {0, 1}
(1 = blurred), and returns a scalar tensor: the mean over all pixels of the batch (``bce_iou``: plus its IoU term's
mean over the images).
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


def bce_iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross entropy + soft IoU loss: :func:`cross_entropy` + mean over images of ``1 − Σpy / Σ(p + y − py)``.

    Cross entropy scores each pixel alone, so a map that is 0.6 everywhere near a boundary costs little; the IoU
    term scores each image's map as a region and keeps falling only as the map commits to 0 or 1 on the right side
    of the boundary, which is what MAE and Fβ reward (BASNet, CVPR 2019, and later defocus detectors pair them so).
    Both sums get +1, so an image without blurred pixels costs ``Σp / (Σp + 1)``: zero only for a map of zeros.

    >>> y = torch.tensor([[[[1.0, 0.0]]]])
    >>> round(bce_iou(torch.tensor([[[[20.0, -20.0]]]]), y).item(), 3)  # sure and right
    0.0
    """
    p = torch.sigmoid(logits.float())
    inter = (p * target).sum(dim=(1, 2, 3))
    union = (p + target - p * target).sum(dim=(1, 2, 3))
    return cross_entropy(logits, target) + (1 - (inter + 1) / (union + 1)).mean()


LOSSES = {"cross_entropy": cross_entropy, "fidelity": fidelity, "bce_iou": bce_iou}
"""Loss name (as profiles and ``--loss`` spell it) -> loss function."""

DEFAULT_LOSS = "cross_entropy"
