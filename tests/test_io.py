"""Reading products from JSONL, CSV and Parquet, and writing results, with errors that name the line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.errors import InputError
from tagllm.io import ResultWriter, done_ids, read_products
from tagllm.models import Product, RecordError, TagResult


def test_csv_with_json_attributes_and_pipe_lists(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text('id,title,attributes,queries\n1,Red shirt,"{""Fabric"": ""Cotton""}",red shirt|cotton top\n')
    (product,) = list(read_products(src))
    assert isinstance(product, Product)
    assert product.attributes == {"Fabric": "Cotton"} and product.queries == ["red shirt", "cotton top"]


def test_parquet_round_trip(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "p.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "1", "title": "Blue jeans", "brand": None}]), src)
    assert [p.title for p in read_products(src)] == ["Blue jeans"]  # type: ignore[union-attr]
    out = tmp_path / "o.parquet"
    writer = ResultWriter(out, facets=["category"])
    writer.write([TagResult(product_id="1")])
    writer.close()
    assert pq.read_table(out).column("product_id").to_pylist() == ["1"]


def test_utf16_and_empty_files_are_refused_with_a_fix(tmp_path: Path) -> None:
    utf16 = tmp_path / "u.jsonl"
    utf16.write_bytes('{"title": "x"}\n'.encode("utf-16"))
    with pytest.raises(InputError, match="the file is UTF-16; re-save it as UTF-8"):
        list(read_products(utf16))
    blank = tmp_path / "b.jsonl"
    blank.write_text("\n\n")
    with pytest.raises(InputError, match="the input is empty"):
        list(read_products(blank))


def test_csv_row_with_too_many_cells_is_an_error_record(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text("id,title\n1,ok\n2,bad,extra\n")
    items = list(read_products(src))
    assert isinstance(items[0], Product)
    assert isinstance(items[1], RecordError) and items[1].message == f"{src}:3: more cells than header columns"


def test_done_ids_ignores_a_half_written_last_line(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text('{"product_id": "a", "status": "ok"}\n{"product_id": "b", "sta')
    assert done_ids(out) == {"a"}
