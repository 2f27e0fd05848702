"""The ``blurlib`` command line: thin wrappers over the library.

User errors (:class:`BlurlibError`) print one message naming the file and the fix, and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import warnings
from pathlib import Path

from blurlib import __version__, checkpoint, outputs, runtime
from blurlib.apps import MAGNIFY_SIGMA, MAGNIFY_THRESHOLD, blur_degree, check_pair, check_png_scale, magnify, segment
from blurlib.baselines import METHODS
from blurlib.beyond import BASE_MODEL, SHIPPED_MODELS
from blurlib.bench import MIN_BENCH_SIZE, precision_accuracy, run_bench, runtime_table
from blurlib.data import CATEGORIES, open_dataset
from blurlib.data import SOURCES as DATA_SOURCES
from blurlib.data.preprocess import DEFAULT_SIZE
from blurlib.data.synthetic import make_sample
from blurlib.errors import BlurlibError
from blurlib.evaluate import (check_baseline_folder, evaluate_run, is_baseline_file, official_hifst, score_baselines,
                              score_folder, write_pr_csv)
from blurlib.io import MAX_PIXELS, read_map, read_rgb_noted, write_json, write_png
from blurlib.losses import LOSSES
from blurlib.metrics import PROTOCOLS, summarize
from blurlib.models import MODELS
from blurlib.predict import MIN_SIZE, TTA, check_size, predict_folder, predict_map, tta_views
from blurlib.profiles import get as get_profile
from blurlib.provenance import DIRTY, diff_path, git_commit, provenance
from blurlib.publish import publish
from blurlib.quantize import calibration_path, check_calibration_owner, write_calibration
from blurlib.paths import REPO, portable
from blurlib.runs import DEFAULT_MODEL
from blurlib.runtime import INFERENCE_PRECISIONS, PRECISIONS
from blurlib.train import train
from blurlib.weights import SOURCES as WEIGHT_SOURCES

DEVICE_HELP = "cpu, cuda, cuda:N or mps (default: cuda when usable, else cpu)"
SPLIT_HELP = ("odd (D_o), even (D_e), all, train (=odd), test (=even); defocus604 / defocus100 (the later 604/100 "
              "defocus split); moredata-train-K / moredata-test-K (more-data trial K = 0, 1, ...)")


def torch_version() -> str:
    import torch

    return torch.__version__


def _int_at_least(low: int, high: int | None = None):
    """An argparse type: a whole number >= ``low`` (and <= ``high``), else a usage error (exit 2) naming the bound."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is below {low}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{value} is above {high}")
        return value
    parse.__name__ = f"whole number >= {low}" + (f" and <= {high}" if high is not None else "")
    return parse


SEED = _int_at_least(0, 2**32 - 1)
"""A seed: the random generators (torch, NumPy) take 32 bits; a larger seed would silently repeat a smaller one."""


def _path(text: str) -> Path:
    """An argparse type for a path: an empty one (which would mean the current folder) is a usage error, not a
    silent read or write of wherever the command was started."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (it would mean the current folder); give a file or folder name")
    return Path(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{value} is not a finite number > 0")
    return value


def _announce(args, what: str):
    """Check --device once, before any work, and say on stderr which device and precision the run uses."""
    dev, prec = runtime.select(args.device, args.precision)
    runtime.announce(dev, prec, what)
    return dev, prec


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", default="auto", choices=DATA_SOURCES,
                   help="auto: CUHK if found, else the synthetic set; cuhk; synthetic")
    p.add_argument("--root", type=_path, help="dataset root holding image/ and gt/ (default: $BLURLIB_DATA, then data/CUHK)")
    p.add_argument("--allow-partial", action="store_true", help="accept a CUHK copy with images missing")
    p.add_argument("--download", action="store_true", help="download the official archives if not found")


def _open(args, profile=None):
    return open_dataset(args.source, args.root, allow_partial=args.allow_partial, download_missing=args.download,
                        profile=profile)


def cmd_data_info(args) -> int:
    bench = _open(args)
    s = bench.summary()
    if args.json:
        print(json.dumps(s, indent=2))
        return 0
    print(s["data"])
    for what in ("masks", "images", "missing"):
        c = s[what]
        print(f"{what:8s} {c['total']:5d}  " + "  ".join(
            f"{cat}: {c[cat]['total']} (odd {c[cat]['odd']}, even {c[cat]['even']})" for cat in CATEGORIES))
    return 0


def cmd_train(args) -> int:
    profile = get_profile(args.profile).replace(iterations=args.iterations, loss=args.loss)
    _announce(args, f"train {args.model}")
    bench = _open(args, profile)
    print(f"data: {bench.description}", file=sys.stderr)
    run = train(bench, args.run_dir, model_name=args.model, profile=profile, weights=args.weights,
                split=args.split, category=args.category, seed=args.seed, device=args.device,
                precision=args.precision, resume=args.resume, command=["blurlib", *sys.argv[1:]])
    print(run / "model.pt")
    return 0


def model_files(path: Path) -> list[Path]:
    """The files a command reads to build its model: the checkpoint and, beside it, its int8 calibration (inputs,
    never outputs: :func:`blurlib.outputs.plan`)."""
    return [Path(path), calibration_path(path)]


def cmd_predict(args) -> int:
    path = args.checkpoint or shipped_checkpoint()
    dev, _ = _announce(args, "predict")
    for s, _ in tta_views(args.size or None, args.tta, (args.size or MIN_SIZE, args.size or MIN_SIZE)):
        if s:
            check_size(s, dev)  # before the model is loaded; own sizes (--size 0) are checked per image
    model, ckpt = checkpoint.load_model(path, precision=args.precision)
    report = predict_folder(model, args.images, args.out, with_overlay=args.overlay, size=args.size or None,
                            convention=ckpt["convention"], device=args.device, precision=args.precision,
                            max_pixels=args.max_pixels, tta=args.tta, overwrite=args.overwrite, reads=model_files(path),
                            record={"checkpoint": portable(path), "size": args.size, "tta": args.tta,
                                    "precision": args.precision})
    for note in report["notes"]:
        print(f"note: {note}", file=sys.stderr)
    for error in report["failed"]:
        print(f"blurlib: error: {error}", file=sys.stderr)
    print(f"{report['images']} maps in {args.out} ({report['seconds']:.1f} s, {report['images_per_s']:.2f} images/s)"
          + (f"; {len(report['failed'])} image(s) skipped (errors above)" if report["failed"] else ""))
    return 2 if report["failed"] else 0


def _with_diff(result: Path, what: str) -> list[tuple[Path, str]]:
    """``result`` and, from a dirty tree, the diff :func:`blurlib.provenance.provenance` writes beside it: the outputs
    a command that records provenance plans (:func:`blurlib.outputs.plan`)."""
    diff = [(diff_path(result), f"the diff of the uncommitted code behind {what}")]
    return [(result, what), *(diff if git_commit().endswith(DIRTY) else [])]


def cmd_quantize(args) -> int:
    path = args.checkpoint or shipped_checkpoint()
    if not Path(path).is_file():
        checkpoint.load_model(path)  # a missing checkpoint is said first, as loading says it
    check_calibration_owner(path)  # never replaces another checkpoint's calibration, even with --overwrite
    target = calibration_path(path)
    if target.exists() and not args.overwrite:
        raise BlurlibError(f"{target}: holds the int8 calibration of {path.name} already; nothing was written. Pass "
                           "--overwrite to calibrate it again.")
    outputs.plan(_with_diff(target, f"the int8 calibration of {path}"), inputs=[path], overwrite=args.overwrite)  # a locked folder is said before the model loads
    model, ckpt = checkpoint.load_model(path)
    bench, pairs = _split_pairs(args)
    if args.images > len(pairs):
        print(f"note: --images {args.images}, but the {args.split} split here holds {len(pairs)} images: calibrating "
              f"on all {len(pairs)}", file=sys.stderr)
    print(write_calibration(model, path, pairs, convention=ckpt["convention"], images=args.images, seed=args.seed,
                            size=args.size, data=bench.description, split=args.split,
                            command=["blurlib", *sys.argv[1:]]))
    return 0


def shipped_checkpoint(name: str = BASE_MODEL) -> Path:
    """The shipped fp16 weights of model ``name`` (:data:`blurlib.beyond.SHIPPED_MODELS`; default: the default
    model, config V)."""
    path = SHIPPED_MODELS[name]
    if not path.exists():
        which = "default" if name == BASE_MODEL else name
        raise BlurlibError(f"{path}: no {which} model shipped in this checkout; pass --checkpoint CKPT.")
    return path


def cmd_evaluate(args) -> int:
    if args.run and (args.pred or args.gt):
        raise BlurlibError("--run scores a run's model on --source/--root; --pred/--gt score a folder of maps: pass "
                           "one or the other.")
    if args.run:
        return _evaluate_run(args)
    if args.pred is None or args.gt is None:
        raise BlurlibError("pass --pred DIR --gt DIR (a folder of maps and the dataset root), or --run RUN_DIR.")
    if args.pr_csv:  # planned before any work: never one of the maps or masks read, never an old file unasked
        read = [*_files(args.pred), *_files(Path(args.gt) / "gt")]
        outputs.plan([(args.pr_csv, "the PR curves")], inputs=read, overwrite=args.overwrite)
    c = score_folder(args.pred, args.gt, split=args.split, category=args.category, invert=args.invert,
                     suffix=args.suffix, allow_partial=args.allow_partial)
    result = summarize(c, args.protocol)
    if args.pr_csv:
        write_pr_csv(args.pr_csv, c)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))
    return 0


def _files(folder: Path) -> list[Path]:
    return [p for p in Path(folder).iterdir() if p.is_file()] if Path(folder).is_dir() else []


def _split_pairs(args):
    """(benchmark, its images in --split/--category), or a clear error when there are none."""
    bench = _open(args)
    pairs = bench.select(args.split, args.category)
    if not pairs:
        raise BlurlibError(f"{bench.root}: no images in split {args.split!r}, category {args.category!r}.")
    return bench, pairs


def _evaluate_run(args) -> int:
    dev, prec = _announce(args, "evaluate")
    bench, pairs = _split_pairs(args)
    result = evaluate_run(args.run, pairs, size=args.size, hifst=official_hifst(bench.root), device=dev,
                          precision=prec, tta=args.tta, overwrite=args.overwrite)
    print(json.dumps({k: v for k, v in result.items() if k not in ("names", "best_f_per_image")}, indent=2))
    return 0


def cmd_bench(args) -> int:
    if args.checkpoint and not (args.baselines or args.accuracy):
        raise BlurlibError("--checkpoint names the weights --baselines times and --accuracy scores; the speed "
                           "benchmark times random weights. Add --baselines or --accuracy, or drop --checkpoint.")
    if args.accuracy and (weights := args.checkpoint or shipped_checkpoint()).is_file() \
            and not calibration_path(weights).is_file():
        raise BlurlibError(f"{calibration_path(weights)}: no int8 calibration for {weights}, and --accuracy scores "
                           f"int8 beside float; create it first: blurlib quantize --checkpoint {weights} --root DATA.")
    if args.out:
        outputs.plan(_with_diff(args.out, "the bench report"), overwrite=args.overwrite,
                     inputs=model_files(args.checkpoint) if args.checkpoint else ())
    _announce(args, "bench")
    report = run_bench(args.models, size=args.size, batch_size=args.batch_size, repeats=args.repeats,
                       device=args.device, precision=args.precision, train=not args.no_train)
    if args.accuracy:
        pairs = _split_pairs(args)[1]
        report["accuracy"] = precision_accuracy(args.checkpoint or shipped_checkpoint(), pairs, size=args.size)
    if args.baselines:
        image = make_sample(1, DEFAULT_SIZE, seed=0)[1]  # any photo of the paper's size: runtimes do not depend on it
        report["table6"] = runtime_table(image, repeats=args.repeats, checkpoint_path=args.checkpoint,
                                         device=args.device)
    if args.out:
        report["provenance"] = provenance(result=Path(args.out))  # from a dirty tree: its diff beside the report
        write_json(args.out, report)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        ref = report["reference_fp32_torchvision_vgg16"]
        print(f"{report['device']}, {report['precision']}, {report['size']}x{report['size']}")
        print(f"reference fp32 torchvision VGG16: inference {ref['inference_s']:.4f} s"
              + (f", train step {ref['train_step_s']:.4f} s" if "train_step_s" in ref else ""))
        for name, r in report["models"].items():
            print(f"{name:10s} inference {r['inference_s']:.4f} s (x{r['inference_ratio']:.2f})"
                  + (f", int8 {r['int8_inference_s']:.4f} s (x{r['int8_inference_ratio']:.2f})"
                     if "int8_inference_s" in r else "")
                  + (f"  train step {r['train_step_s']:.4f} s (x{r['train_ratio']:.2f}, "
                     f"10k iterations {r['paper_recipe_hours']:.2f} h)" if "train_step_s" in r else ""))
        for name, r in report["models"].items():
            if "inference_peak_gpu_bytes" in r:
                print(f"{name:10s} peak GPU memory: inference {r['inference_peak_gpu_bytes'] / 2**20:.0f} MiB"
                      + (f", train step {r['train_step_peak_gpu_bytes'] / 2**20:.0f} MiB"
                         if "train_step_peak_gpu_bytes" in r else ""))
        if "peak_rss_bytes" in report:
            print(f"peak resident memory of the process: {report['peak_rss_bytes'] / 2**20:.0f} MiB")
        for name, sec in report.get("table6", {}).get("seconds_per_image", {}).items():
            print(f"Table VI  {name:24s} {sec:.4f} s per {DEFAULT_SIZE}x{DEFAULT_SIZE} image")
        if "accuracy" in report:
            a = report["accuracy"]
            print(f"ODS on {a['test_images']} test images at {a['size']}x{a['size']}: "
                  + ", ".join(f"{p} {a[p]['ods']:.4f}" for p in a["precisions"])
                  + "; change " + ", ".join(f"{p} {d:+.4f}" for p, d in a["ods_change"].items()))
    return 0


def cmd_publish(args) -> int:
    for path in publish(args.run, args.dest, with_weights=args.weights, allow_dirty=args.allow_dirty,
                        overwrite=args.overwrite):
        print(path)
    return 0


def _maps_for(args):
    """(image path, image, map) for each image, lazily: from --map files, or predicted with --checkpoint/default.
    The arguments and the device are checked at once, before any image is read."""
    if args.map and len(args.map) != len(args.images):
        raise BlurlibError(f"{len(args.images)} images but {len(args.map)} maps: pass one --map per image.")
    if args.map and (args.device or args.precision != "auto" or args.model or args.checkpoint):
        raise BlurlibError("--model, --checkpoint, --device and --precision choose how maps are predicted; with --map "
                           "the maps are given: drop them, or drop --map.")
    dev, prec = (None, None) if args.map else _announce(args, args.command)  # checked before any image is read
    return _each_map(args, dev, prec)


def _each_map(args, dev, prec):
    """(path, image, map, None) per input, or (path, None, None, why) for an input that cannot be used (an unreadable
    image or map, a map of another size): such an image is skipped, as ``predict`` skips it, and the others go on."""
    model = None
    for i, path in enumerate(args.images):
        if not args.map and model is None:  # a checkpoint that cannot be loaded stops the command, not one image
            model, ckpt = checkpoint.load_model(args.checkpoint or shipped_checkpoint(args.model or BASE_MODEL))
        try:
            image, note = read_rgb_noted(path)
            if note:  # what was converted, as predict says it: the output is an edited copy of an RGB reading
                print(f"note: {path}: {note}", file=sys.stderr)
            if args.map:
                m = read_map(args.map[i])
                check_pair(image, m, str(args.map[i]))
                if args.map[i].suffix.lower() != ".npy":
                    check_png_scale(m, str(args.map[i]))
            else:
                m = predict_map(model, image, convention=ckpt["convention"], device=dev, precision=prec)
        except BlurlibError as e:
            yield path, None, None, str(e)
            continue
        yield path, image, m, None


def _report_skipped(skipped: list[str], total: int, what: str) -> int:
    """Say each skipped image as ``predict`` does; the exit status: 2 when any was skipped, else 0."""
    for error in skipped:
        print(f"blurlib: error: {error}", file=sys.stderr)
    if skipped:
        print(f"{total - len(skipped)} {what}; {len(skipped)} image(s) skipped (errors above)", file=sys.stderr)
    return 2 if skipped else 0


def _every_image_skipped(skipped: list[str], where: str) -> BlurlibError:
    return BlurlibError(f"no result: every image was skipped ({len(skipped)}; e.g. {skipped[0]}). {where}")


def _check_outputs(args, suffix: str) -> list[str]:
    """Plan every output ``-o/<stem><suffix>.png`` before any work (:func:`blurlib.outputs.plan`): none is an input
    image or map, no two share a name, none replaces an existing file unless --overwrite. Returns their names."""
    model = None if args.map else args.checkpoint
    if model is None and not args.map:
        try:
            model = shipped_checkpoint(args.model or BASE_MODEL)
        except BlurlibError:
            model = None  # none shipped: said where the model is loaded, after the device
    planned = outputs.plan([(args.out / f"{path.stem}{suffix}.png", f"the result of {path}") for path in args.images],
                           inputs=[*args.images, *(args.map or []), *(model_files(model) if model else [])],
                           overwrite=args.overwrite)
    return [p.name for p in planned]


def _write_each(args, suffix: str, make) -> int:
    """``segment``/``magnify``: ``make(image, map)`` per input, written as one result into ``-o``
    (:func:`blurlib.outputs.file_set`: an earlier result of the command replaced whole). An image that cannot be used
    is skipped as ``predict`` skips it (named on stderr and in the manifest, exit status 2) and the others are the
    result; when every image is skipped, nothing is written."""
    names = _check_outputs(args, suffix)
    maps = _maps_for(args)  # its arguments checked before the output folder is made
    record, skipped, written = {"images": [str(p) for p in args.images]}, [], []
    with outputs.file_set(args.out, args.command, names, overwrite=args.overwrite, record=record) as stage:
        for (path, image, m, error), name in zip(maps, names):
            if error:
                skipped.append(error)
                continue
            write_png(stage / name, make(image, m))
            written.append(name)
        if not written:  # no result to keep: the folder stays as it was
            raise _every_image_skipped(skipped, f"Nothing in {args.out} was changed.")
        record["skipped"] = skipped  # the manifest names the images without a result, and why
    for name in written:
        print(args.out / name)
    return _report_skipped(skipped, len(names), f"results in {args.out}")


def cmd_segment(args) -> int:
    return _write_each(args, "_segment", lambda image, m: segment(image, m).astype("uint8") * 255)


def cmd_degree(args) -> int:
    rows, skipped = [], []
    for path, _, m, error in _maps_for(args):  # one image in memory at a time
        if error:
            skipped.append(error)
        else:
            rows.append((blur_degree(m), str(path)))
    if not rows:
        raise _every_image_skipped(skipped, "No blur degree to rank.")
    rows.sort()
    if args.json:
        print(json.dumps([{"image": p, "blur_degree": round(s, 4)} for s, p in rows], indent=2))
    else:
        for s, p in rows:
            print(f"{s:.4f}  {p}")
    return _report_skipped(skipped, len(rows) + len(skipped), "images ranked")


def cmd_magnify(args) -> int:
    return _write_each(args, "_magnified", lambda image, m: magnify(image, m, sigma=args.sigma))


def cmd_baselines(args) -> int:
    if args.update and args.overwrite:
        raise BlurlibError("--update adds to the scores in --out, --overwrite replaces them: pass one of them.")
    check_baseline_folder(args.out)  # never into a training run's folder, nor over another kind of metrics.json
    found = [p for p in sorted(args.out.glob("*")) if p.name == "metrics.json" or p.name.startswith("pr_")] \
        if args.out.is_dir() else []
    if not args.update:
        outputs.refuse_existing(args.out, found if not args.overwrite else [], "baseline scores",
                                alternative=", --update to re-score only --methods and keep the others")
    bench, pairs = _split_pairs(args)
    with outputs.locked(args.out):
        if args.overwrite and found:
            with outputs.replacing(args.out, is_baseline_file, "baseline scores") as stage:  # the old scores go whole
                result = score_baselines(bench, pairs, args.methods, stage, size=args.size,
                                         agreement_images=args.agreement_images)
        else:
            result = score_baselines(bench, pairs, args.methods, args.out, size=args.size,
                                     agreement_images=args.agreement_images, update=args.update)
    for name, m in result["methods"].items():
        p = m["paper"]
        print(f"{name:24s} ODS {p['ods']:.3f}  OIS {p['ois']:.3f}  AP {p['ap']:.3f}  (paper protocol, {p['n_images']} images)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blurlib", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"blurlib {__version__} (torch {torch_version()})")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="the benchmark data").add_subparsers(dest="data_command", required=True)
    info = data.add_parser("info", help="counts of masks, images, per category and split, missing")
    _data_args(info)
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_data_info)

    tr = sub.add_parser("train", help="train a blur mapper with a profile (resumable)")
    _data_args(tr)
    tr.add_argument("--model", default="V", choices=MODELS)
    tr.add_argument("--profile", default="smoke")
    tr.add_argument("--iterations", type=_int_at_least(1), help="override the profile's iteration count")
    tr.add_argument("--loss", choices=list(LOSSES), help="override the profile's loss (cross_entropy; fidelity: the paper's "
                    "alternative, Table IV; bce_iou: cross entropy + soft IoU, for sharp maps, beyond the paper)")
    tr.add_argument("--weights", default=WEIGHT_SOURCES[0], help=f"{', '.join(WEIGHT_SOURCES)} or a weight file")
    tr.add_argument("--split", default="train", help=SPLIT_HELP)
    tr.add_argument("--category", choices=list(CATEGORIES))
    tr.add_argument("--seed", type=SEED, default=0)
    tr.add_argument("--device", help=DEVICE_HELP)
    tr.add_argument("--precision", default="auto", choices=PRECISIONS)
    tr.add_argument("--resume", action="store_true", help="continue from run-dir/checkpoint.pt")
    tr.add_argument("--run-dir", required=True, type=_path)
    tr.set_defaults(func=cmd_train)

    pr = sub.add_parser("predict", help="blur maps of images (8-bit PNG, 255 = blurred)")
    pr.add_argument("images", nargs="+", type=_path, help="image files and/or folders of images")
    pr.add_argument("--checkpoint", type=_path, help=f"default: the shipped config V model ({DEFAULT_MODEL.relative_to(REPO)})")
    pr.add_argument("-o", "--out", type=_path, required=True)
    pr.add_argument("--size", type=_int_at_least(0), default=DEFAULT_SIZE,
                    help=f"input side for the network, at least {MIN_SIZE} (0: the image's own size)")
    pr.add_argument("--tta", default="none", choices=TTA, help="test-time augmentation: flip averages the image and its "
                    "mirror (2 passes), flip-scales both at 5/6, 1 and 7/6 of --size (6 passes) (default: %(default)s)")
    pr.add_argument("--overlay", action="store_true", help="also write <name>_overlay.png, image and map side by side")
    pr.add_argument("--overwrite", action="store_true", help="replace maps already in -o (default: refuse)")
    pr.add_argument("--device", help=DEVICE_HELP)
    pr.add_argument("--precision", default="auto", choices=INFERENCE_PRECISIONS,
                    help="auto: bf16 where the device has it, else fp32; int8: CPU, configs I-V and unet, needs the "
                         "calibration made by `blurlib quantize`")
    pr.add_argument("--max-pixels", type=_int_at_least(1), default=MAX_PIXELS,
                    help=f"refuse larger images before decoding them (default {MAX_PIXELS:,})")
    pr.set_defaults(func=cmd_predict)

    ev = sub.add_parser("evaluate", help="score a folder of maps against the benchmark masks")
    ev.add_argument("--pred", type=_path, help="folder of <name>.png maps (255 = blurred)")
    ev.add_argument("--gt", type=_path, help="dataset root holding gt/")
    ev.add_argument("--run", type=_path, help="score a run folder's model.pt (else its model_fp16.pt) instead "
                    "(writes metrics.json, pr.csv, maps/ into it); data from --source/--root")
    ev.add_argument("--size", type=_int_at_least(MIN_SIZE),
                    help="with --run: test input side (default: the run's training size)")
    ev.add_argument("--device", help="with --run: " + DEVICE_HELP)
    ev.add_argument("--precision", default="auto", choices=PRECISIONS, help="with --run")
    ev.add_argument("--tta", default="none", choices=TTA, help="with --run: test-time augmentation; scores go to "
                    "metrics_tta-<TTA>.json beside the run's own (default: %(default)s)")
    _data_args(ev)
    ev.add_argument("--split", default="test", help=SPLIT_HELP)
    ev.add_argument("--category", choices=list(CATEGORIES))
    ev.add_argument("--protocol", default="paper", choices=PROTOCOLS)
    ev.add_argument("--invert", action="store_true", help="maps are sharpness maps (255 = sharp), e.g. HiFST's")
    ev.add_argument("--suffix", default="", help="map file name suffix, e.g. _HiFSTBlurMap")
    ev.add_argument("--pr-csv", type=_path, help="also write the PR curves as CSV")
    ev.add_argument("--overwrite", action="store_true", help="replace an existing --pr-csv file; with --run, a scoring "
                    "already in the run (its files are replaced whole)")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_evaluate)

    be = sub.add_parser("bench", help="inference and training-step speed vs a plain fp32 torchvision VGG16")
    be.add_argument("--models", nargs="+", default=["V"], choices=MODELS)
    be.add_argument("--size", type=_int_at_least(MIN_BENCH_SIZE), default=DEFAULT_SIZE,
                    help=f"input side, at least {MIN_BENCH_SIZE} (the reference VGG16 pools five times)")
    be.add_argument("--batch-size", type=_int_at_least(1), default=3)
    be.add_argument("--repeats", type=_int_at_least(1), default=5)
    be.add_argument("--device", help=DEVICE_HELP)
    be.add_argument("--precision", default="auto", choices=PRECISIONS)
    be.add_argument("--no-train", action="store_true", help="inference only")
    be.add_argument("--baselines", action="store_true", help="also time every hand-crafted baseline (Table VI)")
    be.add_argument("--checkpoint", type=_path, help="with --baselines: the config V weights DBM is timed with; "
                    "with --accuracy: the model scored (default: the shipped model)")
    be.add_argument("--accuracy", action="store_true",
                    help="also score the model in bf16 and int8 on --split of the data (the ODS change of int8)")
    _data_args(be)
    be.add_argument("--split", default="test", help=SPLIT_HELP)
    be.add_argument("--category", choices=list(CATEGORIES))
    be.add_argument("--out", type=_path, help="also write the JSON report here")
    be.add_argument("--overwrite", action="store_true", help="replace an existing --out report")
    be.add_argument("--json", action="store_true")
    be.set_defaults(func=cmd_bench)

    qu = sub.add_parser("quantize", help="calibrate int8 inference (CPU) for a config I-V or unet checkpoint")
    qu.add_argument("--checkpoint", type=_path, help=f"default: the shipped config V model ({DEFAULT_MODEL.relative_to(REPO)})")
    _data_args(qu)
    qu.add_argument("--split", default="train", help="images the activation scales are observed on; " + SPLIT_HELP)
    qu.add_argument("--category", choices=list(CATEGORIES))
    qu.add_argument("--images", type=_int_at_least(1), default=32, help="how many images (a seeded sample of the split)")
    qu.add_argument("--seed", type=SEED, default=0)
    qu.add_argument("--size", type=_int_at_least(MIN_SIZE), default=DEFAULT_SIZE, help="input side the images are resized to")
    qu.add_argument("--overwrite", action="store_true", help="replace the checkpoint's existing calibration")
    qu.set_defaults(func=cmd_quantize)

    pu = sub.add_parser("publish", help="copy a finished run's small result files into the repository (runs/NAME)")
    pu.add_argument("run", type=_path)
    pu.add_argument("dest", type=_path)
    pu.add_argument("--weights", action="store_true", help="also write model_fp16.pt (the shipped models only)")
    pu.add_argument("--allow-dirty", action="store_true",
                    help="publish a run trained or scored from uncommitted code, with its diff (run.diff, metrics.diff)")
    pu.add_argument("--overwrite", action="store_true", help="replace the run already published at DEST (whole)")
    pu.set_defaults(func=cmd_publish)

    bl = sub.add_parser("baselines", help="score the hand-crafted baselines (Table III/V rows) on a split")
    _data_args(bl)
    bl.add_argument("--split", default="test")
    bl.add_argument("--category", choices=list(CATEGORIES))
    bl.add_argument("--methods", nargs="+", default=list(METHODS))
    bl.add_argument("--size", type=_int_at_least(0), default=DEFAULT_SIZE, help="images resized to size² first (0: original size)")
    bl.add_argument("--out", type=_path, required=True, help="folder for metrics.json and pr_<method>.csv")
    bl.add_argument("--agreement-images", type=_int_at_least(0), default=50,
                    help="images on which our HiFST is correlated with the official maps (0: skip)")
    bl.add_argument("--update", action="store_true",
                    help="re-score only --methods and keep the other methods already in OUT/metrics.json")
    bl.add_argument("--overwrite", action="store_true", help="replace the scores already in --out (whole)")
    bl.set_defaults(func=cmd_baselines)

    for name, func, about in (("segment", cmd_segment, "GrabCut blur segmentation from a blur map (255 = blurred)"),
                              ("degree", cmd_degree, "blur degree S = mean of the blur map; images ranked by S"),
                              ("magnify", cmd_magnify, "blur magnification: Gaussian-blur pixels with blur confidence above "
                               f"{MAGNIFY_THRESHOLD:g}")):
        ap = sub.add_parser(name, help=about)
        ap.add_argument("images", nargs="+", type=_path)
        ap.add_argument("--map", nargs="+", type=_path, help="one map per image (PNG, 255 = blurred, or .npy in [0, 1])")
        which = ap.add_mutually_exclusive_group()
        which.add_argument("--model", choices=SHIPPED_MODELS,
                           help=f"without --map: predict maps with this shipped model (default: {BASE_MODEL}; unet's "
                                "sharper maps leave more sharp pixels untouched by magnify, notebook 10)")
        which.add_argument("--checkpoint", type=_path, help="without --map: predict maps with this model file")
        ap.add_argument("--device", help="without --map: where maps are predicted; " + DEVICE_HELP)
        ap.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="without --map: auto (bf16 where the device has it, else fp32), bf16, fp32")
        if name == "degree":
            ap.add_argument("--json", action="store_true")
        else:
            ap.add_argument("-o", "--out", type=_path, required=True)
            ap.add_argument("--overwrite", action="store_true", help="replace results already in -o")
        if name == "magnify":
            ap.add_argument("--sigma", type=_positive_float, default=MAGNIFY_SIGMA,
                            help="Gaussian sigma in pixels (default: %(default)s)")
        ap.set_defaults(func=func)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"blurlib: warning: {' '.join(str(message).split())}", file=file or sys.stderr)


@contextlib.contextmanager
def _terminate_as_interrupt():
    """While a command runs, SIGTERM (a scheduler's stop, ``kill``) ends it as Ctrl-C does: temporary files removed,
    how to go on said. Only in the main thread; the previous handler comes back after."""
    import signal
    import threading

    def stop(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings(), _terminate_as_interrupt():
            warnings.showwarning = _one_line_warning  # what was assumed, said in one line naming the file
            return args.func(args)
    except BlurlibError as e:
        print(f"blurlib: error: {' '.join(str(e).split())}", file=sys.stderr)  # one line, whatever it quotes
        return 2
    except OSError as e:  # the file system refused (a name too long, a full disk, no permission): said in one line
        where = f"{e.filename}: " if e.filename else ""
        name = where if len(where) < 120 else f"{where[:60]}…: "
        print(f"blurlib: error: {name}{e.strerror or e}. Check the path, the free space and the permissions, and run "
              "again.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        checkpointed = args.command == "train" and (Path(args.run_dir) / "checkpoint.pt").is_file()
        resume = (" A training run resumes from its last checkpoint: run the same command with --resume."
                  if checkpointed else
                  " No checkpoint was written yet, so there is nothing to resume; run the command again."
                  if args.command == "train" else
                  " Nothing was changed (no result is left half-written); run the command again.")
        print(f"blurlib: interrupted.{resume}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
