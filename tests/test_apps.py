"""Applications on synthetic images with exact masks."""

from __future__ import annotations

import numpy as np
import pytest

from blurlib.apps import blur_degree, grabcut_trimap, iou, magnify, segment
from blurlib.data.synthetic import disk_psf, make_sample, partial_blur
from blurlib.errors import BlurlibError


def test_trimap_bins_follow_the_paper():
    import cv2
    labels = grabcut_trimap(np.array([[0.0, 0.09, 0.1, 0.49, 0.5, 0.89, 0.9, 1.0]]))
    assert labels.tolist() == [[cv2.GC_FGD] * 2 + [cv2.GC_PR_FGD] * 2 + [cv2.GC_PR_BGD] * 2 + [cv2.GC_BGD] * 2]


def test_grabcut_from_the_true_mask_recovers_it():
    _, image, mask = make_sample(2, 96, seed=1)
    seg = segment(image, mask.astype(np.float32))
    assert iou(seg, mask) > 0.95


def test_grabcut_from_a_softened_mask_stays_close():
    _, image, mask = make_sample(1, 96, seed=2)
    soft = np.clip(mask * 0.6 + 0.2, 0, 1).astype(np.float32)  # all probable: GrabCut must decide
    assert iou(segment(image, soft), mask) > 0.6


def test_blur_degree_increases_with_blur_amount():
    rng = np.random.default_rng(0)
    mask = np.zeros((64, 64), bool)
    degrees = []
    for frac in (0.1, 0.3, 0.6, 0.9):
        mask[:] = False
        mask[:, : int(64 * frac)] = True
        degrees.append(blur_degree(mask.astype(np.float32)))
    assert degrees == sorted(degrees) and degrees[0] < degrees[-1]
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert blur_degree(np.zeros((64, 64))) == 0.0 and partial_blur(image, mask, disk_psf(2)).shape == image.shape


def test_magnify_leaves_confident_sharp_pixels_untouched():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    m = np.tile(np.linspace(0, 1, 40, dtype=np.float32), (40, 1))
    out = magnify(image, m)
    keep = m <= 0.1
    assert np.array_equal(out[keep], image[keep])
    assert np.abs(out[m > 0.5].astype(int) - image[m > 0.5]).mean() > 20


@pytest.mark.parametrize("bad", [np.zeros((5, 5)), np.full((40, 40), 1.5), np.full((40, 40), np.nan)])
def test_bad_maps_are_refused(bad):
    with pytest.raises(BlurlibError, match="map"):
        magnify(np.zeros((40, 40, 3), np.uint8), bad)


def test_guided_refine_snaps_a_soft_transition_to_the_image_edge_and_keeps_confident_regions():
    from blurlib.apps import guided_refine
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, 30:] = 200  # the blurred region starts at column 30 in the image
    soft = np.clip((np.arange(64) - 22) / 16, 0, 1)[None].repeat(48, 0).astype(np.float32)  # a ramp over 22..38
    mask = np.zeros((48, 64), bool)
    mask[:, 30:] = True
    q = guided_refine(img, soft, radius=4 / 64)
    assert q.dtype == np.float32 and 0 <= q.min() and q.max() <= 1
    assert np.abs(q - mask).mean() < 0.5 * np.abs(soft - mask).mean()  # the edge moved onto the image's
    sure = mask.astype(np.float32)
    assert np.abs(guided_refine(img, sure) - sure).max() < 0.01  # a confident map that agrees stays as it is


@pytest.mark.parametrize("kwargs, message", [({"radius": 0}, "radius 0"), ({"eps": -1}, "eps -1")])
def test_guided_refine_refuses_bad_settings(kwargs, message):
    from blurlib.apps import guided_refine
    with pytest.raises(BlurlibError, match=message):
        guided_refine(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.float32), **kwargs)
    with pytest.raises(BlurlibError, match="differs from the image"):
        guided_refine(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9), np.float32))
