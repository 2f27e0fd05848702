"""The blur mappers: one VGG16 spec, configs I–V as cut points on it, FCN-8s, HED-style fusion ± deep supervision,
and (beyond the paper) ``unet``: config V's map refined by a U-Net-style decoder over the five stages.

Every model maps an image batch (N, 3, H, W), any H and W, to blur **logits** (N, 1, H, W) of exactly the
input size; ``torch.sigmoid`` of them is the blur map in [0, 1] (1 = blurred). Upsampling is fixed bilinear
interpolation (not learned), as in the paper.

>>> import torch
>>> net = build("V")
>>> net(torch.zeros(1, 3, 37, 50)).shape
torch.Size([1, 1, 37, 50])
"""

from __future__ import annotations

import functools

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

VGG16 = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
"""Output channels of each conv of the five stages of VGG16 (conv1_1 … conv5_3)."""

CONFIGS = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
"""Table I: config name -> number of VGG16 stages kept (cut after conv1_2, conv2_2, conv3_3, conv4_3, conv5_3)."""

MODELS = (*CONFIGS, "fcn8s", "fusion", "fusion_ds", "unet")
"""Every model :func:`build` makes, by the name ``--model`` takes."""

DECODER_WIDTH = 64
"""Channels of every level of the ``unet`` decoder (conv1_2 has 64: the full-resolution level costs one more
conv1_2)."""


def conv_names(stages: int = 5) -> list[str]:
    """VGG16 conv layer names of the first ``stages`` stages: ``conv1_1`` … ``conv5_3``."""
    return [f"conv{s + 1}_{i + 1}" for s in range(stages) for i in range(len(VGG16[s]))]


class VGGTrunk(nn.Module):
    """The first ``stages`` stages of VGG16 (3×3 convs, padding 1, ReLU).

    Stage s > 1 starts with the 2×2 max-pool (ceil mode, like Keras 'same') that follows stage s - 1 in VGG16,
    so a trunk cut after stage k has no pool after its last conv. ``forward`` returns every stage's output.
    """

    def __init__(self, stages: int = 5):
        super().__init__()
        blocks, c_in = [], 3
        for s in range(stages):
            layers: list[tuple[str, nn.Module]] = []
            if s > 0:
                layers.append((f"pool{s}", nn.MaxPool2d(2, 2, ceil_mode=True)))
            for i, c_out in enumerate(VGG16[s]):
                layers += [(f"conv{s + 1}_{i + 1}", nn.Conv2d(c_in, c_out, 3, padding=1)),
                           (f"relu{s + 1}_{i + 1}", nn.ReLU(inplace=True))]
                c_in = c_out
            blocks.append(nn.Sequential(OrderedDict(layers)))
        self.stages = nn.ModuleList(blocks)

    @property
    def channels(self) -> list[int]:
        return [VGG16[s][-1] for s in range(len(self.stages))]

    def convs(self) -> dict[str, nn.Conv2d]:
        """Named conv layers, ``{"conv1_1": Conv2d, …}``."""
        return {n: m for stage in self.stages for n, m in stage.named_children() if n.startswith("conv")}

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs


def upsample(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Fixed bilinear in-network upsampling to ``size`` (half-pixel centres, as Keras/TF ``resize``).

    On CUDA, when a gradient is needed, the gradient is computed by :class:`DeterministicBilinear` (torch's own
    bilinear backward accumulates with atomic adds there, so it is not reproducible); the values are the same.
    """
    if x.shape[-2:] == size:
        return x
    if x.is_cuda and x.requires_grad and torch.is_grad_enabled():
        return DeterministicBilinear.apply(x, tuple(size))
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def bilinear_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """(n_out, n_in) float32 matrix of 1-D bilinear resampling with half-pixel centres, as ``F.interpolate``
    (``align_corners=False``, output size given): row d weights the two inputs around ``(d + 0.5)·n_in/n_out − 0.5``.

    >>> bilinear_matrix(4, 2)
    tensor([[1.0000, 0.0000],
            [0.7500, 0.2500],
            [0.2500, 0.7500],
            [0.0000, 1.0000]])
    """
    src = ((torch.arange(n_out, dtype=torch.float64) + 0.5) * (n_in / n_out) - 0.5).clamp(min=0)
    i0 = src.floor().long().clamp(max=n_in - 1)
    i1 = (i0 + 1).clamp(max=n_in - 1)
    frac = src - i0
    rows = torch.arange(n_out)
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    m.index_put_((rows, i0), 1 - frac, accumulate=True)
    m.index_put_((rows, i1), frac, accumulate=True)
    return m.float()


class DeterministicBilinear(torch.autograd.Function):
    """``F.interpolate(x, size, mode="bilinear")`` whose backward is two matrix products, grad_x = Rhᵀ · g · Rw
    (:func:`bilinear_matrix`), computed in fp32: deterministic on CUDA, where torch's own backward is not (and
    ``torch.use_deterministic_algorithms(True)`` refuses it). Forward values are torch's, bit for bit."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        ctx.in_size = tuple(x.shape[-2:])
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        (h_in, w_in), (h_out, w_out) = ctx.in_size, g.shape[-2:]
        rh, rw = bilinear_matrix_on(h_out, h_in, g.device), bilinear_matrix_on(w_out, w_in, g.device)
        return (rh.T @ g.float() @ rw).to(g.dtype), None


@functools.lru_cache(maxsize=64)
def bilinear_matrix_on(n_out: int, n_in: int, device: torch.device) -> torch.Tensor:
    """:func:`bilinear_matrix` on ``device``, made once per size and device (a training step's backward reuses it)."""
    return bilinear_matrix(n_out, n_in).to(device)


class BlurMapper(nn.Module):
    """Configs I–V (Table I): VGG16 trimmed after stage k, a 1×1 conv to one channel, bilinear upsampling."""

    deep_supervision = False

    stages_used = (-1,)
    """Which trunk stages' outputs :meth:`head` reads (the int8 trunk of :mod:`blurlib.quantize` hands over only those)."""

    def __init__(self, stages: int = 5):
        super().__init__()
        self.trunk = VGGTrunk(stages)
        self.score = nn.Conv2d(self.trunk.channels[-1], 1, 1)

    def head(self, feats: list[torch.Tensor | None], size: tuple[int, int]) -> torch.Tensor:
        """Logits of size ``size`` from the trunk's stage outputs (only those of :attr:`stages_used` are read)."""
        return upsample(self.score(feats[-1]), size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x), x.shape[-2:])


class FCN8s(nn.Module):
    """FCN-8s skip architecture on the trimmed VGG16 (no fully connected layers).

    The score of conv5_3 (stride 16) is summed with the score of pool4 (stride 16, the input of stage 5), upsampled
    2× (bilinear, fixed), summed with the score of pool3 (stride 8), and upsampled 8× to the input size. Skip
    scores start at zero, as in FCN.
    """

    deep_supervision = False

    def __init__(self):
        super().__init__()
        self.trunk = VGGTrunk(5)
        c3, c4, c5 = self.trunk.channels[2:]
        self.score = nn.Conv2d(c5, 1, 1)
        self.score_pool4 = nn.Conv2d(c4, 1, 1)
        self.score_pool3 = nn.Conv2d(c3, 1, 1)
        for m in (self.score_pool4, self.score_pool3):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stages = self.trunk.stages
        c3 = stages[2](stages[1](stages[0](x)))
        pool3 = stages[3][0](c3)  # each stage starts with the pool of the previous one: take the trunk's own
        pool4 = stages[4][0](stages[3][1:](pool3))
        s16 = self.score(stages[4][1:](pool4)) + self.score_pool4(pool4)
        s8 = upsample(s16, pool3.shape[-2:]) + self.score_pool3(pool3)
        return upsample(s8, x.shape[-2:])


class Fusion(nn.Module):
    """HED-style side outputs after conv1_2 … conv5_3, upsampled and fused by a learned 1×1 conv.

    With ``deep_supervision`` the training loss also covers every side output (:func:`forward` with
    ``return_sides=True``). :attr:`fusion_weights` are the learned weights, shallow -> deep.
    """

    def __init__(self, deep_supervision: bool = False):
        super().__init__()
        self.deep_supervision = deep_supervision
        self.trunk = VGGTrunk(5)
        self.sides = nn.ModuleList(nn.Conv2d(c, 1, 1) for c in self.trunk.channels)
        self.fuse = nn.Conv2d(5, 1, 1)
        for m in self.sides:  # as HED: side outputs start at 0, the fusion at 1/5
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)
        nn.init.constant_(self.fuse.weight, 0.2)
        nn.init.zeros_(self.fuse.bias)

    @property
    def fusion_weights(self) -> list[float]:
        return self.fuse.weight.detach().flatten().tolist()

    def forward(self, x: torch.Tensor, return_sides: bool = False):
        size = x.shape[-2:]
        sides = [upsample(head(f), size) for head, f in zip(self.sides, self.trunk(x))]
        fused = self.fuse(torch.cat(sides, dim=1))
        return (fused, sides) if return_sides else fused


class UNetRefiner(nn.Module):
    """Config V's blur map plus a learned, edge-aware correction from a U-Net-style decoder (beyond the paper).

    The decoder starts at conv5_3 (stride 16) and climbs back to full resolution: at each stage s = 4 … 1 it
    upsamples (bilinear, fixed), adds a 1×1 projection of stage s's output (the skip connection: conv4_3, conv3_3,
    conv2_2, conv1_2) and applies a 3×3 conv + ReLU; every level has :data:`DECODER_WIDTH` channels. A 1×1 conv
    turns the full-resolution features into a correction that is **added to** config V's upsampled logits::

        logits = up(score(conv5_3)) + correction(decoder(conv1_2 … conv5_3))

    The correction starts at zero, so training starts from config V and the decoder learns only what DBM's
    1/16-resolution head cannot draw: sharp region boundaries. The training loss also covers config V's map alone
    (:attr:`deep_supervision`; ``forward(x, return_sides=True)`` returns it as the one side output), so that map
    stays a blur map of its own (and can be shown beside the refined one).
    """

    deep_supervision = True

    def __init__(self, width: int = DECODER_WIDTH):
        super().__init__()
        self.trunk = VGGTrunk(5)
        channels = self.trunk.channels
        self.score = nn.Conv2d(channels[-1], 1, 1)
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in channels)
        self.smooth = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in channels[:-1])
        self.correction = nn.Conv2d(width, 1, 1)
        nn.init.zeros_(self.correction.weight)
        nn.init.zeros_(self.correction.bias)

    stages_used = (0, 1, 2, 3, 4)

    def head(self, feats: list[torch.Tensor], size: tuple[int, int], return_sides: bool = False):
        """Refined logits of size ``size`` (and, with ``return_sides``, ``[config V's logits]``) from the five
        stage outputs."""
        coarse = upsample(self.score(feats[-1]), size)
        d = F.relu(self.lateral[-1](feats[-1]))
        for s in range(len(feats) - 2, -1, -1):  # stage 4 … 1
            d = F.relu(self.smooth[s](upsample(d, feats[s].shape[-2:]) + self.lateral[s](feats[s])))
        refined = coarse + upsample(self.correction(d), size)
        return (refined, [coarse]) if return_sides else refined

    def forward(self, x: torch.Tensor, return_sides: bool = False):
        return self.head(self.trunk(x), x.shape[-2:], return_sides)


def build(name: str) -> nn.Module:
    """A randomly initialised model by name: ``I``…``V``, ``fcn8s``, ``fusion``, ``fusion_ds``, ``unet``.

    Load backbone weights with :func:`blurlib.weights.init_model`.
    """
    if name in CONFIGS:
        return BlurMapper(CONFIGS[name])
    if name == "fcn8s":
        return FCN8s()
    if name in ("fusion", "fusion_ds"):
        return Fusion(deep_supervision=name == "fusion_ds")
    if name == "unet":
        return UNetRefiner()
    raise ValueError(f"unknown model {name!r}: use one of {', '.join(MODELS)}")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
