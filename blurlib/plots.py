"""Figure drawing, one style: every function returns a matplotlib Figure; :func:`save` writes PNG and PDF."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from blurlib.io import atomic_write

STYLE = {"font.size": 9, "axes.titlesize": 9, "figure.dpi": 110, "savefig.dpi": 150, "savefig.bbox": "tight"}


def save(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (.png) and the same name with .pdf, atomically; closes the figure."""
    path = Path(path)
    for suffix in (".png", ".pdf"):
        with atomic_write(path.with_suffix(suffix)) as f:
            fig.savefig(f, format=suffix[1:])
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
