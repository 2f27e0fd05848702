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
    assert any(ax.get_ylabel() == plots.MAP_NOTE for ax in fig.axes)  # the colour bar says what white means


def test_magnification_frames_the_crop_and_enlarges_it():
    image = np.zeros((60, 90, 3), np.uint8)
    mask = np.zeros((60, 90), bool)
    mask[:, 45:] = True
    results = {"A": (image, mask.astype(float)), "B": (image, np.full((60, 90), 0.5))}
    fig = plots.magnification(image, mask, results, (10, 30, 20, 20), sigma=4.0, threshold=0.1, transition=0.1)
    panels = _panels(fig)
    assert len(panels) == 6 + 3  # (a)-(f) whole, then before / after A / after B crops
    whole, crops = panels[:6], panels[6:]
    assert all(ax.patches for ax, _ in whole if ax.images[0].get_array().ndim == 3)  # the crop's frame
    assert min(h for _, h in crops) > 1.5 * max(h for _, h in whole)  # the crops are enlarged
    assert "σ = 4 px" in fig._suptitle.get_text()


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


def test_profile_row_draws_each_map_along_the_marked_row():
    image = np.zeros((40, 80, 3), np.uint8)
    image[:, 40:] = 200
    truth = np.zeros((40, 80))
    truth[:, 40:] = 1
    ramp = np.tile(np.linspace(0, 1, 80), (40, 1))
    ramp[7] = 0.25  # only row 7 differs: the curve must come from that row
    fig = plots.profile_row(image, 7, {"ground truth": truth, "map": ramp}, title="t")
    ax_im, ax = fig.axes
    assert ax_im.lines[0].get_ydata()[0] == 7  # the row is marked on the image
    lines = {line.get_label(): line.get_ydata() for line in ax.lines}
    assert np.allclose(lines["map"], 0.25)
    assert np.allclose(lines["image brightness (0 = black, 1 = white)"], image[7].mean(axis=-1) / 255)
    assert [c.get_label() for c in ax.collections] == ["ground truth (shaded = blurred)"]  # the step beneath
    plots.plt.close(fig)


def test_boundary_box_straddles_the_boundary_most_evenly():
    from blurlib.plots import boundary_box
    mask = np.zeros((120, 300), bool)
    mask[:, 200:] = True  # blurred right third
    top, left, h, w = boundary_box(mask)
    assert h == w == 40 and 0 <= top <= 80
    assert abs(mask[top:top + h, left:left + w].mean() - 0.5) <= 5 / 40  # within a step of a quarter window (10 px)
    assert boundary_box(np.ones((5, 7), bool)) == (0, 0, 1, 1)  # no boundary: the first window, never an error


def test_implied_curves_counts_the_impossible_levels_of_each_method_and_keeps_the_legend_clear():
    levels = np.linspace(1, 0, 256)
    possible = (levels, np.full(256, 0.6))
    rising = (np.r_[levels[:128], levels[:128] + 0.2], np.full(256, 0.6))  # recall rises again past level 127
    fig = plots.implied_curves({"fine": possible, "broken": rising})
    titles = [ax.get_title() for ax in fig.axes if ax.axison]
    assert titles == ["fine: 0 levels impossible", "broken: 128 levels impossible"]
    spare = [ax for ax in fig.axes if not ax.axison]
    assert len(spare) == 2 and spare[0].get_legend() is not None  # the legend sits in the first unused panel
    plots.plt.close(fig)
