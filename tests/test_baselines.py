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
