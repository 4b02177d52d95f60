"""A text column stored as binary (a Parquet file from a writer without the UTF-8 annotation; Arrow's ``binary``): its
UTF-8 values are read as their text, and a value that is not UTF-8 is an error record naming the record and the
field, in a file run as in a Ray dataset's rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tagllm.config import TaggerConfig
from tagllm.io import read_products
from tagllm.models import Product, RecordError

pa = pytest.importorskip("pyarrow")

NOT_UTF8 = "Wool scarf \u00e9".encode("latin-1")  # written in Latin-1: byte 11 is 0xe9


def binary_table() -> object:
    return pa.table(
        {
            "id": pa.array([b"p1", b"p2", b"\xff\xfe"], type=pa.binary()),
            "title": pa.array([b"Red summer dress", NOT_UTF8, b"Mug"], type=pa.binary()),
        }
    )


def test_a_binary_parquet_column_is_read_as_text_and_a_value_that_is_not_utf8_names_its_record(tmp_path: Path) -> None:
    """The title that was not UTF-8 was named 'line-2', its id 'p2' unsaid, with pydantic's "Input should be a valid
    string, unable to parse raw data as a unicode string"."""
    import pyarrow.parquet as pq

    source = tmp_path / "products.parquet"
    pq.write_table(binary_table(), source)
    first, second, third = read_products(source)
    assert isinstance(first, Product) and (first.id, first.title) == ("p1", "Red summer dress")
    assert isinstance(second, RecordError) and (second.record_id, second.field) == ("p2", "title")
    assert second.message == (
        f"{source}:2: record 'p2' field 'title': holds bytes that are not UTF-8 text (byte 11 is 0xe9): a text "
        "column stored as binary in another encoding; re-save it as UTF-8 text"
    )
    assert isinstance(third, RecordError) and (third.record_id, third.field) == ("line-3", "id")
    assert third.message == (
        f"{source}:3: record line-3 field 'id': holds bytes that are not UTF-8 text (byte 0 is 0xff): a text "
        "column stored as binary in another encoding; re-save it as UTF-8 text"
    )


def test_a_dataset_row_of_binary_text_is_tagged_under_its_id_not_pythons_repr_of_its_bytes(
    demo_index_dir: Path,
) -> None:
    """Each row's JSON wrote bytes as Python's repr: product "b'p1'" titled "b'Red summer dress'", tagged, and a title
    in Latin-1 tagged as "b'Wool scarf \\xe9'"."""
    from tagllm.dataset_rows import as_records
    from tagllm.distributed import _TaggerWorker

    worker = _TaggerWorker(TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5).model_dump())
    out = worker(as_records(binary_table()))
    rows = [json.loads(text) for text in out["result_json"]]
    assert list(out["product_id"][:2]) == ["p1", "p2"] and list(out["status"]) == ["ok", "error", "error"]
    assert rows[1]["error"] == {
        "field": "title",
        "record_id": "p2",
        "message": "record 'p2' field 'title': holds bytes that are not UTF-8 text (byte 11 is 0xe9): a text column "
        "stored as binary in another encoding; re-save it as UTF-8 text",
        "is_retryable": False,
    }
    named = out["product_id"][2]
    assert named.startswith("row-") and rows[2]["error"]["field"] == "id"
    plain = worker({"id": np.array([b"p1"], dtype=object), "title": np.array([b"Red summer dress"], dtype=object)})
    assert list(plain["product_id"]) == ["p1"]  # a numpy batch of bytes, a worker called on a dataset of one's own


def nested_binary_table() -> object:
    """Lists and maps of texts stored as binary, as the same writer stores them."""
    return pa.table(
        {
            "id": pa.array(["p1", "p2"]),
            "title": pa.array(["Red dress", "Mug"]),
            "queries": pa.array([[b"red dress"], [b"mug \xff"]], type=pa.list_(pa.binary())),
            "attributes": pa.array([[(b"Color", b"Red")], []], type=pa.map_(pa.binary(), pa.binary())),
        }
    )


def test_lists_and_maps_of_binary_text_are_read_as_text_in_a_file_run_and_in_dataset_rows(tmp_path: Path) -> None:
    """A query or an attribute of bytes was refused in a file run ("item 1 is bytes (b'red dress'), not a search
    query") and tagged as Python's repr in a dataset's rows: queries ["b'red dress'"], attributes {"b'Color'":
    "b'Red'"}."""
    import pyarrow.parquet as pq

    from tagllm.dataset_rows import as_products, as_records

    source = tmp_path / "products.parquet"
    pq.write_table(nested_binary_table(), source)
    first, second = read_products(source)
    assert isinstance(first, Product) and (first.queries, first.attributes) == (["red dress"], {"Color": "Red"})
    assert isinstance(second, RecordError) and (second.record_id, second.field) == ("p2", "queries")
    rows = [json.loads(text) for text in as_records(nested_binary_table())["__tagllm_record__"]]
    one, two = as_products(rows)
    assert isinstance(one, Product) and (one.queries, one.attributes) == (["red dress"], {"Color": "Red"})
    assert isinstance(two, RecordError) and two.message == (  # the item named, as a file run names it
        "record 'p2' field 'queries': item 1 holds bytes that are not UTF-8 text (byte 4 is 0xff): a text column "
        "stored as binary in another encoding; re-save it as UTF-8 text"
    )


def test_a_list_or_map_item_that_is_not_utf8_names_the_record_the_field_and_the_item(tmp_path: Path) -> None:
    """One query, photo or attribute of bytes that are not UTF-8 among good ones: the error record said "item 2 is
    bytes (b'caf\\xe9 dress'), not a search query" (what is wrong with it unsaid), and an attribute value of such
    bytes was tagged as Python's repr of them, "b'R\\xe9d'"."""
    import pyarrow.parquet as pq

    source = tmp_path / "products.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["p1", "p2", "p3", "p4"],
                "title": ["Red dress", "Blue shirt", "Mug", "Hat"],
                "queries": pa.array([[b"red dress", b"caf\xe9 dress"], [], [], []], type=pa.list_(pa.binary())),
                "images": pa.array([[], [b"a.jpg", b"x\xff.jpg"], [], []], type=pa.list_(pa.binary())),
                "attributes": pa.array(
                    [[], [], [(b"Color", b"R\xe9d")], [(b"Size", b"M")]], type=pa.map_(pa.binary(), pa.binary())
                ),
            }
        ),
        source,
    )
    *errors, fine = read_products(source)

    def why(byte: str) -> str:
        return f"holds bytes that are not UTF-8 text ({byte}): a text column stored as binary in another encoding; " + (
            "re-save it as UTF-8 text"
        )

    assert [(e.record_id, e.field, e.message) for e in errors if isinstance(e, RecordError)] == [
        ("p1", "queries", f"{source}:1: record 'p1' field 'queries': item 2 {why('byte 3 is 0xe9')}"),
        ("p2", "images", f"{source}:2: record 'p2' field 'images': item 2 {why('byte 1 is 0xff')}"),
        (
            "p3",
            "attributes",
            f"{source}:3: record 'p3' field 'attributes': the value of 'Color' {why('byte 1 is 0xe9')}",
        ),
    ]
    assert isinstance(fine, Product) and fine.attributes == {"Size": "M"}


def test_an_attribute_list_item_that_is_no_attribute_is_named_by_its_position(tmp_path: Path) -> None:
    source = tmp_path / "products.jsonl"
    source.write_text(json.dumps({"id": "j1", "title": "Red dress", "attributes": [["Color", "Red"], 7]}) + "\n")
    (error,) = read_products(source)
    assert isinstance(error, RecordError) and error.message == (
        f"{source}:1: record 'j1' field 'attributes': item 2 is int (7), not an attribute; expected a mapping of "
        "attribute name to value ({'Color': 'Red'}), a list of [key, value] pairs, of \"Key: Value\" tags or of "
        '{"name": …, "options"/"value": …} objects'
    )


def test_a_string_list_column_item_that_is_not_utf8_is_named_by_its_position(tmp_path: Path) -> None:
    """pyarrow reads a string column's bytes unchecked: a list of them with one item in Latin-1 was named as the
    whole cell, "column 'queries' holds text that is not UTF-8 (byte 3 is 0xe9)", which of its items unsaid."""
    import pyarrow.parquet as pq

    source = tmp_path / "products.parquet"
    queries = pa.array([[b"red", b"caf\xe9"], [b"mug"]], type=pa.list_(pa.binary())).view(pa.list_(pa.string()))
    pq.write_table(pa.table({"id": ["p1", "p2"], "title": ["Red dress", "Mug"], "queries": queries}), source)
    bad, fine = read_products(source)
    assert isinstance(bad, RecordError) and (bad.line, bad.field) == (1, "queries")
    assert bad.message == (
        f"{source}:1: column 'queries' item 2 holds text that is not UTF-8 (byte 3 is 0xe9); re-export the file with "
        "its text in UTF-8"
    )
    assert isinstance(fine, Product) and fine.queries == ["mug"]
