"""What a notebook works with: its parameters checked once, the data opened, runs found or trained, images sampled.

Every notebook's second cell is ``ctx = context.setup(profile, data_source, data_root, allow_partial, runs, device)``.

* ``profile``: a training profile of ``profiles.toml``, or ``auto``: the profile of the committed experiment runs
  (:data:`blurlib.profiles.COMMITTED`) on the benchmark, ``smoke`` on the synthetic set.
* ``runs``: where results come from (:data:`RUN_MODES`). ``auto``: a committed run trained with the asked profile
  when there is one, else trained now; ``committed``: the committed runs whatever their profile; ``train``: trained
  now with the profile (resumably, in ``build/runs``), never a committed run.
* The profile decides how a model is trained, not how much of the data an analysis uses: analyses use every test
  image (or the paper's sample sizes). Only when ``$BLURLIB_QUICK`` is set (the test suite sets it, so CI re-runs
  the committed notebooks in minutes) are analyses capped at :data:`QUICK_IMAGES` images, and the notebook says so.
* Figures and tables go to ``figures/`` only from the real benchmark with a non-smoke profile; synthetic or smoke
  outputs go to ``build/figures`` (``$BLURLIB_FIGURES`` overrides both).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from blurlib import profiles
from blurlib.data import SOURCES, Benchmark, open_dataset
from blurlib.errors import BlurlibError
from blurlib.paths import figures_dir, project_root
from blurlib.runs import RUN_MODES, LoadedModel, RunResult, baseline_result, model_for, run_result, shipped_result
from blurlib.runtime import pick_device

QUICK_ENV = "BLURLIB_QUICK"
QUICK_IMAGES = 8
"""Images an analysis uses at most when ``$BLURLIB_QUICK`` is set (the CI-sized re-run of the notebooks)."""


def quick() -> bool:
    """Whether the notebooks run CI-sized (``$BLURLIB_QUICK`` set to anything but empty or 0)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def parse_bool(value, name: str) -> bool:
    """``value`` as a bool: True/False, or the strings true/false/yes/no/1/0 (any case); else a BlurlibError."""
    if isinstance(value, bool):
        return value
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    if str(value).strip().lower() not in words:
        raise BlurlibError(f"{name} must be true or false, not {value!r}.")
    return words[str(value).strip().lower()]


@dataclass
class Context:
    """A notebook's checked parameters and the data it works on (see the module docstring)."""

    profile: profiles.Profile
    bench: Benchmark
    runs: str
    device: str | None
    quick: bool
    figures: Path
    real_checks: bool = True  # claims about the benchmark are asserted (real data, non-smoke profile)

    @property
    def real(self) -> bool:
        """True on the CUHK benchmark (complete or partial), False on the synthetic set."""
        return not self.bench.synthetic

    def sample(self, items: Sequence, n: int | None = None) -> list:
        """``n`` items spread evenly over ``items`` (all when ``n`` is None), at most :data:`QUICK_IMAGES` when
        quick.

        >>> ctx = Context(None, None, "auto", None, True, Path("."))
        >>> ctx.sample(list(range(100)), 10)
        [0, 12, 25, 37, 50, 62, 75, 87]
        """
        items = list(items)
        n = len(items) if n is None else min(n, len(items))
        if self.quick:
            n = min(n, QUICK_IMAGES)
        if n == 0:
            return []
        step = len(items) / n
        return [items[int(i * step)] for i in range(n)]

    def result(self, model: str = "V", train_split: str = "odd", test_split: str = "even", **kw) -> RunResult:
        """The run of ``model`` trained on ``train_split`` and scored on ``test_split`` (see :func:`run_result`)."""
        return run_result(self.bench, self.profile, model, train_split, test_split, runs=self.runs,
                          device=self.device, **kw)

    def model(self, name: str = "V") -> LoadedModel:
        """The model that draws this notebook's maps (see :func:`blurlib.runs.model_for`)."""
        return model_for(self.bench, self.profile, name, runs=self.runs, device=self.device)

    def shipped(self, test_split: str = "even", progress: bool = False) -> RunResult | None:
        """The shipped default model scored on this dataset's ``test_split`` (see :func:`shipped_result`)."""
        return shipped_result(self.bench, test_split, limit=QUICK_IMAGES if self.quick else None, progress=progress)

    def baselines(self, test_split: str = "even", progress: bool = False) -> RunResult:
        """Every hand-crafted baseline scored on ``test_split`` (committed when it matches these images)."""
        return baseline_result(self.bench, test_split, limit=QUICK_IMAGES if self.quick else None,
                               progress=progress, runs=self.runs)

    def check(self, holds: bool, claim: str) -> None:
        """Assert a claim the notebook's text makes about the benchmark (a number or an ordering), so that text which
        stops matching the data fails the notebook (and CI). The text is written for the benchmark with a
        non-smoke profile; on the synthetic set or the smoke profile the claim is printed as not checked.

        >>> Context(None, None, "auto", None, True, Path("."), real_checks=False).check(False, "V beats I")
        not checked here (synthetic set or smoke profile): V beats I
        """
        if not self.real_checks:
            print(f"not checked here (synthetic set or smoke profile): {claim}")
            return
        if not holds:
            raise AssertionError(f"the notebook's text claims: {claim} — not on these data; revise the text")
        print(f"checked: {claim}")

    def summary(self) -> str:
        """Two lines a notebook prints under its set-up cell: the data, and the profile/runs/device used."""
        cap = f"; analyses capped at {QUICK_IMAGES} images (${QUICK_ENV} is set)" if self.quick else ""
        return (f"data: {self.bench.description}\n"
                f"profile: {self.profile.name} ({self.profile.about}); runs: {self.runs}; "
                f"device: {self.device or 'auto'}{cap}\nfigures and tables: {_shown(self.figures)}")


def _shown(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(project_root().resolve()))
    except ValueError:
        return str(path)


def output_dir(bench: Benchmark, profile: profiles.Profile) -> Path:
    """Where figures and tables go: ``$BLURLIB_FIGURES`` if set; ``figures/`` from the real benchmark with a
    non-smoke profile; else ``build/figures`` (so synthetic or smoke outputs never replace the committed ones)."""
    if os.environ.get("BLURLIB_FIGURES"):
        return figures_dir()
    if not bench.synthetic and profile.name != "smoke":
        return figures_dir()
    return project_root() / "build" / "figures"


def setup(profile: str = "auto", data_source: str = "auto", data_root: str | None = None,
          allow_partial: bool | str = True, runs: str = "auto", device: str | None = "auto") -> Context:
    """Check a notebook's parameters, open the data and say where outputs go; one :class:`BlurlibError` per bad
    parameter, naming the allowed values."""
    if data_source not in SOURCES:
        raise BlurlibError(f"data_source must be one of {', '.join(SOURCES)}, not {data_source!r}.")
    if runs not in RUN_MODES:
        raise BlurlibError(f"runs must be one of {', '.join(RUN_MODES)}, not {runs!r}.")
    if profile != "auto":
        profiles.get(profile)  # an unknown profile is a clear error before any data are opened
    device = None if device in (None, "", "auto") else str(device)
    if device is not None:
        pick_device(device)
    allow = parse_bool(allow_partial, "allow_partial")
    synthetic = profiles.get(profiles.SMOKE if profile == "auto" else profile)
    bench = open_dataset(data_source, data_root, allow_partial=allow, profile=synthetic)
    if profile == "auto":
        profile = profiles.SMOKE if bench.synthetic else profiles.COMMITTED
    prof = profiles.get(profile)
    out = output_dir(bench, prof)
    out.mkdir(parents=True, exist_ok=True)
    return Context(prof, bench, runs, device, quick(), out, not bench.synthetic and prof.name != profiles.SMOKE)
