"""Run every notebook in notebooks/ in order with papermill: the main job of blurlib.

Executed notebooks go to build/notebooks/ (without papermill's record of the absolute paths they were read from
and written to); figures and tables to figures/ from the CUHK benchmark, to build/figures from the synthetic set or
the smoke profile (each notebook prints where). A notebook that fails does not stop the others: every failure is
named at the end (exit status 1). A claim of a notebook's text that runs trained now or other data do not bear out
is printed as ``differs from the text`` and listed at the end, not a failure (blurlib/context.py). The notebooks'
parameters (blurlib/context.py) are passed to every notebook.

    python scripts/run_notebooks.py                                   # data found automatically, committed runs
    python scripts/run_notebooks.py -p profile paper -p runs train    # retrain every run with the paper's recipe
    python scripts/run_notebooks.py --out notebooks                   # the committed notebooks (on the benchmark)
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm
from jupyter_client.manager import AsyncKernelManager
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent


WORDS = {"true": True, "yes": True, "false": False, "no": False, "none": None}


def parse_value(v: str):
    """A parameter's value: true/yes, false/no (any case) -> bool; none -> None; an integer -> int; else the text.

    >>> [parse_value(v) for v in ("false", "No", "TRUE", "none", "-3", "paper")]
    [False, False, True, None, -3, 'paper']
    """
    if v.strip().lower() in WORDS:
        return WORDS[v.strip().lower()]
    return int(v) if v.strip().lstrip("-").isdigit() else v


CELL_TIMES = ("start_time", "end_time", "duration")
"""papermill's per-cell timings: they change on every run and say nothing about the results."""
CELL_RECORDS = ("execution",)
"""The kernel's per-cell message times (``metadata.execution``, ``iopub.*`` and ``shell.*`` timestamps): as volatile."""


def strip_paths(notebook: Path) -> None:
    """Drop what differs between two runs of the same notebook on the same results from the executed ``notebook``:
    papermill's ``input_path`` and ``output_path`` (absolute paths of the machine that ran it) and each cell's
    timings (:data:`CELL_TIMES`, :data:`CELL_RECORDS`) and the whole run's (start, end, duration); papermill's record of
    the parameters is kept."""
    nb = nbformat.read(notebook, as_version=nbformat.NO_CONVERT)
    changed = False
    record = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path", *CELL_TIMES):
        changed |= record.pop(key, None) is not None
    for cell in nb.cells:
        times = cell.get("metadata", {}).get("papermill", {})
        for key in CELL_TIMES:
            changed |= times.pop(key, None) is not None
        for key in CELL_RECORDS:
            changed |= cell.get("metadata", {}).pop(key, None) is not None
    if changed:
        nbformat.write(nb, notebook)


class LocalKernelManager(AsyncKernelManager):
    """The notebooks' kernel talks to the runner over local sockets (IPC), not TCP: nothing is exposed on the
    network, and the kernel has no reason to warn about unencrypted traffic."""

    def __init__(self, **kwargs):
        super().__init__(transport="ipc", **kwargs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="papermill parameter for every notebook, e.g. -p profile smoke")
    ap.add_argument("--only", nargs="*", help="notebook name prefixes to run (default: all)")
    ap.add_argument("--cell-timeout", type=int, default=1800,
                    help="seconds per cell before it is stopped; 0: no limit (cells that train runs, -p runs train)")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "notebooks")
    args = ap.parse_args(argv)

    params = {k: parse_value(v) for k, v in args.parameter}
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        notebooks = [nb for nb in notebooks if any(nb.name.startswith(p) for p in args.only)]
    if not notebooks:
        print("no notebooks to run", file=sys.stderr)
        return 2
    declared = {nb: pm.inspect_notebook(str(nb)) for nb in notebooks}
    unknown = sorted(set(params) - set().union(*declared.values()))
    if unknown:
        known = sorted(set().union(*declared.values()))
        print(f"unknown parameter(s) {', '.join(unknown)}: the notebooks take {', '.join(known)}.", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (REPO / "figures").mkdir(exist_ok=True)
    failed, differing = [], {}
    for nb in tqdm(notebooks, desc="notebooks", unit="nb"):
        t0 = time.perf_counter()
        try:
            mine = {k: v for k, v in params.items() if k in declared[nb]}  # a notebook gets the parameters it declares
            pm.execute_notebook(nb, args.out / nb.name, parameters=mine, cwd=str(REPO), progress_bar=False,
                                execution_timeout=args.cell_timeout or None, kernel_name="python3",
                                kernel_manager_class=LocalKernelManager)
        except pm.PapermillExecutionError as e:  # the next notebooks still run: one failure never hides the others
            failed.append(f"{nb.relative_to(REPO)} failed in cell {e.exec_count}: {e.ename}: {e.evalue} "
                          f"(the executed notebook with the error: {_shown(args.out / nb.name)})")
            tqdm.write(f"{nb.name}: FAILED after {time.perf_counter() - t0:.0f} s")
            continue
        finally:
            if (args.out / nb.name).is_file():
                strip_paths(args.out / nb.name)
        differing[nb.name] = differences(args.out / nb.name)
        tqdm.write(f"{nb.name}: {time.perf_counter() - t0:.0f} s -> {args.out / nb.name}")
    print("executed notebooks in " + _shown(args.out))
    ran = [nb for nb in notebooks if nb.name in differing]
    print("figures and tables in " + ", ".join(sorted(set().union(*(written(args.out / nb.name) for nb in ran)))))
    for name, claims in differing.items():
        if claims:
            print(f"{name}: {len(claims)} claim(s) of the text differ on these data and runs: " + "; ".join(claims))
    for f in failed:
        print(f"notebook {f}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(notebooks)} notebooks failed (above); the others ran.", file=sys.stderr)
    return 1 if failed else 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def differences(executed: Path) -> list[str]:
    """The claims an executed notebook printed as ``differs from the text: …`` (:meth:`blurlib.context.Context.check`)."""
    nb = nbformat.read(executed, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    return re.findall(r"^differs from the text: (.+)$", text, re.M)


def written(executed: Path) -> set[str]:
    """The folders an executed notebook says it wrote figures and tables to (its ``figures and tables:`` line)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    return set(re.findall(r"^figures and tables: (.+)$", text, re.M))


if __name__ == "__main__":
    sys.exit(main())
