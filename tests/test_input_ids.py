"""Ids that cannot name a product (a date, a yes/no value, half a surrogate pair, a NUL character): each record is an
error record saying in plain words which record and which field, and what was wrong; the rest of the input goes
on."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tagllm.io import read_products
from tagllm.io.products import as_product, error_id
from tagllm.models import Product, RecordError

ID_PROBLEMS = [
    (
        datetime.date(2024, 5, 1),
        "the id is a date (2024-05-01); an id must be text or a whole number: if these dates are the products' ids, "
        "store the id column as text",
    ),
    (
        datetime.datetime(2024, 5, 1, 10, 30),
        "the id is a date (2024-05-01T10:30:00); an id must be text or a whole number: if these dates are the "
        "products' ids, store the id column as text",
    ),
    (
        np.bool_(True),
        "the id is a yes/no value (true); an id must be text or a whole number: check that the id column is the "
        "products' ids (--columns id=COLUMN names another)",
    ),
    (
        False,
        "the id is a yes/no value (false); an id must be text or a whole number: check that the id column is the "
        "products' ids (--columns id=COLUMN names another)",
    ),
    (
        "p\ud83d",
        "the id holds half of a surrogate pair ('\\ud83d': a character such as an emoji, cut in two), which no "
        "output can hold; fix the id in the input",
    ),
    (
        "p\x001",
        "the id holds a NUL character ('\\x00'), at which readers of a CSV output cut it or stop; remove it from the "
        "id in the input",
    ),
    ([1, 2], "an id must be text or a whole number, not a list ([1, 2])"),
]


@pytest.mark.parametrize(("product_id", "why"), ID_PROBLEMS)
def test_an_id_that_cannot_name_a_product_is_an_error_record_saying_why_in_plain_words(
    product_id: Any, why: str
) -> None:
    # pydantic's "Input should be a valid string" said neither what the id was nor what to give; a NUL id was taken
    # and written as it was, and the CSV readers of the output stopped at it
    error = as_product({"id": product_id, "title": "Blue denim jeans"}, 2)
    assert isinstance(error, RecordError)
    assert (error.field, error.line, error.record_id) == ("id", 3, "line-3")  # named by its line
    assert error.message == f"batch:3: record line-3 field 'id': {why}"
    assert error_id(error, 3) == "line-3"


def test_an_id_problem_and_a_title_problem_are_both_named(tmp_path: Path) -> None:
    error = as_product({"id": datetime.date(2024, 5, 1), "title": ""}, 0)
    assert isinstance(error, RecordError)
    assert error.message.startswith("batch:1: record line-1 field 'id': the id is a date (2024-05-01); ")
    assert error.message.endswith("; has no title; every product needs a non-empty title")


def test_a_file_of_bad_ids_gives_one_error_record_each_and_reads_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    records = [
        {"id": "p\u0000", "title": "Blue denim jeans"},
        {"id": True, "title": "Wool scarf"},
        {"id": "p3", "title": "Steel cooking pot"},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in records) + '{"id": "\\udc00", "title": "Leather belt"}\n')
    read = list(read_products(src))
    assert [p.id for p in read if isinstance(p, Product)] == ["p3"]
    errors = [p for p in read if isinstance(p, RecordError)]
    assert [(e.line, e.field, e.record_id) for e in errors] == [(n, "id", f"line-{n}") for n in (1, 2, 4)]
    assert errors[0].message.startswith(f"{src}:1: record line-1 field 'id': the id holds a NUL character")
    assert errors[1].message.startswith(f"{src}:2: record line-2 field 'id': the id is a yes/no value (true)")
    assert errors[2].message.startswith(f"{src}:4: record line-4 field 'id': the id holds half of a surrogate pair")


def test_a_parquet_date_id_column_is_an_error_record_per_row_naming_the_row(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    dates = pa.array([datetime.date(2024, 5, 1), datetime.date(2024, 5, 2)], pa.date32())
    pq.write_table(pa.table({"id": dates, "title": ["Blue denim jeans", "Wool scarf"]}), src)
    errors = list(read_products(src))
    assert all(isinstance(e, RecordError) for e in errors)
    assert [e.message for e in errors] == [  # type: ignore[union-attr]
        f"{src}:{row}: record line-{row} field 'id': the id is a date (2024-05-0{row}); an id must be text or a "
        "whole number: if these dates are the products' ids, store the id column as text"
        for row in (1, 2)
    ]


def test_a_product_given_a_nul_id_by_the_api_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="the id holds a NUL character"):
        Product(id="p\x00", title="Blue denim jeans")
