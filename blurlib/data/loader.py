"""Resized, normalised tensors of benchmark pairs, for training and evaluation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from blurlib.data.cuhk import Pair
from blurlib.data.preprocess import normalize, normalize_batch, resize_pair


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

    def batches_on(self, device: torch.device):
        """A function ``batch(indices) -> (x, y)`` that copies every image and mask to ``device`` once, as uint8, and
        there gathers and normalises each batch: x float32 (B, 3, size, size) channels_last, y float32 (B, 1, size,
        size). The values are those of stacking items ``indices`` of this dataset, bit for bit.

        >>> import numpy as np
        >>> d = PairDataset.__new__(PairDataset)
        >>> d.images, d.masks, d.convention = np.zeros((2, 4, 4, 3), np.uint8), np.ones((2, 4, 4), bool), "caffe"
        >>> x, y = d.batches_on(torch.device("cpu"))([1, 0, 1])
        >>> x.shape, y.shape, bool(torch.equal(x[0], d[1][0]))
        (torch.Size([3, 3, 4, 4]), torch.Size([3, 1, 4, 4]), True)
        """
        images, masks = torch.from_numpy(self.images).to(device), torch.from_numpy(self.masks).to(device)

        def batch(indices) -> tuple[torch.Tensor, torch.Tensor]:
            i = torch.as_tensor(list(indices), dtype=torch.long, device=device)
            x = normalize_batch(images[i], self.convention).contiguous(memory_format=torch.channels_last)
            return x, masks[i].float()[:, None]

        return batch

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = normalize(self.images[i], self.convention)
        y = torch.from_numpy(self.masks[i]).float()[None]
        return x, y
