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


def _box_aspect(ax):
    box = ax.get_position()
    w, h = ax.figure.get_size_inches()
    return (box.height * h) / (box.width * w)


def test_image_rows_panels_keep_the_images_aspect_and_maps_get_a_colour_bar():
    wide, tall = np.zeros((60, 120, 3), np.uint8), np.zeros((150, 100, 3), np.uint8)
    fig = plots.image_rows([[wide, np.zeros((60, 120))], [tall, np.ones((150, 100))]], ["image", "map"], ["a", "b"])
    panels = fig.axes[:4]
    for ax, (h, w) in zip(panels, [(60, 120)] * 2 + [(150, 100)] * 2):
        assert abs(_box_aspect(ax) - h / w) < 0.01  # no white bands around the image
    bars = [ax for ax in fig.axes if ax.get_label() == "colorbar"]
    assert len(bars) == 1 and "white = blurred" in bars[0].get_ylabel()
    plots.plt.close(fig)
    fig = plots.image_rows([[wide, tall]], ["a", "b"])  # one row of differently shaped images, no maps
    assert [round(_box_aspect(ax), 2) for ax in fig.axes] == [0.5, 1.5]
    plots.plt.close(fig)


def test_save_shows_the_figure_when_asked_and_closes_it(tmp_path, monkeypatch):
    import IPython.display
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    fig = plots.image_rows([[np.zeros((8, 8, 3), np.uint8)]], ["image"])
    plots.save(fig, tmp_path / "fig.png", show=True)
    assert not plots.plt.fignum_exists(fig.number)
    (data, kw), = shown
    assert list(data) == ["image/png"] and data["image/png"] == (tmp_path / "fig.png").read_bytes()  # no <Figure> text
    assert kw["raw"] and kw["metadata"]["image/png"]["width"] > 10 and (tmp_path / "fig.pdf").exists()
    plots.save(plots.image_rows([[np.zeros((8, 8, 3), np.uint8)]], ["image"]), tmp_path / "quiet.png")
    assert len(shown) == 1  # outside a notebook nothing is displayed
