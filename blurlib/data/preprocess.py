"""Resizing and backbone-specific normalisation, and their inverse for display.

Two input conventions, named by the backbone weights they belong to:

- ``caffe`` (HED, FCN and other Caffe/Keras-converted VGG16 weights): BGR channel order, 0..255, minus the
  ImageNet mean (B, G, R) = (104.007, 116.669, 122.679); no scaling.
- ``torchvision`` (torchvision's ImageNet VGG16): RGB, 0..1, minus mean (0.485, 0.456, 0.406), divided by std
  (0.229, 0.224, 0.225).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

CAFFE_MEAN_BGR = (104.00699, 116.66877, 122.67892)
TORCHVISION_MEAN_RGB = (0.485, 0.456, 0.406)
TORCHVISION_STD_RGB = (0.229, 0.224, 0.225)
CONVENTIONS = ("caffe", "torchvision")
DEFAULT_SIZE = 384
"""The paper's input side (pixels): images are resized to 384² for training and testing."""


def resize_pair(image: np.ndarray, mask: np.ndarray | None, size: int | tuple[int, int]):
    """Resize an image (uint8 (H, W, 3)) bilinearly and its mask (bool (H, W)) by nearest neighbour.

    ``size`` is an int (square, e.g. :data:`DEFAULT_SIZE`) or (height, width). Returns (image, mask or None).
    """
    h, w = (size, size) if isinstance(size, int) else size
    image = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
    if mask is not None:
        mask = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
    return image, mask


def normalize(image: np.ndarray, convention: str = "caffe") -> torch.Tensor:
    """uint8 RGB (H, W, 3) -> float32 tensor (3, H, W) in the backbone's convention (:func:`normalize_batch` of one).

    >>> x = normalize(np.full((2, 2, 3), 255, np.uint8))
    >>> x.shape, round(float(x[0, 0, 0]), 3)   # channel 0 is blue under the caffe convention
    (torch.Size([3, 2, 2]), 150.993)
    """
    own = image if image.flags.writeable and image.flags.c_contiguous else np.array(image)  # torch needs writable
    return normalize_batch(torch.from_numpy(own)[None], convention)[0]


def normalize_batch(images: torch.Tensor, convention: str = "caffe") -> torch.Tensor:
    """uint8 RGB tensor (B, H, W, 3) -> float32 (B, 3, H, W) in the backbone's convention, on the tensor's device
    (training keeps its images there as uint8 and normalises each batch where it runs).

    >>> normalize_batch(torch.full((2, 1, 1, 3), 255, dtype=torch.uint8), "torchvision").shape
    torch.Size([2, 3, 1, 1])
    """
    x = images.permute(0, 3, 1, 2).float()
    if convention == "caffe":
        return x.flip(1) - torch.tensor(CAFFE_MEAN_BGR, device=x.device).view(1, 3, 1, 1)
    if convention == "torchvision":
        mean = torch.tensor(TORCHVISION_MEAN_RGB, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(TORCHVISION_STD_RGB, device=x.device).view(1, 3, 1, 1)
        return (x / 255.0 - mean) / std
    raise ValueError(f"unknown input convention {convention!r}: use one of {CONVENTIONS}")


def denormalize(x: torch.Tensor, convention: str = "caffe") -> np.ndarray:
    """Inverse of :func:`normalize`: tensor (3, H, W) -> uint8 RGB (H, W, 3), for display."""
    x = x.detach().float().cpu()
    if convention == "caffe":
        x = (x + torch.tensor(CAFFE_MEAN_BGR).view(3, 1, 1)).flip(0)
    elif convention == "torchvision":
        x = (x * torch.tensor(TORCHVISION_STD_RGB).view(3, 1, 1) + torch.tensor(TORCHVISION_MEAN_RGB).view(3, 1, 1)) * 255
    else:
        raise ValueError(f"unknown input convention {convention!r}: use one of {CONVENTIONS}")
    return x.round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
