"""Figure drawing, one style: every function returns a matplotlib Figure; :func:`save` writes PNG and PDF."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from blurlib.io import atomic_write

STYLE = {"font.size": 9, "axes.titlesize": 9, "figure.dpi": 110, "savefig.dpi": 150, "savefig.bbox": "tight"}


def save(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (.png) and the same name with .pdf, atomically; closes the figure.

    The PDF carries no creation date, so re-running a notebook on the same results leaves both files byte-identical.
    """
    path = Path(path)
    for suffix, metadata in ((".png", None), (".pdf", {"CreationDate": None})):
        with atomic_write(path.with_suffix(suffix)) as f:
            fig.savefig(f, format=suffix[1:], metadata=metadata)
    plt.close(fig)
    return path


def image_rows(rows: Sequence[Sequence[np.ndarray]], columns: Sequence[str], row_labels: Sequence[str] = ()):
    """A grid of images: ``rows[i][j]`` is uint8 RGB (H, W, 3) or a float map (H, W) in [0, 1] (grey, 1 = white)."""
    with plt.rc_context(STYLE):
        n, m = len(rows), len(columns)
        fig, axes = plt.subplots(n, m, figsize=(1.9 * m, 1.9 * n), squeeze=False)
        for i, row in enumerate(rows):
            for j, a in enumerate(row):
                ax = axes[i, j]
                ax.imshow(a, cmap="gray", vmin=0, vmax=1) if a.ndim == 2 else ax.imshow(a)
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title(columns[j])
                if j == 0 and i < len(row_labels):
                    ax.set_ylabel(row_labels[i])
        fig.tight_layout()
    return fig


def gradient_histograms(stats: dict):
    """Fig. 2(a): log-density of horizontal and vertical gradients per patch group."""
    centres = (stats["edges"][:-1] + stats["edges"][1:]) / 2
    styles = {"sharp, flat": ("tab:blue", "-"), "sharp, structured": ("tab:blue", "--"),
              "blurred, flat": ("tab:red", "-"), "blurred, structured": ("tab:red", "--")}
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=True)
        for ax, key, title in zip(axes, ("dx", "dy"), ("horizontal gradient", "vertical gradient")):
            for group, g in stats["groups"].items():
                color, ls = styles[group]
                with np.errstate(divide="ignore"):
                    logd = np.where(g[key] > 0, np.log10(g[key]), np.nan)  # empty bins are left out, not floored
                ax.plot(centres, logd, color=color, ls=ls, label=f"{group} ({g['n']:,} patches)")
            ax.set_xlabel(f"{title} (grey levels in [0, 1])")
            ax.set_title(title)
        axes[0].set_ylabel("log10 density")
        axes[1].legend(loc="upper right", fontsize=6.5, frameon=False)
        fig.suptitle(f"{stats['n_patches']:,} patches of {stats['size']}x{stats['size']} px from "
                     f"{stats['n_images']} images", fontsize=9)
        fig.tight_layout()
    return fig


def patch_spectra(picked: list[dict], spectra: list[tuple]):
    """Fig. 2(b): the four patches and their radially averaged power spectra with fitted slopes."""
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(8, 3.2))
        grid = fig.add_gridspec(2, 4, height_ratios=[1, 1.1])
        ax_s = fig.add_subplot(grid[1, :])
        for i, (p, (freqs, power, slope)) in enumerate(zip(picked, spectra)):
            ax = fig.add_subplot(grid[0, i])
            ax.imshow(p["rgb"])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{p['label']}\n{p['name']}", fontsize=7)
            ax_s.loglog(freqs, power, label=f"{p['label']}: slope {slope:.2f}")
        ax_s.set_xlabel("spatial frequency (cycles/pixel)")
        ax_s.set_ylabel("power")
        ax_s.legend(fontsize=7, frameon=False)
        fig.tight_layout()
    return fig


def pr_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str = ""):
    """Precision-recall curves, ``{label: (recall, precision)}``, one per method, the paper's Figs. 4, 6 and 9."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(4.2, 3.8))
        for label, (recall, precision) in curves.items():
            ax.plot(recall, precision, label=label, lw=2 if label.startswith(("DBM", "config V ")) else 1.2)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1)
        ax.set_ylim(0.5, 1.0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left", frameon=False)
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return fig



def _map_colorbar(fig, mappable, axes, label: str = "blur map (1 = blurred)"):
    cb = fig.colorbar(mappable, ax=axes, fraction=0.025, pad=0.01)
    cb.set_label(label, fontsize=7)
    cb.ax.tick_params(labelsize=7)
    return cb


def ranked_maps(images: Sequence[np.ndarray], maps: Sequence[np.ndarray], titles: Sequence[str],
                row_labels: Sequence[str] = ("image", "blur map")):
    """Fig. 11: images (uint8 RGB (H, W, 3)) in a row, their blur maps (float (H, W) in [0, 1], white = 1 =
    blurred) in the row below; panel widths follow each image's aspect ratio so every panel has the same height and
    the titles (above the images) line up; one colour bar for the maps."""
    ratios = [im.shape[1] / im.shape[0] for im in images]
    with plt.rc_context(STYLE):
        height = 1.6
        fig = plt.figure(figsize=(height * sum(ratios) + 0.9, 2 * height + 0.5))
        grid = fig.add_gridspec(2, len(images), width_ratios=ratios, wspace=0.04, hspace=0.06)
        shown = None
        for j, (im, m, title) in enumerate(zip(images, maps, titles)):
            for i, a in enumerate((im, m)):
                ax = fig.add_subplot(grid[i, j])
                h = ax.imshow(a, cmap="gray", vmin=0, vmax=1) if a.ndim == 2 else ax.imshow(a)
                shown = h if a.ndim == 2 else shown
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title(title)
                if j == 0:
                    ax.set_ylabel(row_labels[i])
        if shown is not None:
            _map_colorbar(fig, shown, fig.axes)
    return fig


def magnification(image: np.ndarray, mask: np.ndarray, results: dict[str, tuple[np.ndarray, np.ndarray]],
                  box: tuple[int, int, int, int], sigma: float, threshold: float):
    """Fig. 12: blur magnification by each method's map, whole images above and zoomed crops below.

    ``image`` uint8 RGB (H, W, 3); ``mask`` bool (H, W), True = blurred; ``results[name] = (magnified uint8 RGB,
    blur map float (H, W) in [0, 1])``; ``box = (top, left, height, width)`` in pixels, the crop drawn as a frame on
    the whole images and shown enlarged below (before, then after each method's magnification).
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
            ax.set_title(f"({'abcdefgh'[j]}) {title}", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
        span = n
        for j, (title, a) in enumerate(crops):
            ax = fig.add_subplot(grid[1, j * span:(j + 1) * span])
            ax.imshow(a, interpolation="nearest")
            ax.set_title(title)
            ax.set_xticks([])
            ax.set_yticks([])
        _map_colorbar(fig, shown, fig.axes[:n])
        fig.suptitle(f"pixels with blur confidence > {threshold:g} Gaussian-blurred, σ = {sigma:g} px; yellow frame "
                     f"= crop ({w}×{h} px)", fontsize=8)
    return fig
