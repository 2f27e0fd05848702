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
from dataclasses import dataclass, field
from pathlib import Path

from blurlib import profiles
from blurlib.data import SOURCES, Benchmark, open_dataset
from blurlib.errors import BlurlibError
from blurlib.paths import figures_dir, project_root
from blurlib.runs import (RUN_MODES, LoadedModel, RunResult, baseline_result, committed_run, model_for, run_result,
                          shipped_result)
from blurlib.runtime import use_device

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
    real_checks: bool = True  # claims about the benchmark are checked (real data, non-smoke profile)
    strict: bool = True  # ... and asserted: the committed runs rendered on the data the text was written for
    differences: list[str] = field(default_factory=list)  # claims these data or runs do not bear out (not strict)

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
        """Check a claim the notebook's text makes about the results (a number or an ordering).

        The text describes the committed runs on the data it was written for (:func:`written_for`). There
        (``strict``: CI, and a user rendering the committed runs) a claim that does not hold fails the notebook: the
        text must be revised. Anywhere else — runs trained now (``runs="train"``, another profile or seed), other data
        such as a complete benchmark — it prints ``differs from the text: …`` and is listed by :meth:`report` at the
        end; the batch goes on. On the synthetic set or with the smoke profile claims are not checked.

        >>> Context(None, None, "auto", None, True, Path("."), real_checks=False).check(False, "V beats I")
        not checked here (synthetic set or smoke profile): V beats I
        >>> ctx = Context(None, None, "train", None, True, Path("."), strict=False)
        >>> ctx.check(False, "V beats I")
        differs from the text: V beats I
        >>> ctx.differences
        ['V beats I']
        """
        if not self.real_checks:
            print(f"not checked here (synthetic set or smoke profile): {claim}")
        elif holds:
            print(f"checked: {claim}")
        elif self.strict:
            raise AssertionError(f"the notebook's text claims: {claim} — not on the committed runs and the data the "
                                 "text was written for; revise the text")
        else:
            self.differences.append(claim)
            print(f"differs from the text: {claim}")

    def report(self) -> None:
        """A notebook's last cell: whether its text's claims hold here, and each one that does not.

        >>> ctx = Context(None, None, "train", None, True, Path("."), strict=False)
        >>> ctx.check(False, "V beats I")
        differs from the text: V beats I
        >>> ctx.report()
        1 claim of the text differs on these data and runs (the text describes the committed runs on the data it was written for):
          - V beats I
        """
        if not self.real_checks:
            print("claims of the text not checked here (synthetic set or smoke profile)")
        elif self.differences:
            n = len(self.differences)
            print(f"{n} claim{'s' if n > 1 else ''} of the text differ{'' if n > 1 else 's'} on these data and runs "
                  "(the text describes the committed runs on the data it was written for):")
            for claim in self.differences:
                print(f"  - {claim}")
        else:
            print("every claim of the text checked here holds" + ("" if self.strict else " on these data and runs"))

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
    use_device(device)  # checked; every map, scoring and training of the notebook runs there
    allow = parse_bool(allow_partial, "allow_partial")
    synthetic = profiles.get(profiles.SMOKE if profile == "auto" else profile)
    bench = open_dataset(data_source, data_root, allow_partial=allow, profile=synthetic)
    if profile == "auto":
        profile = profiles.SMOKE if bench.synthetic else profiles.COMMITTED
    prof = profiles.get(profile)
    out = output_dir(bench, prof)
    out.mkdir(parents=True, exist_ok=True)
    real = not bench.synthetic and prof.name != profiles.SMOKE
    strict = real and prof.name == profiles.COMMITTED and runs != "train" and written_for(bench)
    return Context(prof, bench, runs, device, quick(), out, real, strict)


WRITTEN_FOR = "V_odd"
"""The committed run whose test images define the data the notebooks' text was written for (:func:`written_for`)."""


def written_for(bench: Benchmark) -> bool:
    """Whether ``bench`` holds exactly the test images the committed runs were scored on (runs/V_odd's D_e): the
    data the notebooks' text describes. A complete benchmark, another partial copy or other data: False."""
    run = committed_run(WRITTEN_FOR)
    return run is not None and run.metrics.get("names") == [p.name for p in bench.select("even")]
