"""Tables: ours beside the paper's reference column, written as CSV and Markdown."""

import re

import pytest

from blurlib import tables


def test_compare_puts_paper_numbers_in_labelled_columns(tmp_path):
    df = tables.compare({"config V": {"ods": 0.9, "ois": 0.91, "ap": 0.92}, "new": {"ods": 0.5, "ois": 0.5, "ap": 0.5}},
                        "table2", {"config V": "V"})
    assert list(df.columns) == ["ODS ours (paper protocol)", "OIS ours (paper protocol)", "AP ours (paper protocol)",
                                "ODS (paper)", "OIS (paper)", "AP (paper)"]
    assert df.loc["config V", "ODS (paper)"] == tables.paper()["table2"]["V"][0]
    assert df.loc["config V", "ODS ours (paper protocol)"] == 0.9 and df["ODS (paper)"].isna()["new"]
    df["test images"] = [3, 4]
    tables.write(df, tmp_path / "t", "caption")
    md = (tmp_path / "t.md").read_text()
    assert md.startswith("caption") and "| config V |" in md and re.search(r"\|\s+3 \|", md) and "—" in md
    assert (tmp_path / "t.csv").read_text().splitlines()[0].startswith(",ODS ours (paper protocol)")


def test_compare_labels_the_protocol_and_refuses_a_mixed_table():
    pooled = {"ods": 0.9, "ois": 0.91, "ap": 0.92, "protocol": "pooled"}
    assert tables.compare({"V": pooled}, "table2", protocol="pooled").columns[0] == "ODS ours (pooled protocol)"
    with pytest.raises(ValueError, match="pooled protocol"):
        tables.compare({"V": pooled}, "table2")
