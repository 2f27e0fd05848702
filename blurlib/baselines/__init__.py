"""Hand-crafted blur detectors of Table III, from their papers' formulas, vectorised.

Every method has the same signature, ``blur_map(image uint8 RGB (H, W, 3)) -> float32 (H, W) in [0, 1]``, 1 = blurred.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from blurlib.baselines import su11

METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Su11": su11.blur_map,
}


def get(name: str) -> Callable[[np.ndarray], np.ndarray]:
    if name not in METHODS:
        raise ValueError(f"unknown baseline {name!r}: use one of {', '.join(METHODS)}")
    return METHODS[name]
