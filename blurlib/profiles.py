"""Profiles (``smoke``, ``paper``, ``paper256``): named sets of training settings read from ``profiles.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources

from blurlib.errors import BlurlibError
from blurlib.losses import LOSSES

SMOKE = "smoke"
"""The tiny profile of CI and of the synthetic set: its outputs never replace the committed figures."""
COMMITTED = "cpu-short"
"""The profile of the committed experiment runs (``runs/<name>``; runs of any other profile are published as
``runs/<name>_<profile>``)."""


@dataclass(frozen=True)
class Profile:
    name: str
    about: str = field(compare=False)  # prose: rewording it does not make another profile (a run still resumes)
    size: int  # input side, pixels (images and masks resized to size x size)
    batch_size: int
    iterations: int
    base_lr: float
    lr_power: float
    bias_lr_mult: float
    momentum: float
    weight_decay: float
    loss: str
    checkpoint_every: int
    synthetic_n: int  # size of the embedded synthetic set when no CUHK data are found
    synthetic_size: int
    max_images: int = 0  # use at most this many images of a split for training and scoring (0: all)

    def replace(self, **changes) -> Profile:
        """A copy with ``changes`` (e.g. ``iterations=100``), validated."""
        return _validated(self.name, asdict(self) | {k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Profile:
        """The profile stored in a checkpoint or run.json; fields added since then take their defaults."""
        return _validated(d.get("name", "?"), d)


@cache
def _table() -> dict:
    return tomllib.loads(resources.files("blurlib").joinpath("profiles.toml").read_text())


def names() -> list[str]:
    return list(_table())


def get(name: str) -> Profile:
    """The profile called ``name``; an unknown name is a :class:`BlurlibError` listing the known ones."""
    if name not in _table():
        raise BlurlibError(f"unknown profile {name!r}: use one of {', '.join(names())}.")
    return _validated(name, {"name": name, **_table()[name]})


def _validated(name: str, d: dict) -> Profile:
    p = Profile(**d)
    if p.loss not in LOSSES:
        raise BlurlibError(f"profile {name}: unknown loss {p.loss!r}; use one of {', '.join(LOSSES)}.")
    if min(p.size, p.batch_size, p.iterations, p.checkpoint_every) < 1 or p.base_lr <= 0:
        raise BlurlibError(f"profile {name}: size, batch_size, iterations, checkpoint_every and base_lr must be > 0.")
    return p
