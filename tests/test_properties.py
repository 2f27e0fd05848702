"""Property-based tests (hypothesis) for the metrics and the preprocessing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from blurlib.data import denormalize, normalize, resize_pair
from blurlib.metrics import Counts, summarize

maps = arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12)))


@settings(max_examples=60, deadline=None)
@given(maps, st.data())
def test_metrics_are_bounded_and_pixel_order_free(m, data):
    mask = data.draw(arrays(np.bool_, m.shape))
    c = Counts()
    c.add(m, mask)
    s = summarize(c, "pooled")
    for k in ("ods", "ois", "ap", "mae", "fbeta_max", "fbeta_adaptive", "fbeta_max_image", "fbeta_mean_image",
              "smeasure"):
        assert 0.0 <= s[k] <= 1.0 + 1e-9
    for k in ("emeasure_max", "emeasure_mean", "emeasure_adaptive"):  # over n - 1 pixels, as the reference code
        assert 0.0 <= s[k] <= m.size / max(m.size - 1, 1) + 1e-9
    assert s["fbeta_mean_image"] <= s["fbeta_max_image"] + 1e-12 and s["emeasure_mean"] <= s["emeasure_max"] + 1e-12
    perm = np.random.default_rng(0).permutation(m.size)
    c2 = Counts()
    c2.add(m.ravel()[perm].reshape(m.shape), mask.ravel()[perm].reshape(m.shape))
    shuffled = summarize(c2, "pooled")
    assert {k: v for k, v in shuffled.items() if k != "smeasure"} == {k: v for k, v in s.items() if k != "smeasure"}


@settings(max_examples=40, deadline=None)
@given(maps, st.data())
def test_a_perfect_map_is_never_beaten(m, data):
    mask = data.draw(arrays(np.bool_, m.shape))
    perfect, other = Counts(), Counts()
    perfect.add(mask.astype(np.uint8) * 255, mask)
    other.add(m, mask)
    assert summarize(perfect, "paper")["ods"] >= summarize(other, "paper")["ods"] - 1e-12
    assert summarize(perfect, "paper")["mae"] == 0.0


@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9), st.just(3))),
       st.sampled_from(["caffe", "torchvision"]))
def test_normalize_is_invertible(image, convention):
    x = normalize(image, convention)
    assert x.shape == (3, *image.shape[:2]) and x.dtype.is_floating_point
    assert np.array_equal(denormalize(x, convention), image)


@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(2, 20), st.integers(2, 20), st.just(3))), st.integers(1, 24))
def test_resize_gives_the_requested_shape_and_a_binary_mask(image, size):
    mask = image[..., 0] > 127
    im, m = resize_pair(image, mask, size)
    assert im.shape == (size, size, 3) and im.dtype == np.uint8
    assert m.shape == (size, size) and m.dtype == bool
    if not mask.any() or mask.all():  # nearest neighbour creates no label that was not there
        assert (m == mask.flat[0]).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(arrays(np.uint8, st.tuples(st.integers(1, 8), st.integers(1, 8))), min_size=1, max_size=3),
       st.data())
def test_no_order_keeping_recalibration_beats_the_mae_floor(maps_, data):
    from blurlib.metrics import mae_floor, threshold_error
    masks = [data.draw(arrays(np.bool_, m.shape)) for m in maps_]
    lut = np.sort(data.draw(arrays(np.uint8, 256)))  # any non-decreasing recalibration of the 256 levels
    c, recal = Counts(), Counts()
    for m, mask in zip(maps_, masks):
        c.add(m, mask)
        recal.add(lut[m], mask)
    floor = mae_floor(c)
    assert 0.0 <= floor <= summarize(c, "pooled")["mae"] + 1e-12
    assert floor <= summarize(recal, "pooled")["mae"] + 1e-12
    k = int(np.argmin(threshold_error(c)))  # the floor is reached by binarising at its threshold
    binary = Counts()
    for m, mask in zip(maps_, masks):
        binary.add((m >= k).astype(np.uint8) * 255, mask)
    assert summarize(binary, "pooled")["mae"] == pytest.approx(floor, abs=1e-12)
    assert summarize(c, "paper")["mae_floor"] == floor
