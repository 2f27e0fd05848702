"""Resized, normalised tensors of benchmark pairs, for training and evaluation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from blurlib.data.cuhk import Pair
from blurlib.data.preprocess import normalize, resize_pair


class PairDataset(torch.utils.data.Dataset):
    """Pairs resized to ``size`` once, kept in memory as uint8 (352 images at 384² take ~160 MB).

    Item ``i``: (image float32 (3, size, size) in the backbone ``convention``, mask float32 (1, size, size) in
    {0, 1}, 1 = blurred).
    """

    def __init__(self, pairs: Sequence[Pair], size: int, convention: str = "caffe"):
        if not pairs:
            raise ValueError("no images to load: the selected split/category is empty")
        self.names = [p.name for p in pairs]
        self.convention = convention
        loaded = [resize_pair(*p.load(), size) for p in pairs]
        self.images = np.stack([im for im, _ in loaded])
        self.masks = np.stack([m for _, m in loaded])

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = normalize(self.images[i], self.convention)
        y = torch.from_numpy(self.masks[i]).float()[None]
        return x, y
