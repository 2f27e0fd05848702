"""How far re-run experiments land from the committed results they replaced: runs/reproducibility.json.

    python scripts/reproducibility.py I_odd II_odd --before 34e1dcd

For each named run, the ODS / OIS / AP (paper and pooled protocols) of ``runs/NAME/metrics.json`` as it is now and
as it was at git revision ``--before`` (the commit that still held the replaced run), with each side's training
commit, device, date and wall time. Both sides are the same experiment (model, split, seed, profile); what differs
is the machine and the software around it, so the differences are the package's run-to-run reproducibility.
Runs that differ in anything but the machine are refused. Re-running adds to the file (a run named again is
replaced in it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import MISSING, fields
from pathlib import Path

from blurlib.errors import BlurlibError
from blurlib.profiles import Profile
from blurlib.io import write_json
from blurlib.metrics import PROTOCOLS
from blurlib.provenance import provenance
from blurlib.runs import device_label

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "runs" / "reproducibility.json"
SCORES = ("ods", "ois", "ap")
SAME = ("model", "split", "seed", "weights", "n_train")  # what a re-run must share with the run it replaces
SETTING_DEFAULTS = {f.name: f.default for f in fields(Profile) if f.default is not MISSING}
"""Profile settings with a default (added after the first runs; e.g. ``max_images = 0``: every image)."""


def _show(rev: str, path: str) -> str:
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=REPO, capture_output=True, text=True)
    if shown.returncode != 0:
        raise BlurlibError(f"{path} at {rev}: not in git ({shown.stderr.strip()}). Name the commit that held the "
                           "replaced run with --before.")
    return shown.stdout


def _commit(rev: str) -> str:
    """``rev`` (HEAD~1, a branch, a tag) as the short commit it names now: what the report records."""
    parsed = subprocess.run(["git", "rev-parse", "--short", f"{rev}^{{commit}}"], cwd=REPO, capture_output=True,
                            text=True)
    if parsed.returncode != 0:
        raise BlurlibError(f"--before {rev}: not a commit ({parsed.stderr.strip()}). Name the commit that held the "
                           "replaced run.")
    return parsed.stdout.strip()


def _at(rev: str, path: str) -> dict:
    return json.loads(_show(rev, path))


def losses(before_log: str, after_log: str) -> dict:
    """How many logged training steps the two runs share and at how many of them the loss (as logged, 6 digits) and
    learning rate are the same: equal everywhere means the same optimisation, step for step."""
    def read(text: str) -> dict[int, tuple]:
        out = {}
        for line in text.splitlines():
            try:
                e = json.loads(line)
                out[e["iteration"]] = (e["loss"], e["lr"])
            except (ValueError, KeyError):
                continue  # a torn last line
        return out
    a, b = read(before_log), read(after_log)
    shared = sorted(set(a) & set(b))
    return {"steps_compared": len(shared), "steps_identical": sum(a[i] == b[i] for i in shared)}


def side(run: dict, metrics: dict) -> dict:
    """One side of the comparison: where and when the run trained, and its scores."""
    return {"trained_at_commit": run["provenance"]["git_commit"], "device": device_label(run),
            "date": run["provenance"]["date"], "precision": run.get("precision"),
            "wall_minutes": round(run["wall_seconds"] / 60, 1),
            "scores": {p: {k: round(metrics["ours"][p][k], 4) for k in SCORES} for p in PROTOCOLS}}


def compare(name: str, before_rev: str) -> dict:
    rel = f"runs/{name}"
    old_run, old_metrics = _at(before_rev, f"{rel}/run.json"), _at(before_rev, f"{rel}/metrics.json")
    new_run = json.loads((REPO / rel / "run.json").read_text())
    new_metrics = json.loads((REPO / rel / "metrics.json").read_text())
    differ = [k for k in SAME if old_run.get(k) != new_run.get(k)]
    # the recipe, not its description; a setting added since a run was made has the value that keeps what it did then
    recipe = [SETTING_DEFAULTS | {k: v for k, v in r["profile"].items() if k != "about"} for r in (old_run, new_run)]
    if recipe[0] != recipe[1]:
        differ.append("profile")
    if old_metrics["names"] != new_metrics["names"]:
        differ.append("test images")
    if differ:
        raise BlurlibError(f"{rel}: the re-run differs from the run at {before_rev} in {', '.join(differ)}, not only "
                           "in the machine; it is another experiment, not a re-run.")
    if old_run["provenance"] == new_run["provenance"]:
        raise BlurlibError(f"{rel}: unchanged since {before_rev}; re-run it first "
                           f"(scripts/run_experiments.py --only {name} --rerun).")
    before, after = side(old_run, old_metrics), side(new_run, new_metrics)
    delta = {p: {k: round(after["scores"][p][k] - before["scores"][p][k], 4) for k in SCORES} for p in PROTOCOLS}
    log = REPO / rel / "log.jsonl"
    same = losses(_show(before_rev, f"{rel}/log.jsonl"), log.read_text()) if log.is_file() else None
    return {"before": before, "after": after, "delta": delta, **({"training_losses": same} if same else {})}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", metavar="NAME", help="re-run experiments under runs/ (e.g. I_odd)")
    ap.add_argument("--before", required=True, metavar="REV", help="git revision that held the replaced runs")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    try:
        report = json.loads(args.out.read_text()) if args.out.is_file() else {"runs": {}}
        for name in args.runs:
            report["runs"][name] = compare(name, args.before) | {"replaced_at": _commit(args.before)}
    except BlurlibError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    deltas = [abs(v) for r in report["runs"].values() for p in r["delta"].values() for v in p.values()]
    report["max_abs_delta"] = max(deltas)
    report["about"] = ("the same experiment (model, split, seed, profile, test images) trained and scored again "
                       "(another machine, or later code); delta = after - before; training_losses: logged steps whose "
                       "loss and learning rate are the same in both runs")
    report["provenance"] = provenance(result=args.out)
    write_json(args.out, report)
    for name, r in report["runs"].items():
        d = r["delta"]["paper"]
        same = r.get("training_losses")
        print(f"{name}: paper protocol ODS {d['ods']:+.4f}, OIS {d['ois']:+.4f}, AP {d['ap']:+.4f} "
              f"({r['before']['device']} -> {r['after']['device']})"
              + (f"; losses identical at {same['steps_identical']} of {same['steps_compared']} steps" if same else ""))
    print(f"largest |difference| over every score: {report['max_abs_delta']:.4f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
