"""NUL characters (\\x00) in a product's text or a kept column: a CSV from a broken export, a JSONL line with \\u0000.
The text is read without them and tagged; no CSV or Parquet output holds one for the next tool to stop at."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tagllm.io import ResultWriter, read_products
from tagllm.models import Product, RecordError, Tag, TagResult


def test_a_nul_in_a_csv_products_text_is_read_without_it(tmp_path: Path) -> None:
    """A NUL is no character a seller wrote (an exporter's padding, or UTF-16 read as bytes: one after each letter):
    taken, it reached the embedder and the CSV output; an error record would lose the product for an invisible byte."""
    source = tmp_path / "products.csv"
    source.write_bytes(
        b"id,title,description,brand,attributes\n"
        b'1,Red\x00 Maxi Dress\x00\x00,Soft\x00 cotton,Acme\x00,"{""Colo\x00ur"": ""Red\x00""}"\n'
        b"2,B\x00l\x00u\x00e\x00 \x00J\x00e\x00a\x00n\x00s\x00,,,\n"
    )
    products = list(read_products(source))
    assert [(p.title, p.description, p.brand, p.attributes) for p in products if isinstance(p, Product)] == [
        ("Red Maxi Dress", "Soft cotton", "Acme", {"Colour": "Red"}),
        ("Blue Jeans", None, None, {}),
    ]


def test_a_title_of_nuls_alone_is_no_title(tmp_path: Path) -> None:
    source = tmp_path / "products.jsonl"
    source.write_text(json.dumps({"id": "p1", "title": "\u0000\u0000"}) + "\n")
    [error] = list(read_products(source))
    assert isinstance(error, RecordError) and error.field == "title" and error.record_id == "p1"
    assert error.message == f"{source}:1: record 'p1' has no title; every product needs a non-empty title"


def test_an_id_holding_a_nul_stays_an_error_record_naming_the_id(tmp_path: Path) -> None:
    """An id is matched to other tables as it is written: one changed by cleaning would name another product."""
    source = tmp_path / "products.jsonl"
    source.write_text(json.dumps({"id": "ab\u0000c", "title": "Red Dress"}) + "\n")
    [error] = list(read_products(source))
    assert isinstance(error, RecordError) and error.field == "id"


def _result(pid: str) -> TagResult:
    tag = Tag(facet="category", id="c1", name="Shirts", path="Apparel > Shirts", confidence=0.875, source="retrieval")
    return TagResult(product_id=pid, tags={"category": [tag]}, rejected=[])


KEPT = {"title": "Red\x00 Maxi Dress", "sku": "AB\x00C", "sizes": ["S\x00", "M"]}


def test_a_csv_output_holds_no_nul_from_a_kept_column(tmp_path: Path) -> None:
    """Written as they came, sqlite3's .import cut the cell at the NUL and Python's csv before 3.11 refused the file
    ("line contains NUL")."""
    out = tmp_path / "tags.csv"
    writer = ResultWriter(out, facets=["category"], keep_columns=["title", "sku", "sizes"])
    writer.write([_result("p1")], kept=[KEPT])
    writer.close()
    assert b"\x00" not in out.read_bytes()
    [row] = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert (row["title"], row["sku"], row["sizes"]) == ("Red Maxi Dress", "ABC", '["S", "M"]')


def test_a_parquet_output_holds_no_nul_from_a_kept_column(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "tags.parquet"
    writer = ResultWriter(out, facets=["category"], keep_columns=["title", "sku", "sizes"])
    writer.write([_result("p1")], kept=[KEPT])
    writer.close()
    [row] = pq.read_table(out).to_pylist()
    assert (row["title"], row["sku"], row["sizes"]) == ("Red Maxi Dress", "ABC", '["S", "M"]')


def test_a_kept_cell_of_bytes_holding_a_nul_is_written_without_it(tmp_path: Path) -> None:
    """A Parquet binary column's UTF-8 bytes are written as their text: a NUL among them went into the CSV."""
    out = tmp_path / "tags.csv"
    writer = ResultWriter(out, facets=["category"], keep_columns=["sku"])
    writer.write([_result("p1")], kept=[{"sku": b"AB\x00C"}])
    writer.close()
    assert [row["sku"] for row in csv.DictReader(out.open(encoding="utf-8", newline=""))] == ["ABC"]


def test_a_json_attributes_cell_with_a_line_break_in_a_value_is_read(tmp_path: Path) -> None:
    """A spreadsheet cell's JSON whose value holds a line break (Excel's Alt+Enter) or a tab: strict JSON refuses a
    raw control character in a string, and the product was an error record ("expected a mapping …")."""
    source = tmp_path / "products.csv"
    source.write_text('id,title,attributes\n1,Linen Shirt,"{""Care"": ""Hand wash\ncold"", ""Fit"": ""Slim\tcut""}"\n')
    [product] = list(read_products(source))
    assert isinstance(product, Product) and product.attributes == {"Care": "Hand wash cold", "Fit": "Slim cut"}
