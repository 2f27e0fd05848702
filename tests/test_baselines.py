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
    assert (lbp_riu2(flat) == 0).all()  # no neighbour brighter than the centre by more than T
    spot = np.zeros((5, 5))
    spot[2, 2] = -1  # a dark centre: all 8 neighbours brighter -> uniform code 8
    assert lbp_riu2(spot)[2, 2] == 8
    checker = np.indices((5, 5)).sum(axis=0) % 2 * 1.0  # centre 0, its 4 edge neighbours 1, diagonals 0
    assert lbp_riu2(checker)[2, 2] == 9  # bits alternate around the ring: 8 transitions, non-uniform
    half = np.zeros((5, 5))
    half[:, 3:] = 1.0  # the right column of the ring brighter: 3 neighbours, one run -> uniform code 3
    assert lbp_riu2(half)[2, 2] == 3


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
