"""Hand-crafted blur detectors of Table III, from their papers' formulas, vectorised.

Every method has the same signature, ``blur_map(image uint8 RGB (H, W, 3)) -> float32 (H, W) in [0, 1]``, 1 = blurred.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from blurlib.baselines import hifst, liu08, shi14, su11, yi16, zhuo11

METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Liu08": liu08.blur_map,
    "Zhuo11": zhuo11.blur_map,
    "Su11": su11.blur_map,
    "Shi14": shi14.blur_map,
    "Yi16": yi16.blur_map,
    "HiFST": hifst.blur_map,
}
"""Table III's order. Each module's docstring gives the paper, its formula, the defaults and what differs."""


def get(name: str) -> Callable[[np.ndarray], np.ndarray]:
    if name not in METHODS:
        raise ValueError(f"unknown baseline {name!r}: use one of {', '.join(METHODS)}")
    return METHODS[name]
