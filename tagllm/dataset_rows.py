"""A Ray dataset's rows as the distributed pipeline reads them: each product row as JSON text in one column with the
id its result is written under, one row per product id, numpy batches as rows of plain Python values, and rows as
products or as error records named by their id (or, without one, by their content)."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np

from tagllm.field_values import id_problem, is_number, undecoded_problem, utf8_cells
from tagllm.io import row_to_product
from tagllm.io.products import is_missing_id, is_whole_float
from tagllm.models import PRODUCT_FIELDS, Product, RecordError

RECORD = "__tagllm_record__"  # the column of the first stage's rows: each product row as JSON text


NAME = "__tagllm_name__"  # and the product id its result is written under (``row_name``)


REPEAT = "__tagllm_repeat__"  # in a record: the row repeats another's product id; what its error row says


UNREADABLE = "__tagllm_unreadable__"  # in a record: the field of the row that could not be read, and why


def record_column(dataset: Any) -> Any:
    """Each product row as JSON text in one column, read one block at a time (``batch_size=None``: blocks are never
    joined there) with the block's own Arrow types. Blocks whose columns differ in type (a title read as a number
    in one file) failed the whole job when Ray joined them into a batch; and a numpy batch made an integer id next
    to a null a float (product id '17.0', not '17')."""
    return dataset.map_batches(as_records, batch_size=None, batch_format="pyarrow", zero_copy_batch=True)


def as_records(table: Any) -> dict[str, list[str]]:
    records = [json.dumps(_text_cells(row), ensure_ascii=False, default=str) for row in table.to_pylist()]
    # each named as ``as_products`` names it
    return {RECORD: records, NAME: [row_name(json.loads(text)) for text in records]}


def _text_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A row with the bytes in each cell (a text column stored as binary, or a list or map of texts: queries as
    ``list<binary>``) as their UTF-8 text: JSON wrote Python's repr of them, product "b'p1'" titled "b'Red dress'",
    tagged. A row whose product field holds bytes that are not UTF-8 becomes its error, named by its id (or by its
    content, when the id is such bytes), as a file run names one; other columns' such bytes are kept as Python writes
    them."""
    cells = {key: utf8_cells(value) for key, value in row.items()}
    for field in PRODUCT_FIELDS:
        problem = undecoded_problem(cells.get(field))
        if problem is not None:
            name = content_name(cells) if field == "id" else row_name(cells)
            message = f"record {name!r} field {field!r}: {problem}"
            return {"id": name, UNREADABLE: {"field": field, "message": message}}
    unusable = unusable_id(cells)
    if unusable is not None:  # JSON would write a date as its text, taken for an id a Parquet file's run refuses
        return {"id": unusable.record_id, UNREADABLE: {"field": "id", "message": unusable.message}}
    return cells


def unusable_id(row: dict[str, Any]) -> RecordError | None:
    """The error of a row whose id is of a type no product id is (a date, a time, a list: ``id_problem``), named by
    its content, as a Parquet file's run refuses the same cell. A date column taken for the ids gave every product of
    a day one id (the rest dropped as repeats); a JSON record turned a date into its text, taken, and a numpy batch's
    row was named "record datetime.date(2024, 5, 1)". A yes/no id is left for validation to name, as in a file run."""
    value = row.get("id")
    problem = None if isinstance(value, str | bool) or is_missing_id(value) else id_problem(value)
    if problem is None:
        return None
    name = content_name(row)
    return RecordError(field="id", record_id=name, message=f"record {name!r} field 'id': {problem}")


def one_per_id(group: dict[str, Any]) -> dict[str, list[str]]:
    """The rows of one product id (``tag_dataset``'s ``check_ids``): the first is tagged, each other one becomes an
    error row under the id, saying it repeats it (a file run reports a repeat in its summary; a dataset has none)."""
    records, names = list(group[RECORD]), [str(n) for n in group[NAME]]
    for i in range(1, len(records)):
        name = names[i]
        if own_id(json.loads(records[i]).get("id")) is None:
            said = f"row {name!r} has no id of its own and the same content as another row, named alike"
        else:
            said = f"record {name!r}: product id {name!r} again (another row of the dataset has it)"
        records[i] = json.dumps({"id": name, REPEAT: f"{said}; only one row per product id is tagged"})
    return {RECORD: records, NAME: names}


def product_rows(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """The product rows of a batch: of records (``record_column``, what ``tag_dataset`` hands over), or of product
    columns (a worker called on a dataset of one's own)."""
    if RECORD in batch:
        return [json.loads(text) for text in batch[RECORD]]
    return batch_rows(batch)


def batch_rows(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """A numpy batch as row dicts of plain Python values."""
    columns = list(batch)
    size = len(batch[columns[0]]) if columns else 0
    return [{c: _plain(batch[c][i]) for c in columns} for i in range(size)]


def as_products(rows: list[dict[str, Any]]) -> list[Product | RecordError]:
    """Rows as products, or error records that name the product by its id (a dataset has no line to name a row by,
    and a row's place in a block repeats in every block). A row without an id (or with a blank or NaN one, or one
    that is not a string or a number) is named by its content, ``row-`` and 12 hex digits: the same row gets the same
    name in every run."""
    products: list[Product | RecordError] = []
    for row in rows:
        if row.get(REPEAT):
            products.append(RecordError(field="id", record_id=str(row["id"]), message=row[REPEAT]))
            continue
        if row.get(UNREADABLE):
            products.append(RecordError(record_id=str(row["id"]), **row[UNREADABLE]))
            continue
        unusable = unusable_id(row)  # a numpy batch's row, not read through ``as_records``
        if unusable is not None:
            products.append(unusable)
            continue
        if is_missing_id(row.get("id")):
            row["id"] = content_name(row)
        item = row_to_product(row)
        if isinstance(item, RecordError) and item.record_id is None:
            item = item.model_copy(update={"record_id": content_name(row)})
        products.append(item)
    return products


def row_name(row: dict[str, Any]) -> str:
    """The product id a row's result is written under (see ``as_products``)."""
    return own_id(row.get("id")) or content_name(row)


def own_id(value: Any) -> str | None:
    """A row's id as its product's id (``to_product`` reads it so), or None: missing, blank, or of a type no product
    id is (named by content). A whole float is its integer: named "17.0", a row of id 17.0 was not found to repeat the
    row of id 17, and both were tagged, two results under product id '17'."""
    if is_missing_id(value) or isinstance(value, bool) or not (isinstance(value, str) or is_number(value)):
        return None
    return str(int(value) if is_whole_float(value) else value).strip()


def content_name(row: dict[str, Any]) -> str:
    content = json.dumps({k: v for k, v in row.items() if k != "id"}, sort_keys=True, default=str)
    return "row-" + hashlib.sha1(content.encode("utf-8")).hexdigest()[:12]


def to_columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    return {name: [row.get(name) for row in rows] for name in names}


def _plain(value: Any) -> Any:
    """Ray hands numpy scalars and arrays; the product model wants Python values. A column that is null in every row
    of a block has Arrow's null type, which a numpy batch holds as NaN: that is no value, not the number NaN."""
    if isinstance(value, np.datetime64) and np.datetime_data(value.dtype)[0] in ("ns", "ps", "fs", "as"):
        value = value.astype("datetime64[us]")  # ``tolist`` gives nanoseconds (pandas' unit) as an integer, no date
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
