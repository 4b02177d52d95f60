"""``tagllm generate`` without ``--resume`` onto an earlier run's output: it replaces it, and says so before its
models load, while Ctrl-C still keeps the results (it said nothing, and a run after a crash that forgot --resume
replaced hours of results)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app

runner = CliRunner()


@pytest.fixture()
def config(tmp_path: Path, demo_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the repo's own tagllm.yaml must not configure these runs
    path = tmp_path / "tagllm.yaml"
    path.write_text(f"taxonomy: demo\nindex: {demo_index_dir}\nk: 5\n")
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_replacing_an_earlier_runs_output_is_said_and_resuming_it_is_not(
    tmp_path: Path, config: Path, suffix: str
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / f"out{suffix}"
    src.write_text('{"id": "a", "title": "Blue denim jeans"}\n')
    args = ["generate", str(src), "-o", str(out), "-c", str(config)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0 and "warning" not in first.stderr
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert again.stderr.splitlines()[0] == (
        f"warning: {out} holds an earlier run's results, which this run replaces once its models are loaded; to "
        "keep them and tag only what they lack, stop it (Ctrl-C) and run again with --resume"
    )
    resumed = runner.invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0 and "warning" not in resumed.stderr
    quiet = runner.invoke(app, [*args, "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


@pytest.mark.parametrize(
    ("suffix", "content"),
    [(".csv", "product_id,status,category\r\n"), (".jsonl", "\n\n")],
    ids=["csv header alone", "jsonl blank lines"],
)
def test_an_output_holding_no_row_is_replaced_without_a_warning(
    tmp_path: Path, config: Path, suffix: str, content: str
) -> None:
    """A CSV output of its header alone (a run stopped before its first result) or a JSONL one of blank lines holds
    no result to lose: warning of one sent the user to --resume for nothing."""
    src, out = tmp_path / "in.jsonl", tmp_path / f"out{suffix}"
    src.write_text('{"id": "a", "title": "Blue denim jeans"}\n')
    args = ["generate", str(src), "-o", str(out), "-c", str(config)]
    assert runner.invoke(app, args).exit_code == 0  # an earlier run's output, its settings recorded beside it
    out.write_text(content, newline="")  # its rows cleared (or a run stopped before its first)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "holds an earlier run's results" not in result.stderr
    rows = [line for line in out.read_text().splitlines() if line.strip()]
    assert len(rows) == (2 if suffix == ".csv" else 1)  # the header, if any, and the product's row


def test_a_parquet_output_of_no_rows_is_replaced_without_a_warning(tmp_path: Path, config: Path) -> None:
    """A Parquet output whose rows were all filtered out (by another tool) holds no result, as a CSV output of its
    header alone holds none: it was warned of as an earlier run's results, for its file's size."""
    import pyarrow.parquet as pq

    src, out = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    src.write_text('{"id": "a", "title": "Blue denim jeans"}\n')
    args = ["generate", str(src), "-o", str(out), "-c", str(config)]
    assert runner.invoke(app, args).exit_code == 0
    pq.write_table(pq.read_table(out).slice(0, 0), out)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "holds an earlier run's results" not in result.stderr
    assert pq.read_table(out, columns=["product_id"]).column(0).to_pylist() == ["a"]
