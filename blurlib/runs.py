"""Run folders and the committed default model.

A run folder ``runs/<model>_<train split>/`` holds run.json (settings and provenance), metrics.json (both protocols,
and the official HiFST maps on the same test images where available), pr.csv, log.jsonl and maps/; the default
model's folder (:data:`DEFAULT_RUN`) also holds ``model_fp16.pt``, as does the refined model's
(:data:`blurlib.beyond.SHIPPED_MODELS`). Notebooks read runs through :func:`run_result`: a
committed run is rendered as it is (and said so); without one, the run is trained and scored now with the
notebook's profile into ``build/runs`` (git-ignored).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from blurlib import checkpoint, metrics
from blurlib.baselines import METHODS
from blurlib.data import Benchmark
from blurlib.errors import BlurlibError
from blurlib.evaluate import count, evaluate_run, official_hifst, official_hifst_maps, score_baselines, tta_suffix
from blurlib.paths import REPO, project_root
from blurlib.predict import TTA
from blurlib.profiles import COMMITTED, Profile
from blurlib.provenance import commit_label, portable_text
from blurlib.train import train

RUNS = REPO / "runs"
DEFAULT_RUN = RUNS / "V_odd_paper"  # config V, the paper's recipe: the model `blurlib predict` uses by default
DEFAULT_MODEL = DEFAULT_RUN / "model_fp16.pt"
SHIPPED_WORD = "shipped"
"""Added to the name of the shipped default model (:func:`model_name`)."""


def model_name(model: str, profile: str | None = None, shipped: bool = False) -> str:
    """The one name of a trained model in every table row, legend, title and check: the paper's configurations as
    ``DBM (config V, <recipe>)``, other models by their own name, ``(<recipe>)``; the recipe is the training profile
    (``paper`` reads "paper recipe"), left out when unknown; the shipped default model adds ", shipped".

    >>> model_name("V", "cpu-short"), model_name("V", "paper", shipped=True), model_name("unet", "cpu-short")
    ('DBM (config V, cpu-short)', 'DBM (config V, paper recipe, shipped)', 'unet (cpu-short)')
    >>> model_name("IV")
    'DBM (config IV)'
    """
    from blurlib.models import CONFIGS

    parts = [f"config {model}"] if model in CONFIGS else []
    parts += [{"paper": "paper recipe"}.get(profile, profile)] if profile else []
    parts += [SHIPPED_WORD] if shipped else []
    base = "DBM" if model in CONFIGS else model
    return f"{base} ({', '.join(parts)})" if parts else base


def _name_of(run: dict, shipped: bool) -> str:
    return model_name(run.get("model", "V"), (run.get("profile") or {}).get("name"), shipped)


@dataclass
class RunResult:
    dir: Path
    run: dict  # run.json
    metrics: dict  # metrics.json
    origin: str  # one line: committed (with provenance) or trained now
    label: str = ""  # a few words for a table column: where the row comes from
    note: str = ""  # set when a committed run was scored on other test images than the data at hand
    shipped: bool = False  # the shipped default model's scores

    @property
    def name(self) -> str:
        """The model's one name in tables, legends, titles and checks (:func:`model_name`)."""
        return _name_of(self.run, self.shipped)


@dataclass
class LoadedModel:
    model: nn.Module
    convention: str
    origin: str
    run: dict
    shipped: bool = False  # the shipped default model

    @property
    def name(self) -> str:
        """The model's one name in tables, legends, titles and checks (:func:`model_name`)."""
        return _name_of(self.run, self.shipped)


def _data_word(description: str) -> str:
    return "synthetic" if "synthetic" in description else "partial CUHK" if "partial" in description else "CUHK"


def local_runs() -> Path:
    return project_root() / "build" / "runs"


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def profile_name(run: dict) -> str:
    """The profile a run was trained with (run.json stores the whole profile under "profile")."""
    return run["profile"]["name"]


def device_label(run: dict) -> str:
    """Where a run trained, as its run.json records it (``device``), with a CPU that a run recorded by its
    architecture alone (``cpu: x86_64, …``) named by the host the provenance records.

    >>> device_label({"device": "cpu: x86_64, 2 threads, AVX512", "provenance": {"host": "Intel Xeon, 2 cores, AMX"}})
    'cpu: Intel Xeon, 2 threads, AVX512, AMX'
    >>> device_label({"device": "cuda: NVIDIA H100", "provenance": {"host": "AMD EPYC, 16 cores"}})
    'cuda: NVIDIA H100'
    """
    device, host = run.get("device", ""), run.get("provenance", {}).get("host", "")
    for arch in ("x86_64", "aarch64", "arm64"):
        if device.startswith(f"cpu: {arch}") and host:
            name, *flags = [part.strip() for part in host.split(",")]
            extra = [f for f in flags if "core" not in f and f not in device]
            return ", ".join([f"cpu: {name}{device[len(f'cpu: {arch}'):]}", *extra])
    return device


def describe(run_dir: Path, run: dict) -> str:
    prov = run["provenance"]
    return (f"committed run {run_dir.name} (model {run['model']}, profile {profile_name(run)}, trained on {run['split']} "
            f"of {portable_text(run['data'])}; commit {commit_label(prov)}, {prov['date']}, {device_label(run)}, "
            f"{run['wall_seconds'] / 60:.0f} min)")


def committed_run(name: str, runs: Path | None = None) -> RunResult | None:
    """The committed run ``runs/<name>``, or None when it is not committed (no metrics.json: never scored).

    A trained run has run.json beside its metrics; a scoring of fixed methods (``baselines_<split>``) has only
    metrics.json (its ``run`` is then ``{}``).

    >>> committed_run("no_such_run") is None
    True
    """
    folder = (runs or RUNS) / name
    if not (folder / "metrics.json").is_file():
        return None
    m = _read(folder / "metrics.json")
    if not (folder / "run.json").is_file():
        prov = m["provenance"]
        return RunResult(folder, {}, m, f"committed run {name} ({portable_text(m['data'])}, {m['n_images']} images; commit "
                                        f"{commit_label(prov)}, {prov['date']})", f"committed: {_data_word(m['data'])}")
    run = _read(folder / "run.json")
    return RunResult(folder, run, m, describe(folder, run), f"committed: {profile_name(run)}, {_data_word(run['data'])}")


RUN_MODES = ("auto", "committed", "train")
"""Where a notebook's runs come from: ``auto``, a committed run of the asked profile, else trained now;
``committed``, the committed runs whatever their profile; ``train``, always trained now (never a committed run)."""


SEED_SUFFIX = "_seed"
"""Runs of a seed other than 0 are published as ``runs/<name>[_<profile>]_seed<k>`` (:func:`published_name`)."""


def published_name(name: str, profile: str, seed: int = 0) -> str:
    """The folder under runs/ of experiment ``name`` trained with ``profile`` and ``seed``: the committed profile's
    runs (:data:`blurlib.profiles.COMMITTED`) by the experiment's name, any other profile's with its name appended
    (so a long paper-recipe run never replaces a committed result unnoticed), a seed other than 0 with ``_seed<k>``.

    >>> published_name("V_odd", "cpu-short"), published_name("V_odd", "paper"), published_name("V_odd", "cpu-short", 2)
    ('V_odd', 'V_odd_paper', 'V_odd_seed2')
    """
    base = name if profile == COMMITTED else f"{name}_{profile}"
    return base if seed == 0 else f"{base}{SEED_SUFFIX}{seed}"


def seed_results(name: str, profile: str, runs: Path | None = None) -> dict[int, RunResult]:
    """The committed runs of experiment ``name`` trained with ``profile``, one per seed: ``{seed: run}``, seed 0
    (the run every table shows) first, then each other seed published beside it (:func:`published_name`).

    >>> seed_results("no_such_run", "cpu-short")
    {}
    """
    runs = runs or RUNS
    base = published_name(name, profile)
    found = {0: committed_run(base, runs)}
    for folder in sorted(runs.glob(f"{base}{SEED_SUFFIX}*")):
        seed = folder.name[len(base) + len(SEED_SUFFIX):]
        if seed.isdigit() and int(seed) > 0:
            found[int(seed)] = committed_run(folder.name, runs)
    return {seed: r for seed, r in sorted(found.items())
            if r is not None and r.run and profile_name(r.run) == profile and r.run.get("seed", 0) == seed}


def with_seeds(name: str, r: RunResult) -> dict[int, RunResult]:
    """``{seed: run}`` of experiment ``name``: ``r`` (the run a notebook shows, as seed 0) and, when ``r`` is a committed
    run, the committed runs of the other seeds of its profile (:func:`seed_results`); a run trained now stands alone."""
    if r.dir.parent.resolve() != RUNS.resolve() or not r.run:
        return {0: r}
    return {0: r} | {s: other for s, other in seed_results(name, profile_name(r.run)).items() if s > 0}


def tta_scores(r: RunResult) -> dict[str, dict]:
    """``{tta mode: metrics}`` of run ``r`` scored with test-time augmentation (``metrics_tta-<mode>.json`` beside its
    metrics, :func:`blurlib.evaluate.tta_suffix`), those made on exactly ``r``'s test images, in :data:`TTA` order."""
    out = {}
    for mode in TTA[1:]:
        path = r.dir / f"metrics{tta_suffix(mode)}.json"
        if path.is_file() and (m := _read(path)).get("names") == r.metrics.get("names"):
            out[mode] = m
    return out


def _candidates(name: str, profile: str) -> list[RunResult]:
    """Committed runs of experiment ``name``: ``runs/<name>`` and ``runs/<name>_<profile>``, those of ``profile``
    first."""
    found = [r for r in (committed_run(name), committed_run(f"{name}_{profile}")) if r is not None]
    return sorted(found, key=lambda r: profile_name(r.run) != profile)


def retrain_command(name: str, profile: str, seed: int = 0) -> str:
    """The command that trains, scores and publishes experiment ``name`` with ``profile`` on the user's data."""
    return f"python scripts/run_experiments.py --only {name} --profile {profile}" + (f" --seeds {seed}" if seed else "")


def _data_note(r: RunResult, names: list[str], command: str) -> RunResult:
    """Say plainly when a committed run was scored on other test images than this dataset's."""
    scored = r.metrics.get("names")
    if scored is not None and scored != names:
        r.note = (f"committed scores from {len(scored)} test images of {portable_text(r.run.get('data') or r.metrics.get('data', '?'))}, not from the "
                  f"{len(names)} test images here; `{command}` makes it from these data")
        r.label += f", {len(scored)} other test images"
        r.origin += f" — {r.note}"
    return r


def run_result(bench: Benchmark, profile: Profile, model: str = "V", train_split: str = "odd",
               test_split: str = "even", weights: str = "hed", loss: str | None = None, tag: str = "",
               progress: bool = False, runs: str = "auto", device: str | None = None) -> RunResult:
    """The run of ``model`` trained on ``train_split`` with ``profile`` and scored on ``test_split``.

    ``runs`` (:data:`RUN_MODES`): ``auto`` renders the committed run ``runs/<model>_<train_split><tag>`` (or its
    ``_<profile>`` sibling) trained with ``profile`` when there is one, else trains and scores now in
    ``build/runs`` (resumably); ``committed`` renders a committed run whatever its profile (an error when there is
    none); ``train`` always trains now. A committed run scored on other test images than ``bench``'s says so in
    ``note``.
    """
    if runs not in RUN_MODES:
        raise BlurlibError(f"runs must be one of {', '.join(RUN_MODES)}, not {runs!r}.")
    name = f"{model}_{train_split}{tag}"
    test_names = [p.name for p in bench.select(test_split)]
    if runs != "train":
        found = _candidates(name, profile.name)
        if found and (runs == "committed" or profile_name(found[0].run) == profile.name):
            return _data_note(found[0], test_names, retrain_command(name, profile_name(found[0].run)))
        if runs == "committed":
            raise BlurlibError(f"no committed run {name} in {RUNS}: use runs='auto' or 'train' to train it now, or "
                               f"`{retrain_command(name, profile.name)}`.")

    prof = profile.replace(loss=loss)
    key = hashlib.sha1(json.dumps(prof.as_dict(), sort_keys=True).encode()).hexdigest()[:8]  # a new profile: a new run
    run_dir = local_runs() / f"{name}_{prof.name}-{key}_{'synthetic' if bench.synthetic else 'cuhk'}"
    train(bench, run_dir, model_name=model, profile=prof, weights=weights, split=train_split, progress=progress,
          resume=True, device=device)
    pairs = bench.select(test_split)[: prof.max_images or None]
    scored = run_dir / "metrics.json"
    metrics = _read(scored) if scored.is_file() and _read(scored).get("names") == [p.name for p in pairs] else None
    if metrics is None:  # scored already on exactly these images: not again
        metrics = evaluate_run(run_dir, pairs, hifst=official_hifst(bench.root), progress=progress,
                               overwrite=True)  # scored on other images before: replaced whole
    return RunResult(run_dir, _read(run_dir / "run.json"), metrics,
                     f"trained now: model {model}, profile {prof.name}, on {train_split} of {bench.description} "
                     f"(runs={runs}; results in {run_dir})", f"now: {prof.name}, {_data_word(bench.description)}")


def model_for(bench: Benchmark, profile: Profile, name: str = "V", runs: str = "auto",
              device: str | None = None) -> LoadedModel:
    """The model that draws a notebook's maps: the shipped default model (config V, fp16) when ``name`` is V and
    ``runs`` is not ``train``; else the model of :func:`run_result` (trained now when not committed with weights)."""
    if name == "V" and runs != "train" and DEFAULT_MODEL.is_file():
        model, ckpt = checkpoint.load_model(DEFAULT_MODEL, expect=name)
        run = _read(DEFAULT_RUN / "run.json")
        return LoadedModel(model, ckpt["convention"], "shipped model: " + describe(DEFAULT_RUN, run) + ", fp16 weights",
                           run, shipped=True)
    r = run_result(bench, profile, name, runs="train" if runs == "train" else "auto", device=device)
    weights = r.dir / "model.pt"
    if not weights.is_file():
        raise BlurlibError(f"{r.dir}: the committed run keeps no weights; use runs='train' to train {name} now.")
    model, ckpt = checkpoint.load_model(weights)
    return LoadedModel(model, ckpt["convention"], r.origin, r.run)


def shipped_result(bench: Benchmark, test_split: str = "even", limit: int | None = None,
                   progress: bool = False) -> RunResult | None:
    """The shipped default model (:data:`DEFAULT_MODEL`) scored on ``test_split`` of ``bench``: its committed
    scores when they were made on exactly the split's images, else scored now (minutes on a CPU; ``limit`` images
    spread over the split when given) into ``build/runs``, cached. None when no default model ships; a
    :class:`BlurlibError` when the split overlaps the images the model was trained on.
    """
    committed = committed_run(DEFAULT_RUN.name)
    if committed is None or not DEFAULT_MODEL.is_file():
        return None
    pairs = bench.select(test_split)
    if committed.metrics.get("names") == [p.name for p in pairs]:
        committed.shipped = True
        return committed
    if limit is not None and len(pairs) > limit:
        pairs = [pairs[int(i * len(pairs) / limit)] for i in range(limit)]
    names = [p.name for p in pairs]
    seen = sorted(set(names) & set(committed.run.get("train_images", ())))
    if seen:
        raise BlurlibError(f"{DEFAULT_MODEL}: trained on {len(seen)} of the {test_split} images (e.g. {seen[0]}); "
                           "score it on images it was not trained on (the even split, D_e).")
    key = hashlib.sha1(json.dumps(names).encode()).hexdigest()[:8]
    out = local_runs() / f"shipped_{DEFAULT_RUN.name}_{test_split}-{len(names)}-{key}"
    scored = out / "metrics.json"
    metrics = _read(scored) if scored.is_file() else None
    if metrics is None or metrics.get("names") != names:
        out.mkdir(parents=True, exist_ok=True)
        metrics = evaluate_run(out, pairs, hifst=official_hifst(bench.root), progress=progress, weights=DEFAULT_MODEL,
                               overwrite=True)
    return RunResult(out, committed.run, metrics,
                     f"the shipped model ({describe(DEFAULT_RUN, committed.run)}) scored now on {len(names)} "
                     f"{test_split} images of {bench.description} (results in {out})",
                     f"shipped model, scored now: {_data_word(bench.description)}", shipped=True)


def official_hifst_scores(bench: Benchmark, test_split: str, scored: dict | None = None) -> dict | None:
    """The official HiFST maps (:func:`blurlib.evaluate.official_hifst`) scored with the paper protocol on the
    ``test_split`` images of ``bench`` (those a model is scored on: with their photographs), as
    :func:`blurlib.metrics.summarize` gives them. Taken from ``scored`` (a run's metrics.json holding
    ``hifst_official``) when it was scored on exactly those images, else scored now (the maps need no network:
    seconds). None where ``bench`` has no official maps.
    """
    folder = official_hifst(bench.root)
    if folder is None:
        return None
    pairs = bench.select(test_split)
    if scored and scored.get("names") == [p.name for p in pairs] and "hifst_official" in scored:
        return scored["hifst_official"]["paper"]
    return metrics.summarize(count(pairs, official_hifst_maps(folder)), "paper")


def baseline_result(bench: Benchmark, test_split: str = "even", limit: int | None = None,
                    progress: bool = False, runs: str = "auto") -> RunResult:
    """Scores of every hand-crafted baseline on ``test_split``.

    The committed ``runs/baselines_<split>`` when it was scored on exactly these test images (``runs="auto"``) or
    whatever its images (``runs="committed"``, with a note when they differ); else computed now on ``limit`` test
    images spread over the split (all when None) into ``build/runs``.
    """
    name = f"baselines_{test_split}"
    pairs = bench.select(test_split)
    names = [p.name for p in pairs]
    committed = committed_run(name) if runs != "train" else None
    if committed is not None and (runs == "committed" or committed.metrics["names"] == names):
        return _data_note(committed, names, f"blurlib baselines --split {test_split} --out runs/{name}")
    if limit is not None and len(pairs) > limit:
        pairs = [pairs[int(i * len(pairs) / limit)] for i in range(limit)]
    out = local_runs() / f"{name}_{'synthetic' if bench.synthetic else 'cuhk'}_{len(pairs)}"
    m = score_baselines(bench, pairs, METHODS, out, agreement_images=min(50, len(pairs)), progress=progress)
    return RunResult(out, {}, m, f"computed now on {len(pairs)} images of {bench.description} "
                                 f"(runs={runs}; results in {out})", f"now: {_data_word(bench.description)}")
