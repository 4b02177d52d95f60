"""Search queries as tables and Python callers give them: a list with a missing item (a Parquet list's null, a NaN),
a number, one query alone; each was an error record "Input should be a valid string" for the whole product."""

from __future__ import annotations

from pathlib import Path

from tagllm.io import as_product, read_products
from tagllm.models import Product, RecordError


def test_missing_and_blank_queries_are_left_out_and_a_number_is_read_as_its_text() -> None:
    product = as_product({"id": "1", "title": "Dress", "queries": ["red dress", None, float("nan"), " ", 1984]}, 0)
    assert isinstance(product, Product) and product.queries == ["red dress", "1984"]
    alone = as_product({"id": "2", "title": "Dress", "queries": 2024.0}, 0)
    assert isinstance(alone, Product) and alone.queries == ["2024"]


def test_a_query_that_is_no_text_is_an_error_record_naming_the_field_and_the_item() -> None:
    nested = as_product({"id": "3", "title": "Dress", "queries": ["red dress", ["a", "b"]]}, 0)
    assert isinstance(nested, RecordError) and (nested.record_id, nested.field) == ("3", "queries")
    assert nested.message == (
        "batch:1: record '3' field 'queries': item 2 is a list ([\"a\", \"b\"]), not a search query; give each "
        "query as text"
    )
    endless = as_product({"id": "5", "title": "Dress", "queries": ["red dress", float("inf")]}, 0)
    assert isinstance(endless, RecordError) and endless.message == (
        "batch:1: record '5' field 'queries': item 2 is a number too large to be read (infinite); write it as text"
    )
    flag = as_product({"id": "4", "title": "Dress", "queries": True}, 0)
    assert isinstance(flag, RecordError) and flag.message == (
        "batch:1: record '4' field 'queries': expected a list of search queries (text), got a boolean (true)"
    )


def test_a_parquet_list_of_queries_with_a_null_item_is_read(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "products.parquet"
    table = pa.table(
        {
            "id": ["1", "2"],
            "title": ["Red dress", "Mug"],
            "queries": pa.array([["red dress", None], None], type=pa.list_(pa.string())),
        }
    )
    pq.write_table(table, source)
    read = list(read_products(source))
    assert [(p.id, p.queries) for p in read if isinstance(p, Product)] == [("1", ["red dress"]), ("2", [])]


def test_a_set_of_queries_is_an_error_record_saying_its_order_is_not_kept() -> None:
    """A set's order changes from run to run (string hashes are salted per process): read, the product's text, its
    embedding and so its tags changed between two runs of one input, and a resumed run saw a changed product."""
    for queries in ({"red dress", "maxi dress"}, frozenset({"red dress"})):
        read = as_product({"id": "6", "title": "Dress", "queries": queries}, 0)
        assert isinstance(read, RecordError) and (read.record_id, read.field) == ("6", "queries")
        assert read.message == (
            "batch:1: record '6' field 'queries': got a set, whose order changes from run to run (and with it the "
            "product's text and tags); give the search queries as a list, sorted(…) if they have no order"
        )
