"""The paper's training recipe (Sec. IV-A), one code path for every profile.

- SGD, momentum 0.9; weight decay 5e-4 (paper), on weights only — none on biases is ours, as FCN's and HED's Caffe
  definitions set it; bias lr ×2 (paper).
- lr = base_lr · (1 − it / iterations) ^ 0.9 (polynomial decay), base_lr = 2^-10.
- batch of 3 images resized to ``size``², no augmentation; the final weights are kept.
- Loss: pixel-wise cross entropy on the sigmoid output (or the fidelity loss), **averaged over all pixels of the
  batch** (ours). The paper's Eq. (1) sums over an image's pixels, and Caffe's ``SigmoidCrossEntropyLoss`` divides
  by the batch size unless its ``normalization`` is set to VALID; which normalisation the paper's runs used is not
  stated. With a per-pixel mean the paper's lr of 2^-10 gives stable steps at any input size, whereas a per-image
  sum (384² ≈ 147k pixels) would need an lr ~10^5 times smaller. For ``fusion_ds`` the loss is the fused output's
  plus each of the five side outputs' (HED's deep supervision), each a per-pixel mean.

Runs are resumable: a checkpoint is written atomically every ``checkpoint_every`` iterations, the batch order
is a pure function of (seed, iteration), so ``resume=True`` continues exactly where the checkpoint stopped: the
resumed run's weights are bitwise those of an uninterrupted run on the same hardware with the same software.
On CUDA that holds because training uses deterministic algorithms only (:func:`blurlib.runtime.deterministic`);
on another GPU model or another driver/CUDA/torch version the results agree to rounding, not bit for bit.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from tqdm import tqdm

from blurlib import checkpoint, outputs, runtime
from blurlib.data import Benchmark, PairDataset
from blurlib.errors import BlurlibError
from blurlib.io import atomic_write, write_json
from blurlib.losses import LOSSES
from blurlib.models import build
from blurlib.profiles import Profile
from blurlib.provenance import now, provenance
from blurlib.weights import convention as weight_convention
from blurlib.weights import init_model


def model_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """The training loss of ``model`` on a batch: the output's, plus every side output's with deep supervision."""
    fn = LOSSES[loss]
    if getattr(model, "deep_supervision", False):
        fused, sides = model(x, return_sides=True)
        return fn(fused, y) + sum(fn(s, y) for s in sides)
    return fn(model(x), y)


def poly_lr(base_lr: float, iteration: int, iterations: int, power: float) -> float:
    """Polynomial decay: ``base_lr · (1 − iteration/iterations)^power``."""
    return base_lr * (1 - iteration / iterations) ** power


def param_groups(model: torch.nn.Module, profile: Profile) -> list[dict]:
    """Weights: lr ×1 with weight decay; biases: lr × ``bias_lr_mult``, no weight decay (Caffe's FCN/HED setting)."""
    weights = [p for n, p in model.named_parameters() if not n.endswith("bias")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    return [{"params": weights, "weight_decay": profile.weight_decay, "lr_mult": 1.0},
            {"params": biases, "weight_decay": 0.0, "lr_mult": profile.bias_lr_mult}]


def batch_indices(n: int, batch_size: int, seed: int, iteration: int) -> list[int]:
    """Indices of the batch used at ``iteration``: epochs of seeded random permutations, a pure function."""
    per_epoch = max(1, n // batch_size)
    epoch, k = divmod(iteration, per_epoch)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
    return perm[k * batch_size:(k + 1) * batch_size].tolist()


def _deterministic(fn):
    """``fn`` (:func:`train`) run under :func:`blurlib.runtime.deterministic` for the device it trains on: on CUDA,
    deterministic algorithms only, so that resuming is exact there too; the settings are restored afterwards."""
    @functools.wraps(fn)
    def wrapper(*args, device: str | None = None, **kwargs):
        with runtime.deterministic(runtime.pick_device(device)):
            return fn(*args, device=device, **kwargs)
    return wrapper


@_deterministic
def train(bench: Benchmark, run_dir: str | Path, *, model_name: str = "V", profile: Profile, weights: str = "hed",
          split: str = "train", category: str | None = None, seed: int = 0, device: str | None = None,
          precision: str = "auto", resume: bool = False, command: list[str] | None = None,
          progress: bool = True) -> Path:
    """Train ``model_name`` on ``bench`` (``split``, ``category``) with ``profile``; write the run to ``run_dir``.

    Writes ``checkpoint.pt`` (every ``checkpoint_every`` iterations and at the end), ``log.jsonl`` (iteration, loss,
    lr, seconds), ``model.pt`` (final weights) and ``run.json`` (settings and provenance; ``segments``: one entry
    per uninterrupted stretch, ``{start, end, device, precision, wall_seconds}``). Returns ``run_dir``.

    With ``resume=True`` and a checkpoint present, training continues from it; a checkpoint trained with other
    settings (model, seed, split, category, weights, training images, profile, device type, precision) is refused
    naming each difference, and a finished run is left as it is. Without ``resume``, a folder that already holds a
    run is refused (nothing is overwritten). An unwritable ``run_dir`` is refused before the first iteration. The
    run folder is locked while training (:func:`blurlib.outputs.locked`): a second process training into it is refused.
    """
    made = outputs.missing_folders(run_dir)
    diff = Path(run_dir) / "run.diff"
    had_diff = diff.exists()
    try:
        _check_run_dir(Path(run_dir), resume)  # its own one-line errors before the lock
        if resume and not (Path(run_dir) / "checkpoint.pt").exists():
            print(f"note: {run_dir}: no checkpoint.pt to resume from; training starts at iteration 0.",
                  file=sys.stderr)
        with outputs.locked(run_dir):
            return _train(bench, run_dir, model_name=model_name, profile=profile, weights=weights, split=split,
                          category=category, seed=seed, device=device, precision=precision, resume=resume,
                          command=command, progress=progress)
    except BaseException:
        if not had_diff and not (Path(run_dir) / "checkpoint.pt").exists():
            with contextlib.suppress(OSError):  # (a run folder that is a file holds no diff)
                diff.unlink(missing_ok=True)  # the diff of a run that never started (a dirty tree's provenance)
        outputs.remove_empty(made)  # a run that failed before writing anything leaves no empty folder it made
        raise


def _train(bench: Benchmark, run_dir: str | Path, *, model_name: str = "V", profile: Profile, weights: str = "hed",
          split: str = "train", category: str | None = None, seed: int = 0, device: str | None = None,
          precision: str = "auto", resume: bool = False, command: list[str] | None = None,
          progress: bool = True) -> Path:
    """:func:`train`, its run folder locked."""
    run_dir = Path(run_dir)
    dev, prec = runtime.select(device, precision)
    conv = weight_convention(weights)
    pairs = bench.select(split, category)[: profile.max_images or None]
    if not pairs:
        raise BlurlibError(f"{bench.root}: no images in split {split!r}, category {category!r}; choose another "
                           "--split or --category.")
    data = PairDataset(pairs, profile.size, conv)
    ckpt_path, log_path = run_dir / "checkpoint.pt", run_dir / "log.jsonl"
    _check_run_dir(run_dir, resume)

    meta = {"profile": profile.as_dict(), "weights": str(weights), "seed": seed, "split": split,
            "category": category, "n_train": len(data), "precision": prec, "device": dev.type}
    ckpt = checkpoint.read(ckpt_path) if resume and ckpt_path.exists() else None
    if ckpt is not None:
        lacking = [k for k in ("iteration", "optimizer") if k not in ckpt] + [
            f"meta {k}" for k in ("seed", "split", "weights", "n_train") if k not in ckpt["meta"]]
        if lacking:
            raise BlurlibError(f"{ckpt_path}: a checkpoint without {', '.join(lacking)}, so training cannot resume "
                               "from it (weights alone are not a training state). Train into a new --run-dir.")
        finished = ckpt["iteration"] >= profile.iterations
        _check_resume(ckpt_path, ckpt, model_name, meta, with_device=False)
        if finished and (run_dir / "model.pt").exists() and (run_dir / "run.json").exists():
            return run_dir  # nothing left to train: the finished run is kept as it is
        _check_resume(ckpt_path, ckpt, model_name, meta, with_device=True)
    # the code and command that start the run (a resumed run: of the resume), once nothing refuses it; from a dirty
    # tree its diff beside: run.diff
    started = provenance(command, result=run_dir / "run.json", resumed=ckpt is not None)

    torch.manual_seed(seed)
    model = build(model_name)
    init_report = init_model(model, weights, seed=seed)
    model = model.to(dev, memory_format=torch.channels_last)
    opt = torch.optim.SGD(param_groups(model, profile), lr=profile.base_lr, momentum=profile.momentum)

    start, elapsed, segments = 0, 0.0, []
    if ckpt is not None:
        model.load_state_dict(ckpt["state_dict"])
        opt.load_state_dict(ckpt["optimizer"])
        start, elapsed = ckpt["iteration"], ckpt["meta"].get("seconds", 0.0)
        segments = ckpt["meta"].get("segments") or [
            {"start": 0, "end": start, "device": None, "precision": ckpt["meta"].get("precision"),
             "wall_seconds": round(elapsed, 1)}]  # a checkpoint written before segments were recorded
        _truncate_log(log_path, start)
    elif log_path.exists():
        log_path.unlink()  # only a log of iterations never checkpointed (see _check_run_dir)

    model.train()
    t0 = time.perf_counter() - elapsed
    t_segment = time.perf_counter()

    def with_segment(end: int) -> list[dict]:
        return [*segments, {"start": start, "end": end, "device": runtime.describe(dev), "precision": prec,
                            "wall_seconds": round(time.perf_counter() - t_segment, 1)}]

    batch = data.batches_on(dev)  # the images on the device once, as uint8; each batch normalised there
    pending: list[tuple[int, torch.Tensor, float, float]] = []  # steps whose loss is still on the device

    def write_log() -> None:
        """Read the pending losses in one transfer (the only host sync of the loop), stop at a non-finite one,
        append them to log.jsonl in one write."""
        if not pending:
            return
        losses = torch.stack([loss for _, loss, _, _ in pending]).tolist()
        for (iteration, _, _, _), value in zip(pending, losses):
            if not math.isfinite(value):
                raise BlurlibError(f"{run_dir}: the loss became {value} at iteration {iteration}; the last "
                                   "checkpoint is kept. Lower the profile's base_lr, or train into a new --run-dir "
                                   "with --precision fp32 (a run resumes only in the precision it started with).")
        _append_log(log_path, [{"iteration": iteration, "loss": round(value, 6), "lr": lr, "seconds": round(sec, 3)}
                               for (iteration, _, lr, sec), value in zip(pending, losses)])
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
        pending.clear()

    with tqdm(range(start, profile.iterations), initial=start, total=profile.iterations, disable=not progress,
              desc=f"train {model_name}", unit="it") as bar:
        for it in bar:
            lr = poly_lr(profile.base_lr, it, profile.iterations, profile.lr_power)
            for g in opt.param_groups:
                g["lr"] = lr * g["lr_mult"]
            x, y = batch(batch_indices(len(data), profile.batch_size, seed, it))
            with runtime.autocast(dev, prec):
                loss = model_loss(model, x, y, profile.loss)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seconds = time.perf_counter() - t0
            pending.append((it + 1, loss.detach(), lr, seconds))
            saving = (it + 1) % profile.checkpoint_every == 0 or it + 1 == profile.iterations
            if saving or len(pending) >= LOG_EVERY:
                write_log()  # before a checkpoint: never one of weights that a non-finite loss has touched
            if saving:
                checkpoint.save(ckpt_path, model, model_name, conv, iteration=it + 1, optimizer=opt,
                                meta=meta | {"seconds": seconds, "segments": with_segment(it + 1)})
    wall = time.perf_counter() - t0
    segments = with_segment(profile.iterations)
    checkpoint.save(run_dir / "model.pt", model, model_name, conv, iteration=profile.iterations,
                    meta=meta | {"segments": segments})
    write_json(run_dir / "run.json", {
        "model": model_name, "profile": profile.name, **meta, "train_images": data.names,
        "data": bench.description, "initialised": init_report, "device": runtime.describe(dev),
        "wall_seconds": round(wall, 1), "seconds_per_iteration": round(wall / profile.iterations, 4),
        "segments": segments, "provenance": started | {"finished": now()}})
    return run_dir


RUN_FILES = ("checkpoint.pt", "model.pt", "run.json", "metrics.json", "log.jsonl")
"""Files whose presence makes a folder a run folder (written by training and by ``evaluate --run``)."""


def _ours(name: str) -> bool:
    """A file a run folder may hold besides :data:`RUN_FILES`: a temporary file of an interrupted write, the diff of a
    run started from a dirty tree, a later scoring's curves and maps."""
    return name.startswith(".") or name.endswith((".diff", ".csv")) or name in ("maps",)


def _check_run_dir(run_dir: Path, resume: bool) -> None:
    """Before any work: ``run_dir`` is (or can be made) a writable folder, and holds no run that would be lost.

    A folder holding a run is accepted only with ``resume`` and a checkpoint to resume from (or, with ``resume``,
    only the log of iterations never checkpointed); a folder holding other files than a run's is refused too (a run
    is never mixed into them); anything else is refused, never overwritten.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise BlurlibError(f"{run_dir}: --run-dir is a file, not a folder. Choose another --run-dir.")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=run_dir, prefix=".write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise BlurlibError(f"{run_dir}: cannot write the run folder ({e.strerror}). Choose a writable --run-dir.") \
            from e
    present = [name for name in RUN_FILES if (run_dir / name).exists()]
    others = sorted(p.name for p in run_dir.iterdir() if p.name not in RUN_FILES and not _ours(p.name))
    if not present and others:
        raise BlurlibError(f"{run_dir}: holds other files ({', '.join(others[:3])}{', …' if len(others) > 3 else ''}),"
                           " not a run; nothing there is touched. Choose a new or empty --run-dir.")
    if not present or (resume and ("checkpoint.pt" in present or present == ["log.jsonl"])):
        return
    if resume:
        raise BlurlibError(f"{run_dir}: holds {', '.join(present)} but no checkpoint.pt to resume from; nothing there "
                           "is overwritten. Choose another --run-dir.")
    raise BlurlibError(f"{run_dir}: already holds a run ({', '.join(present)}); nothing there is overwritten. Add "
                       "--resume to continue it, or choose another --run-dir.")


def _check_resume(path: Path, ckpt: dict, model_name: str, meta: dict, with_device: bool) -> None:
    """Refuse to resume ``ckpt`` with other settings than it was trained with, naming each difference.

    Model, seed, split, category, weights, training images and every profile field (iterations, size, lr, ...);
    with ``with_device`` also the device type and precision. A setting the checkpoint does not record (an older
    checkpoint) is not compared; profile fields added since take their defaults.
    """
    had = ckpt["meta"]
    was = {"model": ckpt["model"], **{k: had[k] for k in ("seed", "split", "category", "weights", "n_train")
                                      if k in had}}
    asked = {"model": model_name, **{k: meta[k] for k in ("seed", "split", "category", "weights", "n_train")}}
    if "profile" in had:
        old = Profile.from_dict(had["profile"]).as_dict()
        was |= {("profile" if k == "name" else k): v for k, v in old.items() if k not in ("about",)}
        asked |= {("profile" if k == "name" else k): v for k, v in meta["profile"].items() if k not in ("about",)}
    if with_device:
        was |= {k: had[k] for k in ("device", "precision") if k in had}
        asked |= {"device": meta["device"], "precision": meta["precision"]}
    words = {"n_train": "training images"}
    differ = [f"{words.get(k, k)} {was[k]}, you asked {asked[k]}" for k in was if k in asked and was[k] != asked[k]]
    if differ:
        raise BlurlibError(f"{path}: checkpoint was trained with {'; '.join(differ)}. Resume with the checkpoint's "
                           "settings, or train into another --run-dir.")


LOG_EVERY = 25
"""Steps whose losses are read from the device and logged together (one host sync per 25 steps; a non-finite loss
is caught within 25 steps, and always before a checkpoint is written)."""


def _append_log(log_path: Path, records: list[dict]) -> None:
    try:
        with open(log_path, "a") as f:
            f.write("".join(json.dumps(record) + "\n" for record in records))
    except OSError as e:
        raise BlurlibError(f"cannot write {log_path}: {e.strerror}. The last checkpoint is kept: free space or fix "
                           "the folder's permissions, then run again with --resume.") from e


def _log_entry(line: str) -> dict | None:
    """One line of log.jsonl, or None for a line cut short (a power cut while it was written) or not a log entry."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("iteration"), int) else None


def _truncate_log(log_path: Path, iteration: int) -> None:
    """Drop log lines past ``iteration`` (written after the checkpoint a resumed run starts from)."""
    if not log_path.exists():
        return
    keep = [line for line in log_path.read_text(errors="replace").splitlines()
            if (entry := _log_entry(line)) is not None and entry["iteration"] <= iteration]
    with atomic_write(log_path, "w") as f:
        f.write("".join(line + "\n" for line in keep))
