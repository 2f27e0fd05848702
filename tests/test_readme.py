"""The result tables of README and docs/ say what figures/*.csv say: every number of a table whose introducing
paragraph cites a table of figures/ appears, to 3 decimals, in the matching row of that table's CSV."""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = [README, *sorted((REPO / "docs").glob("*.md"))]
CITED = re.compile(r"figures/([\w.-]+)\.(?:md|csv)\b")
NUMBER = re.compile(r"(?<![\w.])[-−+]?\d+\.\d+")


def _number(text: str) -> float:
    return round(float(text.replace("−", "-")), 3)


def readme_tables(text: str) -> list[dict]:
    """Markdown tables of ``text`` whose preceding paragraph cites exactly one figures/<name>.md|.csv:
    ``[{"csv": name, "line": n, "rows": [(label, [numbers])]}]``."""
    lines, out, paragraph, block = text.splitlines(), [], [], []  # the last paragraph, the lines since a blank
    i = 0
    while i < len(lines):
        if lines[i].startswith("|"):
            start = i
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            cited = sorted(set(CITED.findall(" ".join(block or paragraph))))
            if len(cited) == 1:
                rows = []
                for row in lines[start + 2:i]:  # after the header and the |---| line
                    cells = [c.strip() for c in row.strip().strip("|").split("|")]
                    rows.append((cells[0], [_number(n) for c in cells[1:] for n in NUMBER.findall(c)]))
                out.append({"csv": cited[0], "line": start + 1, "rows": rows})
            paragraph, block = [], []
            continue
        if lines[i].startswith("#"):
            paragraph, block = [], []
        elif not lines[i].strip():
            paragraph, block = (block or paragraph), []
        else:
            block.append(lines[i])
        i += 1
    return out


def csv_rows(path: Path) -> dict[str, list[float]]:
    """``{row label: [every number in the row, 3 decimals]}`` of a table written by :func:`blurlib.tables.write`."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    return {r[0]: [_number(n) for c in r[1:] for n in NUMBER.findall(c)] for r in rows}


def mismatches(table: dict, rows: dict[str, list[float]]) -> list[str]:
    """README rows of ``table`` whose numbers are not all in one CSV row (the best-named one among those that hold
    them all); each as 'label: README numbers vs the closest CSV row'."""
    out = []
    for label, numbers in table["rows"]:
        if not numbers:
            continue
        holding = [name for name, values in rows.items() if all(n in values for n in numbers)]
        if holding:
            continue
        closest = max(rows, key=lambda name: difflib.SequenceMatcher(None, label.lower(), name.lower()).ratio())
        out.append(f"{table['csv']} line {table['line']}: README row {label!r} {numbers} vs CSV row {closest!r} "
                   f"{rows[closest]}")
    return out


def test_readme_tables_match_the_committed_csv_tables():
    problems, checked = [], 0
    for doc in DOCS:
        for t in readme_tables(doc.read_text()):
            path = REPO / "figures" / f"{t['csv']}.csv"
            assert path.is_file(), f"{doc.name} cites figures/{t['csv']} (line {t['line']}), which has no CSV"
            problems += [f"{doc.relative_to(REPO)}: {p}" for p in mismatches(t, csv_rows(path))]
            checked += 1
    assert checked, "README and docs/ cite no figures/ table above any of their tables"
    assert not problems, "README disagrees with figures/*.csv:\n" + "\n".join(problems)


def test_the_check_finds_a_changed_number(tmp_path):
    text = ("Table (`figures/t.md`):\n\n| config | ODS | paper |\n|---|---|---|\n| I | 0.805 | 0.769 / 0.790 |\n"
            "| mean | 0.877 ± 0.017 | — |\n")
    (table,) = readme_tables(text)
    assert table["csv"] == "t" and table["rows"] == [("I", [0.805, 0.769, 0.79]), ("mean", [0.877, 0.017])]
    rows = {"config I": [0.805, 0.83, 0.769, 0.79], "mean": [0.877, 0.017]}
    assert mismatches(table, rows) == []
    rows["config I"][0] = 0.806
    (problem,) = mismatches(table, rows)
    assert "README row 'I' [0.805, 0.769, 0.79] vs CSV row 'config I'" in problem


@pytest.mark.parametrize("text", ["no table here", "| a | b |\n|---|---|\n| x | 0.1 |\n"])
def test_tables_without_a_cited_csv_are_not_checked(text):
    assert readme_tables(text) == []


def test_docs_state_the_measured_run_to_run_reproducibility():
    """The reproducibility paragraph (docs/experiments.md) names every re-run of runs/reproducibility.json and its largest difference."""
    import json

    report = json.loads((REPO / "runs" / "reproducibility.json").read_text())
    text = " ".join((REPO / "docs" / "experiments.md").read_text().split())
    paragraph = text[text.index("**Run-to-run reproducibility.**"):]
    paragraph = paragraph[:paragraph.index("reproducibility.py")]
    assert f"largest difference over every score: {report['max_abs_delta']:.4f}" in paragraph
    named = set(re.findall(r"\b(?:[IV]+|fusion_ds)_(?:odd|even|defocus604)\b", paragraph))
    assert named == set(report["runs"]), f"docs/experiments.md names {sorted(named)}, the report holds {sorted(report['runs'])}"
