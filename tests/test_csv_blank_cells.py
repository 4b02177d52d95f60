"""A one-column CSV writes an empty cell as a blank line (pandas does): it is a record with that cell empty, so
`tagllm taxonomy map --file` keeps one output row per input row, in order (`tagllm generate` skips and counts it, as any
row of empty cells)."""

from __future__ import annotations

import io
from pathlib import Path

from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.io.csv_records import read_csv


def _records(text: bytes) -> list[tuple[int, dict | None]]:  # type: ignore[type-arg]
    return [(r.line, r.data) for r in read_csv(io.BytesIO(text), "in.csv")]


def test_a_blank_line_of_a_one_column_csv_is_an_empty_cell() -> None:
    assert _records(b"tag\nJeans\n\nDress\n") == [(2, {"tag": "Jeans"}), (3, {"tag": None}), (4, {"tag": "Dress"})]


def test_a_blank_line_between_rows_of_several_columns_is_still_no_row() -> None:
    assert _records(b"id,tag\n1,Jeans\n\n2,Dress\n") == [
        (2, {"id": "1", "tag": "Jeans"}),
        (4, {"id": "2", "tag": "Dress"}),
    ]


def test_taxonomy_map_keeps_the_row_of_an_empty_cell_so_rows_stay_aligned(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.csv"
    legacy.write_text("tag\nJeans\n\nDresses\n")  # pandas.DataFrame({"tag": ["Jeans", None, "Dresses"]}).to_csv()
    result = CliRunner().invoke(
        app, ["taxonomy", "map", "-t", "demo", "--file", str(legacy), "--column", "tag", "--format", "csv",
              "--no-embeddings", "--no-lexicon"],
    )  # fmt: skip
    assert result.exit_code == 0
    rows = [line.split(",")[:3] for line in result.stdout.splitlines()[1:]]
    assert rows == [["Jeans", "category", "apparel-jeans"], ["", "", ""], ["Dresses", "category", "apparel-dresses"]]
