"""Hand-crafted baselines: the common contract, and each one ranks blurred above sharp on a known case."""

from __future__ import annotations

import numpy as np
import pytest

from blurlib.baselines import METHODS, get
from blurlib.baselines.yi16 import lbp_riu2
from blurlib.data.synthetic import _photo, disk_psf, partial_blur


@pytest.fixture(scope="module")
def half_blurred():
    import cv2
    image = cv2.resize(_photo("astronaut"), (160, 160), interpolation=cv2.INTER_AREA)
    mask = np.zeros((160, 160), bool)
    mask[:, 80:] = True
    return partial_blur(image, mask, disk_psf(4)), mask


@pytest.mark.parametrize("name", list(METHODS))
def test_contract_and_direction(name, half_blurred):
    image, mask = half_blurred
    m = get(name)(image)
    assert m.shape == mask.shape and m.dtype == np.float32
    assert 0 <= m.min() and m.max() <= 1 and np.isfinite(m).all()
    inner = np.zeros_like(mask)
    inner[16:-16, 16:-16] = True  # away from the borders and the boundary of the blur
    inner[:, 64:96] = False
    assert m[mask & inner].mean() > m[~mask & inner].mean() + 0.05


def test_shi14_kurtosis_feature_alone_ranks_blurred_above_sharp(half_blurred, monkeypatch):
    from blurlib.baselines import shi14

    image, mask = half_blurred
    # the spectrum slope made constant: what is left of the map is the kurtosis feature (low kurtosis = blurred)
    monkeypatch.setattr(shi14, "local_spectrum_slopes", lambda g: np.zeros((4, 4)))
    m = shi14.blur_map(image)
    assert m[16:-16, 96:-16].mean() > m[16:-16, 16:64].mean() + 0.1  # blurred right half above sharp left half


def test_lbp_riu2_codes():
    flat = np.zeros((5, 5))
    assert (lbp_riu2(flat) == 0).all()  # no neighbour brighter than the centre by T or more
    spot = np.zeros((5, 5))
    spot[2, 2] = -1  # a dark centre: all 8 neighbours brighter -> uniform code 8
    assert lbp_riu2(spot)[2, 2] == 8
    bar = np.zeros((5, 5))
    bar[1, 2] = bar[3, 2] = 1.0  # above and below brighter; the interpolated diagonals pick up a share of them
    assert lbp_riu2(bar)[2, 2] == 9  # bits 1 1 0 1 1 1 0 1 around the ring: 4 transitions, non-uniform
    half = np.zeros((5, 5))
    half[:, 3:] = 1.0  # the right of the ring brighter: the right neighbour and (interpolated) its two diagonals
    assert lbp_riu2(half)[2, 2] == 3
    diagonal = np.zeros((5, 5))
    diagonal[1, 3] = 1.0  # only the upper-right pixel: its interpolated sample on the circle gets half of it
    assert lbp_riu2(diagonal)[2, 2] == 1 and lbp_riu2(diagonal, threshold=0.6)[2, 2] == 0


def _brute_force_marginals(layers, alpha):
    """P(sharp) of every node of the stacked layers' random field by summing over all its states (tiny fields only)."""
    import itertools

    x = np.stack([np.asarray(a, float) for a in layers])
    x = (x - x.mean()) / x.std()
    shape, n = x.shape, x.size
    edges = []
    index = np.arange(n).reshape(shape)
    for axis in range(3):
        lo = np.take(index, range(shape[axis] - 1), axis=axis).ravel()
        hi = np.take(index, range(1, shape[axis]), axis=axis).ravel()
        edges += list(zip(lo, hi))
    total, sharp = 0.0, np.zeros(n)
    for states in itertools.product((0, 1), repeat=n):  # 1 = sharp
        s = np.array(states)
        weight = np.prod(np.where(s == 1, np.exp(-np.abs(1 - x.ravel())), np.exp(-np.abs(x.ravel()))))
        weight *= np.exp(-alpha * sum(s[i] != s[j] for i, j in edges))
        total += weight
        sharp += weight * s
    return (sharp / total).reshape(shape)


@pytest.mark.parametrize("layers", [
    [np.array([[0.1, 0.9, 0.4, 0.7]])],  # one scale, a chain of 4: a tree, where belief propagation is exact
    [np.array([[0.2]]), np.array([[0.8]]), np.array([[0.5]])],  # three scales of one pixel: a chain across scales
    [np.array([[0.1, 0.9], [0.3, 0.6]]), np.array([[0.5, 0.2], [0.8, 0.4]])],  # loops: close to exact, not equal
])
def test_multiscale_inference_marginals(layers):
    from blurlib.baselines._common import multiscale_inference

    exact = _brute_force_marginals(layers, 0.5)[0]
    tree = all(a.size == 1 for a in layers) or len(layers) == 1
    assert np.allclose(multiscale_inference(layers, 0.5), exact, atol=1e-5 if tree else 0.02)


def test_matte_follows_colour_from_its_constraints():
    """Two colour regions, a few pixels of each constrained: the matte spreads 1 over the first and 0 over the
    second, across the pyramid levels; without both kinds of constraint there is no matte."""
    from blurlib.baselines._common import matte

    image = np.full((64, 64, 3), 40.0)
    image[:, 32:] = (200, 180, 60)
    image = np.clip(image + np.random.default_rng(0).normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    fg, bg = np.zeros((64, 64), bool), np.zeros((64, 64), bool)
    fg[8:56, 4:12], bg[8:56, 52:60] = True, True
    alpha = matte(image, fg, bg)
    assert alpha.shape == (64, 64) and alpha[:, :28].mean() > 0.95 and alpha[:, 36:].mean() < 0.05
    assert matte(image, fg, np.zeros_like(bg)) is None


def test_unknown_baseline():
    with pytest.raises(ValueError, match="unknown baseline"):
        get("Bae12")


def test_zhuo11_edge_blur_of_a_gaussian_step():
    """At a step edge blurred by a Gaussian of σ, the gradient ratio gives σ back (σ0 / √(R² − 1))."""
    import cv2

    from blurlib.baselines import zhuo11

    step = np.zeros((64, 64), np.float32)
    step[:, 32:] = 1.0
    for sigma in (1.0, 2.0):
        g = 0.2 + 0.6 * cv2.GaussianBlur(step, (0, 0), sigma)
        est, edges = zhuo11.sparse_defocus(g)
        centre = est[16:48, 30:34][edges[16:48, 30:34]]
        assert centre.size and abs(np.median(centre) - sigma) < 0.35 * sigma


def test_zhuo11_propagation_keeps_a_constant_and_follows_colour():
    """The matting Laplacian has the constants in its null space: one value at the edges spreads unchanged; two
    regions of different colour keep their own values."""
    from blurlib.baselines import zhuo11

    image = np.full((32, 32, 3), 40.0)
    image[:, 16:] = (200, 180, 60)
    image = np.clip(image + np.random.default_rng(0).normal(0, 3, image.shape), 0, 255).astype(np.uint8)  # a photo's noise
    known = np.zeros((32, 32), bool)
    known[::4, 2] = known[::4, 29] = True
    sparse = np.where(known, 1.5, 0.0)
    assert np.allclose(zhuo11.propagate(image, sparse, known), 1.5, atol=1e-3)
    sparse[:, 29] = np.where(known[:, 29], 3.0, 0.0)
    d = zhuo11.propagate(image, sparse, known)
    assert abs(d[:, :14].mean() - 1.5) < 0.1 and abs(d[:, 18:].mean() - 3.0) < 0.1
