"""Figure drawing, one style: every function returns a matplotlib Figure; :func:`save` writes PNG and PDF."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from blurlib.io import atomic_write

STYLE = {"font.size": 9, "axes.titlesize": 9, "figure.dpi": 110, "savefig.dpi": 150, "savefig.bbox": "tight"}


def _in_notebook() -> bool:
    """Whether code runs in a Jupyter kernel (where figures are shown inline), not a terminal or a test."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def save(fig, path: str | Path, show: bool | None = None) -> Path:
    """Write ``fig`` to ``path`` (.png) and the same name with .pdf, atomically, show the PNG inline when run in a
    notebook, then close the figure (so it is shown once, and no figures pile up in memory).

    ``show``: display the PNG (default: only inside a Jupyter kernel). It is displayed as the raw ``image/png`` the
    file holds — the very bytes written, and no ``<Figure …>`` text beside it. The PDF carries no creation date, so
    re-running a notebook on the same results leaves both files byte-identical.
    """
    import io

    path = Path(path)
    png = io.BytesIO()
    fig.savefig(png, format="png")
    with atomic_write(path.with_suffix(".png")) as f:
        f.write(png.getvalue())
    with atomic_write(path.with_suffix(".pdf")) as f:
        fig.savefig(f, format="pdf", metadata={"CreationDate": None})
    plt.close(fig)
    if show if show is not None else _in_notebook():
        from IPython.display import display

        width = int.from_bytes(png.getvalue()[16:20], "big")  # the PNG header's pixel width
        display({"image/png": png.getvalue()}, raw=True,
                metadata={"image/png": {"width": round(width * STYLE["figure.dpi"] / STYLE["savefig.dpi"])}})
    return path


MAP_NOTE = "blur map: white = blurred (1), black = sharp (0)"
"""The colour bar's label under every grey map (maps and ground truth: 1 = blurred = white)."""


def panel_layout(shapes: Sequence[Sequence[tuple[int, int]]], panel: float = 1.9) -> tuple[list, list]:
    """Column widths and row heights (inches) that give every panel its image's aspect ratio, so no white bands.

    ``shapes[i][j]`` is the (H, W) of panel (i, j). Several rows share columns, so each row takes the median aspect
    of its panels (panels of one row show one image) at column width ``panel``; a single row of differently shaped
    images instead keeps the height ``panel`` and gives each column its own width.

    >>> panel_layout([[(100, 200), (100, 200)], [(200, 100), (200, 100)]])
    ([1.9, 1.9], [0.95, 3.8])
    >>> panel_layout([[(100, 200), (200, 100)]])
    ([3.8, 0.95], [1.9])
    """
    if len(shapes) == 1:
        return [round(panel * w / h, 4) for h, w in shapes[0]], [panel]
    ratios = [float(np.median([h / w for h, w in row])) for row in shapes]
    return [panel] * len(shapes[0]), [round(panel * r, 4) for r in ratios]


def panel_title(text: str, width: int = 24) -> str:
    r"""A panel's title wrapped onto lines of at most ``width`` characters (a model's full name fits a narrow panel).

    >>> panel_title("DBM (config V, paper recipe, shipped) map")
    'DBM (config V, paper\nrecipe, shipped) map'
    """
    return "\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in text.split("\n"))


def image_rows(rows: Sequence[Sequence[np.ndarray]], columns: Sequence[str], row_labels: Sequence[str] = (),
               panel: float = 1.9, colorbar: bool | None = None):
    """A grid of images: ``rows[i][j]`` is uint8 RGB (H, W, 3) or a float map (H, W) in [0, 1] (grey, 1 = white).

    Panels keep their images' aspect ratio (:func:`panel_layout`, ``panel`` inches a column); titles sit above the
    first row, ``row_labels`` left of each row. When any panel is a map (or ``colorbar`` is True) a grey colour bar
    on the right says white = blurred (1).
    """
    shapes = [[a.shape[:2] for a in row] for row in rows]
    widths, heights = panel_layout(shapes, panel)
    colorbar = any(a.ndim == 2 for row in rows for a in row) if colorbar is None else colorbar
    columns = [panel_title(str(c), max(12, round(12 * panel))) for c in columns]  # ~12 characters an inch
    n_title_lines = max((c.count("\n") + 1 for c in columns), default=1)
    n_label_lines = max((str(r).count("\n") + 1 for r in row_labels), default=0)
    left = max(0.3, 0.1 + 0.13 * n_label_lines) if row_labels else 0.04  # room for every line of the row labels
    gap, top, bottom = 0.06, 0.08 + 0.17 * n_title_lines, 0.04
    right = 0.75 if colorbar else 0.04
    W = left + sum(widths) + gap * (len(widths) - 1) + right
    H = top + sum(heights) + gap * (len(heights) - 1) + bottom
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(rows), len(widths), figsize=(W, H), squeeze=False,
                                 gridspec_kw={"width_ratios": widths, "height_ratios": heights})
        fig.subplots_adjust(left=left / W, right=1 - right / W, top=1 - top / H, bottom=bottom / H,
                            wspace=gap / np.mean(widths), hspace=gap / np.mean(heights))
        shown = None
        for i, row in enumerate(rows):
            for j, a in enumerate(row):
                ax = axes[i, j]
                if a.ndim == 2:
                    shown = ax.imshow(a, cmap="gray", vmin=0, vmax=1, aspect="auto")
                else:
                    ax.imshow(a, aspect="auto")
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title(columns[j])
                if j == 0 and i < len(row_labels):
                    ax.set_ylabel(row_labels[i], fontsize=7)
        if colorbar:
            if shown is None:
                shown = plt.cm.ScalarMappable(norm=plt.Normalize(0, 1), cmap="gray")
            h = min(sum(heights), 2.4)
            cax = fig.add_axes([(W - right + 0.12) / W, (bottom + (sum(heights) + gap * (len(heights) - 1) - h) / 2) / H,
                                0.1 / W, h / H], label="colorbar")
            bar = fig.colorbar(shown, cax=cax, ticks=[0, 0.5, 1])
            bar.set_label(MAP_NOTE, fontsize=7)
            bar.ax.tick_params(labelsize=7)
    return fig


PATCH_COLOURS = {"flat, sharp": "tab:blue", "flat, blurred": "tab:red", "structured, sharp": "tab:cyan",
                 "structured, blurred": "tab:orange"}


def challenge_patches(image: np.ndarray, mask: np.ndarray, picked: list[dict], blur_map: np.ndarray | None = None,
                      map_title: str = "DBM's map (white = blurred)"):
    """Fig. 1: (a) one image, (b) its mask and, given ``blur_map`` (H, W) in [0, 1], (c) a model's map, each with the
    four patches of :func:`blurlib.features.pick_patches` outlined."""
    from matplotlib.patches import Rectangle

    h, w = image.shape[:2]
    panels = [(image, f"(a) {picked[0]['name']}" if picked else "(a)"),
              (mask.astype(float), "(b) ground truth (white = blurred)")]
    if blur_map is not None:
        panels.append((blur_map, f"(c) {map_title}"))
    n = len(panels)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, n, figsize=(3.8 * n, 3.8 * h / w + 0.9))
        for ax, (a, title) in zip(axes, panels):
            ax.imshow(a, cmap="gray", vmin=0, vmax=1) if a.ndim == 2 else ax.imshow(a)
            for p in picked:
                y, x = p["yx"]
                ax.add_patch(Rectangle((x, y), p["size"], p["size"], fill=False, lw=2,
                                       edgecolor=PATCH_COLOURS[p["label"]]))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title)
        handles = [Rectangle((0, 0), 1, 1, fill=False, lw=2, edgecolor=PATCH_COLOURS[p["label"]]) for p in picked]
        fig.legend(handles, [p["label"] for p in picked], loc="lower center", ncol=4, frameon=False, fontsize=8)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def gradient_histograms(stats: dict):
    """Fig. 2(a): log-density of horizontal and vertical gradients per patch group (legend below the axes)."""
    centres = (stats["edges"][:-1] + stats["edges"][1:]) / 2
    styles = {"sharp, flat": ("tab:blue", "-"), "sharp, structured": ("tab:blue", "--"),
              "blurred, flat": ("tab:red", "-"), "blurred, structured": ("tab:red", "--")}
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.6), sharey=True)
        for ax, key, title in zip(axes, ("dx", "dy"), ("horizontal gradient", "vertical gradient")):
            for group, g in stats["groups"].items():
                color, ls = styles[group]
                with np.errstate(divide="ignore"):
                    logd = np.where(g[key] > 0, np.log10(g[key]), np.nan)  # empty bins are left out, not floored
                ax.plot(centres, logd, color=color, ls=ls, label=f"{group} ({g['n']:,} patches)")
            ax.set_xlabel(f"{title} (grey levels in [0, 1])")
            ax.set_title(title)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("log10 density")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7, frameon=False)
        used = sum(g["n"] for g in stats["groups"].values())  # the four groups: the middle third of each side is left out
        fig.suptitle(f"{used:,} patches of {stats['size']}x{stats['size']} px (of {stats['n_patches']:,} drawn) from "
                     f"{stats['n_images']} images", fontsize=9)
        fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


def patch_spectra(picked: list[dict], spectra: list[tuple]):
    """Fig. 2(b): the four patches (outlined in Fig. 1's colours) and their radially averaged power spectra with
    fitted slopes (legend right of the axes)."""
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(8, 4.2))
        grid = fig.add_gridspec(2, 4, height_ratios=[1, 1.2])
        ax_s = fig.add_subplot(grid[1, :])
        for i, (p, (freqs, power, slope)) in enumerate(zip(picked, spectra)):
            ax = fig.add_subplot(grid[0, i])
            ax.imshow(p["rgb"])
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_edgecolor(PATCH_COLOURS[p["label"]])
                side.set_linewidth(2.5)
            ax.set_title(f"{p['label']}", fontsize=8)
            ax_s.loglog(freqs, power, color=PATCH_COLOURS[p["label"]], lw=1.6,
                        label=f"{p['label']}: slope {slope:.2f}")
        from matplotlib.ticker import NullFormatter
        ax_s.xaxis.set_minor_formatter(NullFormatter())
        ticks = [t for t in (0.02, 0.05, 0.1, 0.2, 0.5) if freqs[0] <= t <= freqs[-1]] if picked else []
        ax_s.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax_s.set_xlabel("spatial frequency (cycles/pixel)")
        ax_s.set_ylabel("power")
        ax_s.grid(alpha=0.3, which="both")
        ax_s.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
        fig.tight_layout()
    return fig


LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (10, 3)))
MARKERS = ("o", "s", "^", "v", "D", "P", "X", "<", ">", "*", "h", "p")
"""One marker per dotted (published) curve, so that curves of one line style stay apart in print and in grey."""


def ods_point(recall: np.ndarray, precision: np.ndarray, beta2: float = 1.0) -> tuple[float, float, float]:
    """(recall, precision, F) where F = (1 + β²)PR / (β²P + R) is highest on a curve: with β² = 1 (F1) its ODS
    point; with β² = :data:`blurlib.metrics.BETA2` its best-Fβ point.

    >>> ods_point(np.array([1.0, 0.6, 0.0]), np.array([0.5, 0.9, 1.0]))
    (0.6, 0.9, 0.72)
    >>> ods_point(np.array([1.0, 0.6, 0.0]), np.array([0.5, 0.9, 1.0]), beta2=0.3)
    (0.6, 0.9, 0.8069)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.nan_to_num((1 + beta2) * precision * recall / (beta2 * precision + recall))
    k = int(np.argmax(f))
    return float(recall[k]), float(precision[k]), round(float(f[k]), 4)


def pr_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str = "", bold: Sequence[str] = (),
              dotted: Sequence[str] = (), ylim: tuple[float, float] = (0.5, 1.0), point: str = "ODS",
              beta2: float = 1.0, zoom: bool = False):
    """Precision-recall curves, ``{label: (recall, precision)}``, the paper's Figs. 4, 6 and 9.

    Each curve gets its own colour and line style and a dot at its best F point (F1, or Fβ with ``beta2``:
    :func:`ods_point`); the legend, right of the axes (never over the data), reads "label (ODS 0.xxx)" with ODS the
    best F1 on that curve (``point`` names it otherwise, e.g. "best Fβ" for per-image averaged curves). ``bold``: labels drawn thicker (the method of the figure), beneath the
    others so that a curve lying on a bold one stays visible; ``dotted``: labels drawn thin and dotted, each with its own
    marker (published curves, not computed here). More than ten curves take their colours from ``tab20``, its ten dark
    shades first, on a taller canvas. The protocol and provenance belong in ``title`` / the notebook, once.
    ``zoom``: an inset in the lower left magnifies the box around the dots, so dots that nearly coincide stay apart
    (for curves that leave the lower left empty, as PR curves above precision ~0.75 at low recall do).
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.6, 3.8) if len(curves) <= 10 else (7.2, 4.6))
        inset = ax.inset_axes([0.07, 0.07, 0.4, 0.4]) if zoom else None
        dots = []
        for i, (label, (recall, precision)) in enumerate(curves.items()):
            r, p, f = ods_point(np.asarray(recall), np.asarray(precision), beta2)
            dots.append((r, p))
            # tab20 pairs a dark and a light shade of each hue: the ten dark ones first, so neighbours never look alike
            color = plt.get_cmap("tab20")((2 * i) % 20 + (2 * i) // 20 % 2) if len(curves) > 10 else f"C{i % 10}"
            ls, lw = (":", 1.0) if label in dotted else (LINESTYLES[i % len(LINESTYLES)], 2.2 if label in bold else 1.3)
            mark = {"marker": MARKERS[i % len(MARKERS)], "markevery": 0.1, "ms": 3.5} \
                if label in dotted else {}
            ax.plot(recall, precision, color=color, ls=ls, lw=lw, label=f"{label} ({point} {f:.3f})",
                    zorder=2 if label in bold else 3, **mark)
            ax.plot([r], [p], "o", color=color, ms=4.5, mec="black", mew=0.5, zorder=4)
            if inset is not None:
                inset.plot(recall, precision, color=color, ls=ls, lw=lw, zorder=2 if label in bold else 3)
                inset.plot([r], [p], "o", color=color, ms=5, mec="black", mew=0.5, zorder=4)
        if inset is not None:
            (r0, p0), (r1, p1) = np.min(dots, axis=0) - 0.015, np.max(dots, axis=0) + 0.02  # no dot on an edge
            inset.set_xlim(r0, r1)
            inset.set_ylim(p0, p1)
            inset.tick_params(labelsize=6)
            inset.grid(alpha=0.3)
            ax.indicate_inset_zoom(inset, edgecolor="0.4")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1)
        ax.set_ylim(*ylim)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False,
                  title=f"dot = {point} point", title_fontsize=7)
        if title:
            ax.set_title(title, fontsize=8)
        fig.tight_layout()
    return fig


def published_comparison(ours: dict[str, tuple[np.ndarray, np.ndarray]],
                         published: dict[str, tuple[np.ndarray, np.ndarray]], title: str = "", ncols: int = 3):
    """One panel per method of ``ours`` (``{method: (recall, precision)}``, per-image averaged curves): ours solid,
    its ``published`` curve (same keys) dotted with markers; a dot at each curve's best-Fβ point (β² = 0.3)."""
    from blurlib.metrics import BETA2
    names = list(ours)
    nrows = -(-len(names) // ncols)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.6 * nrows), sharex=True, sharey=True,
                                 squeeze=False)
        for ax, name in zip(axes.flat, names):
            for label, (recall, precision), style in (("ours", ours[name], dict(ls="-", lw=1.6, color="C0")),
                                                      ("published", published.get(name), dict(
                                                          ls=":", lw=1.2, color="C3", marker="s", ms=3,
                                                          markevery=0.08))):
                if recall is None:
                    continue
                r, p, f = ods_point(np.asarray(recall), np.asarray(precision), BETA2)
                ax.plot(recall, precision, label=f"{label} (best Fβ {f:.3f})", **style)
                ax.plot([r], [p], "o", color=style["color"], ms=4, mec="black", mew=0.5)
            ax.set_title(name, fontsize=9)
            ax.set_xlim(0, 1)
            ax.set_ylim(0.4, 1.0)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6.5, loc="lower left", frameon=False)
        for ax in axes.flat[len(names):]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("recall (mean over images)")
        for ax in axes[:, 0]:
            ax.set_ylabel("precision (mean over images)")
        if title:
            fig.suptitle(title, fontsize=9)
        fig.tight_layout()
    return fig


def implied_curves(implied: dict[str, tuple[np.ndarray, np.ndarray]], title: str = "", ncols: int = 4):
    """One panel per method of ``implied`` (``{method: (recall, precision)}``, each (256,), the curve the absent images
    would need, :func:`blurlib.baselines.published.implied_curve`): recall and precision against the level k of the
    threshold k/255 (the axis spans every curve whole), the values outside [0, 1] shaded, and the levels where the
    curve is impossible (:func:`blurlib.baselines.published.violation` above its tolerance: outside [0, 1] or a recall
    rising with the threshold) marked along the bottom."""
    from blurlib.baselines.published import TOLERANCE, violation
    names = list(implied)
    nrows = -(-len(names) // ncols)
    levels = np.arange(len(next(iter(implied.values()))[0]))
    values = np.concatenate([np.ravel(c) for c in implied.values()])
    low, high = min(-0.5, float(values.min()) - 0.15), max(1.8, float(values.max()) + 0.1)  # every curve whole
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.3 * nrows), sharex=True, sharey=True,
                                 squeeze=False)
        for ax, name in zip(axes.flat, names):
            recall, precision = (np.asarray(a, float) for a in implied[name])
            ax.axhspan(1, high, color="0.85", lw=0)
            ax.axhspan(low, 0, color="0.85", lw=0)
            ax.plot(levels, recall, color="C0", lw=1.4, label="recall")
            ax.plot(levels, precision, color="C3", lw=1.2, ls="--", label="precision")
            bad = violation(recall, precision) > TOLERANCE
            ax.plot(levels[bad], np.full(bad.sum(), low + 0.08), "|", color="black", ms=5,
                    label="an impossible level\n(outside [0, 1] or\na rising recall)")
            ax.set_title(f"{name}: {bad.sum()} levels impossible", fontsize=8)
            ax.set_xlim(0, levels[-1])
            ax.set_ylim(low, high)
            ax.grid(alpha=0.3)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        for ax in axes.flat[len(names):]:
            ax.axis("off")
        spare = len(names) < axes.size  # the legend takes the first unused panel, else the first panel's corner
        where = axes.flat[len(names)] if spare else axes.flat[0]
        where.legend(handles, labels, fontsize=7, frameon=False, loc="center" if spare else "upper right")
        for ax in axes[-1]:
            ax.set_xlabel("threshold level k (of k/255)")
        fig.supylabel("mean over the absent images (grey: outside [0, 1])", fontsize=8)
        if title:
            fig.suptitle(title, fontsize=9)
        fig.tight_layout()
    return fig


def profile_row(image: np.ndarray, row: int, curves: dict[str, np.ndarray], title: str = ""):
    """Blur maps along one row of pixels: ``image`` (uint8 RGB (H, W, 3)) with the row marked, and beside it each of
    ``curves`` (``{label: float map (H, W) in [0, 1]}``, the first one the ground truth, drawn as a shaded step: shaded
    = blurred) against the column (pixels), with the image's brightness along the row (mean of R, G, B, / 255) as a
    thin black dotted line."""
    with plt.rc_context(STYLE):
        h, w = image.shape[:2]
        fig, (ax_im, ax) = plt.subplots(1, 2, figsize=(9.0, 3.0), gridspec_kw={"width_ratios": [w / h, 2.2]})
        ax_im.imshow(image)
        ax_im.axhline(row, color="yellow", lw=1.2)
        ax_im.set_axis_off()
        ax_im.set_title(f"row {row} (yellow)")
        x = np.arange(w)
        ax.plot(x, image[row].mean(axis=-1) / 255.0, ":", color="black", lw=0.8,
                label="image brightness (0 = black, 1 = white)")
        for i, (label, m) in enumerate(curves.items()):
            if i == 0:
                ax.fill_between(x, m[row], step="mid", color="lightsteelblue", alpha=0.6, lw=0,
                                label=f"{label} (shaded = blurred)")
            else:
                ax.plot(x, m[row], color=f"C{(i - 1) % 10}", ls=LINESTYLES[(i - 1) % len(LINESTYLES)], lw=1.4,
                        label=label)
        ax.set_xlim(0, w - 1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("column (pixels)")
        ax.set_ylabel("blur map (1 = blurred)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
        if title:
            fig.suptitle(title, fontsize=9)
        fig.tight_layout()
    return fig


def _map_colorbar(fig, mappable, axes, label: str = MAP_NOTE, cax=None):
    cb = fig.colorbar(mappable, cax=cax) if cax is not None else fig.colorbar(mappable, ax=axes, fraction=0.025,
                                                                              pad=0.01)
    cb.set_label(label, fontsize=7)
    cb.ax.tick_params(labelsize=7)
    return cb


def ranked_maps(images: Sequence[np.ndarray], maps: Sequence[np.ndarray], titles: Sequence[str],
                row_labels: Sequence[str] = ("image", "blur map")):
    """Fig. 11: images (uint8 RGB (H, W, 3)) in a row, their blur maps (float (H, W) in [0, 1], white = 1 =
    blurred) in the row below; panel widths follow each image's aspect ratio so every panel has the same height and
    the titles (above the images) line up; one colour bar for the maps."""
    ratios = [im.shape[1] / im.shape[0] for im in images]
    n_lines = max(t.count("\n") + 1 for t in titles)
    row_labels = [panel_title(r, 18) for r in row_labels]  # a label runs along a 1.6-inch side
    label_lines = max(r.count("\n") + 1 for r in row_labels)
    height, gap, left, right, top, bottom = 1.6, 0.06, 0.13 + 0.17 * label_lines, 0.85, 0.1 + 0.17 * n_lines, 0.05
    W = left + height * sum(ratios) + gap * (len(images) - 1) + right
    H = top + 2 * height + gap + bottom
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(W, H))
        grid = fig.add_gridspec(2, len(images), width_ratios=ratios, left=left / W, right=1 - right / W,
                                top=1 - top / H, bottom=bottom / H, wspace=gap / (height * np.mean(ratios)),
                                hspace=gap / height)
        shown = None
        for j, (im, m, title) in enumerate(zip(images, maps, titles)):
            for i, a in enumerate((im, m)):
                ax = fig.add_subplot(grid[i, j])
                h = ax.imshow(a, cmap="gray", vmin=0, vmax=1) if a.ndim == 2 else ax.imshow(a)
                shown = h if a.ndim == 2 else shown
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title(panel_title(title))
                if j == 0:
                    ax.set_ylabel(row_labels[i])
        if shown is not None:
            cax = fig.add_axes([(W - right + 0.12) / W, bottom / H, 0.1 / W, (2 * height + gap) / H], label="colorbar")
            _map_colorbar(fig, shown, None, cax=cax)
    return fig


def boundary_box(mask: np.ndarray, parts: int = 3) -> tuple[int, int, int, int]:
    """The square window of side 1/``parts`` of the mask's shorter side whose labelled blurred share is closest to one
    half (the window that straddles the boundary most evenly), searched in steps of a quarter window:
    ``(top, left, side, side)`` in pixels, the ``box`` of :func:`magnification`. ``mask`` bool (H, W).

    >>> m = np.zeros((90, 90), bool); m[:, 45:] = True
    >>> boundary_box(m)
    (0, 28, 30, 30)
    """
    side = max(1, min(mask.shape) // parts)
    step = max(1, side // 4)
    windows = [(abs(mask[t:t + side, l:l + side].mean() - 0.5), t, l)
               for t in range(0, mask.shape[0] - side + 1, step) for l in range(0, mask.shape[1] - side + 1, step)]
    _, top, left = min(windows)
    return top, left, side, side


def magnification(image: np.ndarray, mask: np.ndarray, results: dict[str, tuple[np.ndarray, np.ndarray]],
                  box: tuple[int, int, int, int], sigma: float, threshold: float, transition: float):
    """Fig. 12: blur magnification by each method's map, whole images above and zoomed crops below.

    ``image`` uint8 RGB (H, W, 3); ``mask`` bool (H, W), True = blurred; ``results[name] = (magnified uint8 RGB,
    blur map float (H, W) in [0, 1])``; ``box = (top, left, height, width)`` in pixels, the crop drawn as a frame on
    the whole images and shown enlarged below (before, then after each method's magnification). ``sigma``,
    ``threshold``, ``transition``: the settings of :func:`blurlib.apps.magnify`, stated in the title.
    """
    from matplotlib.patches import Rectangle

    top, left, h, w = box
    crop = (slice(top, top + h), slice(left, left + w))
    whole = [("image", image), ("ground truth", mask.astype(float))]
    for name, (magnified, m) in results.items():
        whole += [(f"magnified ({name})", magnified), (f"{name} map", m)]
    crops = [("before (crop)", image[crop])]
    crops += [(f"after, {name} (crop)", mag[crop]) for name, (mag, _) in results.items()]
    ratio = image.shape[1] / image.shape[0]
    n, k = len(whole), len(crops)
    zoom = n / k * ratio * h / w  # height of the crop row relative to the row of whole images
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(1.7 * ratio * n + 0.8, 1.7 * (1 + zoom) + 0.9))
        grid = fig.add_gridspec(2, n * k, height_ratios=[1, zoom], hspace=0.15, wspace=0.1)
        span = k
        shown = None
        for j, (title, a) in enumerate(whole):
            ax = fig.add_subplot(grid[0, j * span:(j + 1) * span])
            hdl = ax.imshow(a, cmap="gray", vmin=0, vmax=1) if a.ndim == 2 else ax.imshow(a)
            shown = hdl if a.ndim == 2 else shown
            if a.ndim == 3:
                ax.add_patch(Rectangle((left, top), w, h, fill=False, ec="yellow", lw=1))
            ax.set_title(panel_title(f"({'abcdefgh'[j]}) {title}", 22), fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
        span = n
        for j, (title, a) in enumerate(crops):
            ax = fig.add_subplot(grid[1, j * span:(j + 1) * span])
            ax.imshow(a, interpolation="nearest")
            ax.set_title(panel_title(title, 40))
            ax.set_xticks([])
            ax.set_yticks([])
        _map_colorbar(fig, shown, fig.axes[:n])
        fig.suptitle(f"magnified = image blended with its Gaussian blur (σ = {sigma:g} px), weight 0 at blur "
                     f"confidence ≤ {threshold:g} rising to 1 at {threshold + transition:g}; yellow frame = crop "
                     f"({w}×{h} px)", fontsize=8)
    return fig




def runtime_bars(seconds: dict[str, tuple[float, float | None]], title: str = ""):
    """Table VI as bars: for each method (top to bottom in the order given) its time per image, ours and the
    paper's where it has one, ``seconds[name] = (ours, paper or None)``, on a log axis (the times span orders of
    magnitude)."""
    names = list(seconds)
    y = np.arange(len(names))
    ours = np.array([seconds[n][0] for n in names], float)
    paper = np.array([np.nan if seconds[n][1] is None else seconds[n][1] for n in names], float)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 0.42 * len(names) + 1.1))
        ax.barh(y - 0.2, ours, height=0.38, color="tab:blue", label="ours (this report's CPU)")
        ax.barh(y + 0.2, np.nan_to_num(paper), height=0.38, color="tab:gray", label="paper (3.4 GHz CPU)")
        for i, (o, p) in enumerate(zip(ours, paper)):
            ax.text(o * 1.15, i - 0.2, f"{o:.3g} s", va="center", fontsize=7)
            if np.isfinite(p):
                ax.text(p * 1.15, i + 0.2, f"{p:.3g} s", va="center", fontsize=7, color="dimgray")
        ax.set_xscale("log")
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.invert_yaxis()
        finite = np.concatenate([ours, paper[np.isfinite(paper)]])
        ax.set_xlim(finite.min() / 2, finite.max() * 8)
        ax.set_xlabel("seconds per 384×384 image (log scale)")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="lower right", fontsize=7)
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return fig
