"""The ``blurlib`` command line: thin wrappers over the library.

User errors (:class:`BlurlibError`) print one message naming the file and the fix, and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from blurlib.errors import BlurlibError


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", default="auto", help="auto (CUHK if found, else synthetic), cuhk, synthetic")
    p.add_argument("--root", help="dataset root holding image/ and gt/ (default: $BLURLIB_DATA, then data/CUHK)")
    p.add_argument("--allow-partial", action="store_true", help="accept a CUHK copy with images missing")
    p.add_argument("--download", action="store_true", help="download the official archives if not found")


def _open(args, profile=None):
    from blurlib.data import open_dataset

    extra = {"synthetic_n": profile.synthetic_n, "synthetic_size": profile.synthetic_size} if profile else {}
    return open_dataset(args.source, args.root, allow_partial=args.allow_partial, download_missing=args.download,
                        **extra)


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
            f"{cat}: {c[cat]['total']} (odd {c[cat]['odd']}, even {c[cat]['even']})" for cat in ("motion", "defocus")))
    return 0


def cmd_train(args) -> int:
    from blurlib import profiles
    from blurlib.train import train

    profile = profiles.get(args.profile).replace(iterations=args.iterations)
    bench = _open(args, profile)
    print(f"data: {bench.description}", file=sys.stderr)
    run = train(bench, args.run_dir, model_name=args.model, profile=profile, weights=args.weights,
                split=args.split, category=args.category, seed=args.seed, device=args.device,
                precision=args.precision, resume=args.resume, command=["blurlib", *sys.argv[1:]])
    print(run / "model.pt")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from blurlib.models import MODELS

    parser = argparse.ArgumentParser(prog="blurlib", description=__doc__.splitlines()[0])
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
    tr.add_argument("--iterations", type=int, help="override the profile's iteration count")
    tr.add_argument("--weights", default="hed", help="hed, imagenet, scratch or a weight file")
    tr.add_argument("--split", default="train", help="odd (D_o), even (D_e), all, train (=odd), test (=even)")
    tr.add_argument("--category", choices=("motion", "defocus"))
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--device")
    tr.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"))
    tr.add_argument("--resume", action="store_true", help="continue from run-dir/checkpoint.pt")
    tr.add_argument("--run-dir", required=True, type=Path)
    tr.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BlurlibError as e:
        print(f"blurlib: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("blurlib: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
