"""Fig. 2 statistics on synthetic data with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from blurlib.data.synthetic import disk_psf, partial_blur
from blurlib.features import GROUPS, gradient_statistics, pick_patches, sample_patches, spectrum_slope


def test_spectrum_slope_steepens_with_blur():
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 255, (64, 64, 3)).astype(np.uint8)
    sharp = noise[..., 0] / 255.0
    blurred = partial_blur(noise, np.ones((64, 64), bool), disk_psf(3))[..., 0] / 255.0
    _, _, s_sharp = spectrum_slope(sharp)
    freqs, power, s_blur = spectrum_slope(blurred)
    assert abs(s_sharp) < 0.5  # white noise: flat spectrum
    assert s_blur < s_sharp - 1.5
    assert len(freqs) == len(power) == 31


def test_sample_patches_shapes_and_shares():
    rng = np.random.default_rng(0)
    image = np.zeros((40, 50, 3), np.uint8)
    mask = np.zeros((40, 50), bool)
    mask[:, 25:] = True
    p, share = sample_patches(image, mask, 100, 9, rng)
    assert p.shape == (100, 9, 9) and share.shape == (100,) and ((share >= 0) & (share <= 1)).all()


def test_gradient_statistics_groups(synthetic):
    stats = gradient_statistics(synthetic.pairs, patches_per_image=500, size=9)
    assert set(stats["groups"]) == set(GROUPS)
    width = np.diff(stats["edges"])[0]
    for g in stats["groups"].values():
        assert g["n"] > 0 and (g["dx"] * width).sum() == pytest.approx(1.0, abs=1e-6)
    # structured sharp patches have wider gradient distributions than flat blurred ones
    centre = len(stats["edges"]) // 2
    assert stats["groups"]["blurred, flat"]["dx"][centre] > stats["groups"]["sharp, structured"]["dx"][centre]


def test_pick_patches_finds_four_labelled_patches(synthetic):
    picked = pick_patches(synthetic.pairs, size=24, stride=8)
    assert [p["label"] for p in picked] == ["flat, sharp", "flat, blurred", "structured, sharp", "structured, blurred"]
    assert all(p["rgb"].shape == (24, 24, 3) for p in picked)
    assert picked[2]["grey"].std() > picked[0]["grey"].std()


def test_pick_patches_halves_the_side_until_one_image_holds_all_four(synthetic):
    """On small images (the synthetic set a fresh clone's notebooks run on) 64 px windows rarely fit inside a region."""
    picked = pick_patches(synthetic.pairs)  # 64 px asked, on 64 px images
    assert len(picked) == 4 and picked[0]["size"] < 64 and len({p["name"] for p in picked}) == 1
    assert all(p["rgb"].shape[:2] == (picked[0]["size"],) * 2 for p in picked)
    assert pick_patches(synthetic.pairs, size=64, min_size=64) == []  # nothing at 64 px, and no halving allowed


def test_four_patches_come_from_one_image_and_groups_are_thirds_of_the_pure_patches(synthetic):
    picked = pick_patches(synthetic.pairs, size=24, stride=8)
    assert len({p["name"] for p in picked}) == 1  # Fig. 1: one image, four patches
    image, mask = next(p for p in synthetic.pairs if p.name == picked[0]["name"]).load()
    for p in picked:
        y, x = p["yx"]
        assert mask[y:y + 24, x:x + 24].all() == ("blurred" in p["label"])
    stats = gradient_statistics(synthetic.pairs, patches_per_image=300, size=9)
    assert stats["n_patches"] == 300 * stats["n_images"]
    for side in ("sharp", "blurred"):
        n = stats["groups"][f"{side}, flat"]["n"]
        assert abs(n - stats["n_pure"][side] / 3) <= 2 + 0.01 * n
