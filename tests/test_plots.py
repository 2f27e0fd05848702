"""Figures: written atomically as PNG and PDF, byte-identical when redrawn from the same data."""

from __future__ import annotations

import numpy as np

from blurlib import plots


def test_save_is_reproducible_byte_for_byte(tmp_path, monkeypatch):
    rows = [[np.zeros((8, 8, 3), np.uint8), np.linspace(0, 1, 64).reshape(8, 8)]]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # two saves a day apart
    first = plots.save(plots.image_rows(rows, ["image", "map"]), tmp_path / "a" / "fig.png")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    again = plots.save(plots.image_rows(rows, ["image", "map"]), tmp_path / "b" / "fig.png")
    for suffix in (".png", ".pdf"):
        a, b = first.with_suffix(suffix).read_bytes(), again.with_suffix(suffix).read_bytes()
        assert a == b and len(a) > 1000


def _panels(fig):
    """Image panels (axes holding an image), left to right, top to bottom, with their height in figure inches."""
    fig.canvas.draw()
    axes = [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]
    return [(ax, ax.get_position().height * fig.get_figheight()) for ax in axes]


def test_ranked_maps_keeps_panels_one_height_whatever_the_aspect_ratio():
    images = [np.zeros((40, w, 3), np.uint8) for w in (30, 60, 80)]
    maps = [np.full(im.shape[:2], s) for im, s in zip(images, (0.2, 0.5, 0.9))]
    fig = plots.ranked_maps(images, maps, ["S = 0.20", "S = 0.50", "S = 0.90"])
    panels = _panels(fig)
    assert len(panels) == 6  # the images above, their maps below
    heights = [h for _, h in panels]
    assert max(heights) - min(heights) < 0.02  # titles line up
    tops = {round(ax.get_position().y1, 3) for ax, _ in panels[::2]}
    assert len(tops) == 1 and [ax.get_title() for ax, _ in panels[::2]] == ["S = 0.20", "S = 0.50", "S = 0.90"]
    assert any("blurred" in ax.get_ylabel() for ax in fig.axes)  # the colour bar says what white means


def test_magnification_frames_the_crop_and_enlarges_it():
    image = np.zeros((60, 90, 3), np.uint8)
    mask = np.zeros((60, 90), bool)
    mask[:, 45:] = True
    results = {"A": (image, mask.astype(float)), "B": (image, np.full((60, 90), 0.5))}
    fig = plots.magnification(image, mask, results, (10, 30, 20, 20), sigma=4.0, threshold=0.1)
    panels = _panels(fig)
    assert len(panels) == 6 + 3  # (a)-(f) whole, then before / after A / after B crops
    whole, crops = panels[:6], panels[6:]
    assert all(ax.patches for ax, _ in whole if ax.images[0].get_array().ndim == 3)  # the crop's frame
    assert min(h for _, h in crops) > 1.5 * max(h for _, h in whole)  # the crops are enlarged
    assert "σ = 4 px" in fig._suptitle.get_text()
