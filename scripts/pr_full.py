"""Write a run's full-range PR curve (pr_full.csv, thresholds in logit space) from its weights.

    python scripts/pr_full.py runs/V_odd                       # weights in the run folder (model_fp16.pt)
    python scripts/pr_full.py runs/V_odd --weights build/model_fp16.pt

Scores the test images the run's metrics.json lists, from the benchmark found as notebooks find it
($BLURLIB_DATA or data/CUHK). Runs committed without weights need a re-run for it:
`python scripts/run_experiments.py --only NAME --rerun` (which writes pr_full.csv itself).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from blurlib.data import open_dataset
from blurlib.errors import BlurlibError
from blurlib.evaluate import write_run_pr_full


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run folder holding metrics.json")
    ap.add_argument("--weights", type=Path, help="weights file (default: the run's model.pt or model_fp16.pt)")
    ap.add_argument("--device", help="cpu | cuda | cuda:N (default: CUDA when present)")
    args = ap.parse_args(argv)
    try:
        if not (args.run / "metrics.json").is_file():
            raise BlurlibError(f"{args.run}: no metrics.json; score the run first (blurlib evaluate).")
        bench = open_dataset("cuhk", None, allow_partial=True)
        out = write_run_pr_full(args.run, bench.select("all"), args.weights, device=args.device)
    except BlurlibError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
