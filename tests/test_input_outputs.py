"""An output of an earlier run given as the products to tag: refused before the run, saying what it is."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.errors import InputError
from tagllm.io import RecordSource


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_an_output_given_as_the_products_is_refused_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    # JSONL: the run loaded its models and wrote an output of error records, "record 'line-1' has no title", one per
    # row; CSV: "no title column … name the column that holds the titles"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "products.jsonl").write_text('{"id": "1", "title": "Blue denim jeans"}\n')
    first = CliRunner().invoke(app, ["generate", "products.jsonl", "-o", f"tags{suffix}", "--taxonomy", "demo"])
    assert first.exit_code == 0, first.output
    with pytest.raises(InputError) as refused:
        RecordSource(f"tags{suffix}").require_title()  # what generate and tag_file call before any model loads
    assert str(refused.value) == (
        f"tags{suffix}: it is the output of a tagllm run (its records have product_id, status and input_hash, and no "
        "title), not products: give the file of products it was tagged from"
    )


def test_a_shops_table_with_a_product_id_a_status_and_tags_is_no_output(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("product_id,status,tags,name\n1,active,sale,Blue denim jeans\n")
    with pytest.raises(InputError) as refused:
        RecordSource(path).require_title()
    assert "no title column" in str(refused.value) and "output of a tagllm run" not in str(refused.value)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_output_that_kept_the_title_is_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    # its title column, kept from the products by --keep-columns, was read as the products' titles: each was tagged
    # again, and its output's rows were read as a shop's columns kept in extra
    monkeypatch.chdir(tmp_path)
    (tmp_path / "products.jsonl").write_text('{"id": "1", "title": "Blue denim jeans"}\n')
    args = ["generate", "products.jsonl", "-o", f"tags{suffix}", "--taxonomy", "demo", "--keep-columns", "title"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    with pytest.raises(InputError) as refused:
        RecordSource(f"tags{suffix}").require_title()
    assert str(refused.value) == (
        f"tags{suffix}: it is the output of a tagllm run (its records have product_id, status, rejected and "
        "category, category_id and category_confidence; its other columns were kept from its products), not "
        "products: give the file of products it was tagged from"
    )


def test_a_shops_table_with_a_title_and_a_status_error_and_tags_is_products(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("product_id,title,status,error,rejected,tags,input_hash\n1,Blue denim jeans,active,,,sale,ab12\n")
    source = RecordSource(path, columns={"id": "product_id"})
    source.require_title()
    assert [record.data["title"] for record in source] == ["Blue denim jeans"]  # type: ignore[index]


def test_an_output_written_before_rows_had_a_fingerprint_is_refused_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a CSV output of an older tagllm has no input_hash column, nor a title: it was refused as one whose columns were
    # "kept from its products", which it has none of
    monkeypatch.chdir(tmp_path)
    (tmp_path / "products.jsonl").write_text('{"id": "1", "title": "Blue denim jeans"}\n')
    first = CliRunner().invoke(app, ["generate", "products.jsonl", "-o", "tags.csv", "--taxonomy", "demo"])
    assert first.exit_code == 0, first.output
    with (tmp_path / "tags.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][-1] == "input_hash"
    with (tmp_path / "old.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(row[:-1] for row in rows)
    with pytest.raises(InputError) as refused:
        RecordSource("old.csv").require_title()
    assert str(refused.value) == (
        "old.csv: it is the output of a tagllm run (its records have product_id, status, rejected and category, "
        "category_id and category_confidence, and no title), not products: give the file of products it was tagged "
        "from"
    )
