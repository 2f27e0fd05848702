"""Train, score and publish the committed runs the notebooks render (runs/<name>/), one after another, resumably.

Each experiment is three blurlib commands: ``train --resume`` into a work folder, ``evaluate --run`` on its test
split, ``publish`` into runs/<name>. An experiment already published with the same profile is skipped; one stopped
half way continues from its last checkpoint when the script is started again with the same --work folder.

    python scripts/run_experiments.py --list
    python scripts/run_experiments.py --only fusion_ds_odd fcn8s_odd --root "$BLURLIB_DATA" --allow-partial
    python scripts/run_experiments.py --only V_odd --profile paper      # published as runs/V_odd_paper
    python scripts/run_experiments.py --only V_odd IV_odd --seeds 1 2    # published as runs/V_odd_seed1, ...
    python scripts/run_experiments.py --profile paper --executor local --gpus-per-job 1   # one job per GPU, via submitit

Runs of the profile the notebooks' committed results use (``cpu-short``) are published as runs/<name>; any other
profile as runs/<name>_<profile>, so a long paper-recipe run never replaces a committed result unnoticed. Seed 0 is
every experiment's committed run; another seed (``--seeds``) is published beside it as runs/<name>[_<profile>]_seed<k>.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from blurlib.beyond import REFINED_LOSS, REFINED_MODEL
from blurlib.profiles import COMMITTED as COMMITTED_PROFILE
from blurlib.provenance import DIRTY, git_commit
from blurlib.runs import published_name

REPO = Path(__file__).resolve().parent.parent


def _experiments() -> dict[str, dict]:
    """name -> train arguments, test split, and whether the fp16 weights are published (config V's, shipped from
    its paper-recipe run V_odd_paper, and the refined model's, shipped from unet_odd: ``blurlib.beyond.SHIPPED_MODELS``;
    the repository ignores every other run's weights)."""
    ex = {f"{c}_odd": dict(train=["--model", c, "--split", "odd"], test="even") for c in ("I", "II", "III", "IV")}
    ex["V_odd"] = dict(train=["--model", "V", "--split", "odd"], test="even", weights=True,  # Table II
                       moredata_reference=True)  # its scores on the more-data trials' test images, kept beside it
    ex["V_even"] = dict(train=["--model", "V", "--split", "even"], test="odd")  # Table V
    ex |= {  # Table IV
        "V_odd_scratch": dict(train=["--model", "V", "--split", "odd", "--weights", "scratch"], test="even"),
        "fcn8s_odd": dict(train=["--model", "fcn8s", "--split", "odd"], test="even"),
        "fusion_odd": dict(train=["--model", "fusion", "--split", "odd"], test="even"),
        "fusion_ds_odd": dict(train=["--model", "fusion_ds", "--split", "odd"], test="even"),
        "V_odd_fidelity": dict(train=["--model", "V", "--split", "odd", "--loss", "fidelity"], test="even"),
    }
    for k in range(5):  # the CVPR more-data experiment, 5 trials
        ex[f"V_moredata-train-{k}"] = dict(train=["--model", "V", "--split", f"moredata-train-{k}"],
                                           test=f"moredata-test-{k}")
    for model in ("V", "fusion_ds"):  # the later 604/100 defocus split: config V and the best Table IV variant
        ex[f"{model}_defocus604"] = dict(train=["--model", model, "--split", "defocus604"], test="defocus100")
    refined = ["--model", REFINED_MODEL, "--loss", REFINED_LOSS]  # beyond the paper: config V + a refining decoder
    ex[f"{REFINED_MODEL}_defocus604"] = dict(train=[*refined, "--split", "defocus604"], test="defocus100")
    ex[f"{REFINED_MODEL}_odd"] = dict(train=[*refined, "--split", "odd"], test="even", weights=True)  # beside V_odd
    return ex


EXPERIMENTS = _experiments()


def commands(name: str, profile: str, work: Path, runs: Path, data: list[str], seed: int = 0,
             rerun: bool = False, allow_dirty: bool = False) -> list[list[str]]:
    """The blurlib command lines of one experiment (the shipped weights are published from seed 0 only)."""
    e, as_ = EXPERIMENTS[name], published_name(name, profile, seed)
    run_dir = work / as_
    weights = ["--weights"] if e.get("weights") and seed == 0 else []
    return [["train", *data, *e["train"], "--profile", profile, "--seed", str(seed), "--run-dir", str(run_dir),
             "--resume"],
            ["evaluate", *data, "--run", str(run_dir), "--split", e["test"], "--overwrite"],  # a scoring left by a
            # stopped earlier attempt (in the work folder, never published) is replaced whole
            ["publish", str(run_dir), str(runs / as_), *weights, *(["--overwrite"] if rerun else []),
             *(["--allow-dirty"] if allow_dirty else [])]]


def is_published(name: str, profile: str, runs: Path, seed: int = 0) -> bool:
    run_json = runs / published_name(name, profile, seed) / "run.json"
    if not (run_json.is_file() and run_json.with_name("metrics.json").is_file()):
        return False
    run = json.loads(run_json.read_text())
    return run["profile"]["name"] == profile and run.get("seed", 0) == seed  # run.json holds the whole profile


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", help="experiments to run (default: all not yet published)")
    ap.add_argument("--profile", default=COMMITTED_PROFILE, help="training profile (default: %(default)s)")
    ap.add_argument("--work", type=Path, default=REPO / "build" / "experiments",
                    help="where runs train (checkpoints; keep it to resume)")
    ap.add_argument("--runs", type=Path, default=REPO / "runs", help="where finished runs are published")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0], metavar="K",
                    help="training seeds (default: 0, the committed runs); seed K > 0 publishes as runs/<name>_seedK")
    ap.add_argument("--source", default="auto")
    ap.add_argument("--root", help="dataset root (default: $BLURLIB_DATA, then data/CUHK)")
    ap.add_argument("--allow-partial", action="store_true")
    ap.add_argument("--allow-dirty", action="store_true",
                    help="publish runs made from uncommitted code, with their diffs (default: refused; commit first)")
    ap.add_argument("--list", action="store_true", help="list the experiments and whether each is published")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    ap.add_argument("--rerun", action="store_true",
                    help="run the --only experiments even when published (training resumes from --work; the new "
                         "results replace the published ones), e.g. to add a run's full-range PR curve")
    ap.add_argument("--executor", choices=("none", "local", "slurm"), default="none",
                    help="none: one run after another in this process; local / slurm: one submitit job per run (one "
                         "GPU each with --gpus-per-job 1), all at once on the local host or on a Slurm cluster")
    ap.add_argument("--gpus-per-job", type=int, default=0, help="with --executor: GPUs given to each job")
    ap.add_argument("--timeout-min", type=int, default=24 * 60, help="with --executor: each job's time limit")
    ap.add_argument("--partition", help="with --executor slurm: the Slurm partition")
    args = ap.parse_args(argv)
    if args.rerun and not args.only:
        print("--rerun needs --only NAME …: name the experiments to run again", file=sys.stderr)
        return 2

    unknown = sorted(set(args.only or ()) - set(EXPERIMENTS))
    if unknown:
        print(f"unknown experiment(s) {', '.join(unknown)}: choose from {', '.join(EXPERIMENTS)}", file=sys.stderr)
        return 2
    if args.list:
        for name in EXPERIMENTS:
            for seed in args.seeds:
                done = is_published(name, args.profile, args.runs, seed)
                print(f"{published_name(name, args.profile, seed):28s} {'published' if done else 'to run'}")
        return 0
    data = ["--source", args.source, *(["--root", args.root] if args.root else []),
            *(["--allow-partial"] if args.allow_partial else [])]
    if not (args.dry_run or args.allow_dirty or args.list) and git_commit().endswith(DIRTY):
        print("the code has uncommitted changes: publish would refuse the runs after hours of training; commit "
              "first, or pass --allow-dirty to publish them with their diffs", file=sys.stderr)
        return 2
    if any(seed < 0 for seed in args.seeds):
        print("--seeds: a seed is a whole number >= 0", file=sys.stderr)
        return 2
    todo = [(n, seed) for seed in dict.fromkeys(args.seeds) for n in (args.only or EXPERIMENTS)
            if args.rerun or not is_published(n, args.profile, args.runs, seed)]
    if args.executor != "none" and todo and not args.dry_run:
        return spread(todo, args)
    blurlib = [sys.executable, "-m", "blurlib.cli"]
    for name, seed in todo:
        t0 = time.perf_counter()
        for cmd in commands(name, args.profile, args.work, args.runs, data, seed, args.rerun, args.allow_dirty):
            print("$ blurlib " + " ".join(cmd), flush=True)
            if not args.dry_run and subprocess.run([*blurlib, *cmd], stdout=subprocess.DEVNULL).returncode != 0:
                print(f"experiment {name} failed at `blurlib {cmd[0]}`; fix the cause and start again (it resumes)",
                      file=sys.stderr)
                return 1
        if EXPERIMENTS[name].get("moredata_reference") and seed == 0 and args.profile == COMMITTED_PROFILE:
            print(f"$ (in this process) blurlib.moredata.store_reference: {name}'s scores on the more-data trials' "
                  "test images, beside it", flush=True)
            if not args.dry_run:
                store_moredata_reference(args.runs / published_name(name, args.profile, seed), data)
        if not args.dry_run:
            print(f"{name} (seed {seed}): published in {args.runs / published_name(name, args.profile, seed)} "
                  f"({(time.perf_counter() - t0) / 60:.0f} min)", flush=True)
    if not todo:
        print("every experiment asked for is already published with profile " + args.profile)
    return 0


def store_moredata_reference(run: Path, data: list[str]) -> None:
    """Score the published run's weights (``run/model_fp16.pt``) on each more-data trial's test images and keep the
    scores beside it (:func:`blurlib.moredata.store_reference`): the committed more-data experiment renders from
    them once the run's weights, which the repository does not keep, are gone."""
    from blurlib.data import open_dataset
    from blurlib.moredata import store_reference

    root = data[data.index("--root") + 1] if "--root" in data else None
    bench = open_dataset(data[data.index("--source") + 1], root, allow_partial="--allow-partial" in data)
    store_reference(bench, run, run / "model_fp16.pt")


def job_command(name: str, seed: int, args: argparse.Namespace) -> list[str]:
    """The command line of one run's job: this script, for that experiment and seed only, in the job's process."""
    return [sys.executable, str(Path(__file__).resolve()), "--only", name, "--seeds", str(seed), "--profile",
            args.profile, "--work", str(args.work), "--runs", str(args.runs), "--source", args.source,
            *(["--root", args.root] if args.root else []), *(["--allow-partial"] if args.allow_partial else []),
            *(["--allow-dirty"] if args.allow_dirty else []), *(["--rerun"] if args.rerun else [])]


def spread(todo: list[tuple[str, int]], args: argparse.Namespace) -> int:
    """Run each of ``todo`` as its own submitit job (``--executor local``: processes on the local host, the GPUs shared
    out one set per job; ``slurm``: jobs of the cluster), all submitted at once; each run resumes and publishes as it
    does alone. Reports every run as it finishes; exit 1 when any failed, naming each with its log."""
    import submitit
    from submitit.helpers import CommandFunction, as_completed

    executor = submitit.AutoExecutor(folder=args.work / "submitit", cluster=args.executor)
    executor.update_parameters(name="blurlib", timeout_min=args.timeout_min, gpus_per_node=args.gpus_per_job,
                               tasks_per_node=1, nodes=1,
                               **({"slurm_partition": args.partition} if args.partition and args.executor == "slurm"
                                  else {}))
    jobs = {}
    for name, seed in todo:
        job = executor.submit(CommandFunction(job_command(name, seed, args), verbose=False, cwd=str(REPO)))
        jobs[job] = published_name(name, args.profile, seed)
        print(f"{jobs[job]}: job {job.job_id} ({args.executor})", flush=True)
    failed = []
    for job in as_completed(list(jobs)):
        try:
            job.result()
            print(f"{jobs[job]}: published in {args.runs / jobs[job]}", flush=True)
        except Exception as e:  # a failed job: its own log says why
            failed.append(f"{jobs[job]}: failed ({type(e).__name__}); log {job.paths.stderr}")
    for line in failed:
        print(line, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
