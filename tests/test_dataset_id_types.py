"""A Ray dataset's id column of a date, a timestamp, a decimal or a float type: each row's id reads as a file run
reads the same Parquet cell. Runs the row functions without Ray (not installed here)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tagllm.dataset_rows import NAME, RECORD, as_products, as_records, batch_rows, one_per_id, product_rows
from tagllm.io import read_products
from tagllm.models import Product, RecordError

pa = pytest.importorskip("pyarrow")

DATE_ID = (
    "the id is a date ({}); an id must be text or a whole number: if these dates are the products' ids, store the id "
    "column as text"
)


def dataset_ids(column: object) -> list[Product | RecordError]:
    """The products of one block of a dataset whose id column is ``column``, as ``tag_dataset`` reads them."""
    return as_products(product_rows(as_records(pa.table({"id": column, "title": ["Red dress"]}))))


def file_ids(column: object, tmp_path: Path) -> list[Product | RecordError]:
    import pyarrow.parquet as pq

    source = tmp_path / "products.parquet"
    pq.write_table(pa.table({"id": column, "title": ["Red dress"]}), source)
    return list(read_products(source))


@pytest.mark.parametrize(
    ("column", "shown"),
    [
        (pa.array([datetime.date(2024, 5, 1)]), "2024-05-01"),
        (pa.array([datetime.datetime(2024, 5, 1, 10, 30)]), "2024-05-01T10:30:00"),
    ],
)
def test_a_date_id_column_is_refused_as_a_file_run_refuses_it(column: object, shown: str, tmp_path: Path) -> None:
    """JSON wrote the date as its text ('2024-05-01', a timestamp as '2024-05-01 10:30:00'), taken for the id, where a
    file run of the same Parquet column refuses it: a date column taken for the ids gives every product of a day
    one id."""
    (row,) = dataset_ids(column)
    assert isinstance(row, RecordError) and row.field == "id" and row.record_id.startswith("row-")
    assert row.message == f"record {row.record_id!r} field 'id': {DATE_ID.format(shown)}"
    (record,) = file_ids(column, tmp_path)
    assert isinstance(record, RecordError) and record.message.endswith(f"field 'id': {DATE_ID.format(shown)}")


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (pa.array([Decimal("12.50")], type=pa.decimal128(5, 2)), "12.50"),
        (pa.array([Decimal("17")], type=pa.decimal128(5, 0)), "17"),
        (pa.array([17.0]), "17"),
        (pa.array([17], type=pa.int32()), "17"),
    ],
)
def test_a_number_id_reads_as_in_a_file_run_and_names_its_row_alike(
    column: object, expected: str, tmp_path: Path
) -> None:
    (product,) = dataset_ids(column)
    (record,) = file_ids(column, tmp_path)
    assert isinstance(product, Product) and isinstance(record, Product) and product.id == record.id == expected
    assert as_records(pa.table({"id": column, "title": ["Red dress"]}))[NAME] == [expected]


def test_a_float_id_repeating_an_integer_id_of_another_block_is_found_to_repeat_it() -> None:
    """A float id column (an integer one with a missing cell) named its row '17.0', an integer one '17': grouped apart,
    both rows were tagged, two results under product id '17'."""
    first = as_records(pa.table({"id": pa.array([17.0]), "title": ["Red dress"]}))
    second = as_records(pa.table({"id": pa.array([17]), "title": ["Wool scarf"]}))
    assert first[NAME] == second[NAME] == ["17"]
    group = {column: np.array(first[column] + second[column], dtype=object) for column in (RECORD, NAME)}
    kept, repeat = as_products(product_rows(one_per_id(group)))
    assert isinstance(kept, Product) and kept.id == "17"
    assert isinstance(repeat, RecordError) and repeat.message == (
        "record '17': product id '17' again (another row of the dataset has it); only one row per product id is tagged"
    )


def test_a_numpy_batchs_date_id_is_refused_naming_the_row_by_its_content() -> None:
    """A worker called on a dataset of one's own gets numpy batches: a date id was named "record datetime.date(2024,
    5, 1)", and a timestamp in nanoseconds (pandas' unit) became an integer id, 1714559400000000000, tagged."""
    for ids, shown in [
        (np.array(["2024-05-01"], dtype="datetime64[D]"), "2024-05-01"),
        (np.array(["2024-05-01T10:30"], dtype="datetime64[ns]"), "2024-05-01T10:30:00"),
    ]:
        (row,) = as_products(batch_rows({"id": ids, "title": np.array(["Red dress"], dtype=object)}))
        assert isinstance(row, RecordError) and row.record_id.startswith("row-")
        assert row.message == f"record {row.record_id!r} field 'id': {DATE_ID.format(shown)}"
    (row,) = as_products(batch_rows({"id": np.array([Decimal("12.50")], dtype=object), "title": np.array(["Mug"])}))
    assert isinstance(row, Product) and row.id == "12.50"
