"""Records to products: a raw record or a batch item becomes a ``Product``, or the error record naming why not.

Never an exception: a bad record is data (an error record naming the file or batch position, the line and the
field), and the rest of the input goes on.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from tagllm.field_values import id_problem, is_infinite, is_number, utf8_cells
from tagllm.io.readers import Record, RecordSource
from tagllm.missing import is_blank_cell
from tagllm.models import Product, RecordError

MAX_PROBLEMS_NAMED = 3  # a record's error names its first fields at fault, then says how many more there are
LINE_ID = re.compile(r"line-[0-9]+")  # the form of the id a record without one is named by: its line


def line_id(line: int) -> str:
    """The product id of the record on ``line`` when it has no id of its own, or cannot be read."""
    return f"line-{line}"


def read_products(
    source: str | Path, *, format: str | None = None, columns: dict[str, str] | None = None
) -> Iterator[Product | RecordError]:
    """The products of a JSONL/CSV/Parquet file (or '-' for stdin), each bad record an error record."""
    records = RecordSource(source, format=format, columns=columns)
    for record in records:
        yield to_product(record, records.name)


def to_product(record: Record, name: str, cls: type[Product] = Product) -> Product | RecordError:
    """Validate a raw record; the error names the file, the line and each field at fault (``field``: the first).
    With no ``name`` (a dataset row, see ``row_to_product``) the error names the record by its id alone, and a
    record with an id of another type gets no ``record_id``."""
    if record.error is not None:
        return named_error(record, name)
    data = dict(record.data or {})
    if is_missing_id(data.get("id")):
        data["id"] = line_id(record.line)  # a blank id too: stripped, it would be "", the same for every such record
    elif isinstance(data["id"], UUID):  # its text, as the product reads it: an error record is named by it too
        data["id"] = str(data["id"])
    elif is_whole_float(data["id"]):
        data["id"] = int(data["id"])
    elif isinstance(data["id"], bytes):  # a binary id column: its text names the record's error too
        data["id"] = utf8_cells(data["id"])
    try:
        product = cls.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err, data) for err in exc.errors()]
        if len(problems) > MAX_PROBLEMS_NAMED:
            problems[MAX_PROBLEMS_NAMED:] = [f"and {len(problems) - MAX_PROBLEMS_NAMED} more"]
        usable = (isinstance(data["id"], str) or is_number(data["id"])) and _writable(data["id"])
        record_id = str(data["id"]).strip() if usable else line_id(record.line) if name else None
        # an id that cannot name the record (a date, half a surrogate pair) is not shown as Python writes it
        # ("record datetime.date(2024, 5, 1)"): the record is named as its error row is, by its line
        named = _short(data["id"]) if usable or is_number(data["id"]) or not name else line_id(record.line)
        return RecordError(
            field=_field(exc.errors()[0]),
            line=record.line if name else None,
            record_id=record_id,
            message=f"{f'{name}:{record.line}: ' if name else ''}record {named} {'; '.join(problems)}",
        )
    if cls is Product and is_wordless(product):  # an example's labels are checked where examples are read
        return wordless_error(product, name, record.line)
    return product


def named_error(record: Record, name: str) -> RecordError:
    """A bad record's error, named by the id its readable fields hold (``Record.readable``) when that is one a
    product could have, its line kept in the message; else as it came, named by its line (``line-N``): an error row
    named ``line-2`` named no product the user knew, nor one they could look up in the output by its id."""
    error, given = record.error, (record.readable or {}).get("id")
    assert error is not None  # called for a bad record only
    if error.record_id is not None or is_missing_id(given) or not (isinstance(given, str) or is_number(given)):
        return error
    record_id = str(given).strip()
    if not _writable(given) or claims_another_line(record_id, record.line):
        return error
    where = f"{name}:{record.line}: "
    message = error.message
    if name and message.startswith(where):
        message = f"{where}record {record_id!r}: {message[len(where) :]}"
    return error.model_copy(update={"record_id": record_id, "message": message})


def wordless_error(
    product: Product,
    name: str | None,
    line: int | None,
    hidden: Sequence[str] = (),
    *,
    photos_unread: str | None = None,
) -> RecordError:
    """The error record of a product with no words to tag it from (``has_no_words``), on ``line`` of ``name``;
    ``hidden``: the fields that held its words and that the tagger is told not to read (``ignore_fields``);
    ``photos_unread``: it lists photos, and the tagger reads none, for this reason."""
    where = f"{name}:{line}: " if name else ""
    reasons = [f"ignore_fields hides its {', '.join(hidden)}"] if hidden else []
    if photos_unread:
        reasons.append(f"this tagger reads no photos ({photos_unread})")
    rest = ", and ".join(reasons) or "it has no description, brand, attributes, queries or photos"
    return RecordError(
        field="title",
        line=line if name else None,
        record_id=product.id,
        message=f"{where}record {product.id!r} has no words to tag it from: its title {product.title!r} holds no "
        f"letter or digit, and {rest}; give it a title that names the product",
    )


def is_wordless(product: Product) -> bool:
    """Whether a product holds no letter or digit in any text and no photo (a title of emoji or symbols alone: "👗",
    "!!!"): tagged, it got no tags with no default's word to read, or the index's guess from an embedding of no
    words ("!!!" as Bras, 0.74 confident, on the Flipkart demo index), counted as tagged either way."""
    return not product.images and has_no_words(product)


def has_no_words(product: Product) -> bool:
    """Whether a product's text holds no letter or digit (its photos aside)."""
    texts = [product.title, product.description or "", product.brand or "", *product.queries]
    texts += [str(value) for value in product.attributes.values()]  # a key with no value ("Color": "") says nothing
    return not any(character.isalnum() for text in texts for character in text)


def is_missing_id(value: Any) -> bool:
    """Whether a record's id is missing: none, blank, or NaN (a float id column's missing cell, as pandas writes it),
    which read as "nan" would be one id shared by every such record, all but the first reported as repeats."""
    return is_blank_cell(value)


def is_whole_float(value: Any) -> bool:
    """Whether an id is a float holding a whole number: an integer id column with a missing cell, which pandas and
    Parquet keep as floats. Read as it is, id 1 was the product '1.0', not the '1' a CSV of the same table names (a
    JSONL number is read as its line writes it, before this)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, numbers.Integral)
        and math.isfinite(value)
        and float(value).is_integer()
    )


def _writable(value: Any) -> bool:
    """Whether an id names its record: not infinite (every number past a float's range is "inf"), and writable as
    UTF-8: a JSON string may hold half a surrogate pair (``"\\ud83d"``, an emoji cut short), which no output can, so
    the error record is named by its line instead (writing it crashed the run); nor one holding a NUL, which readers
    of a CSV output cut the id at (``models.id_problem``)."""
    return not is_infinite(value) and id_problem(value) is None


def row_to_product(row: Mapping[str, Any]) -> Product | RecordError:
    """A dataset row (Ray Data) as a Product, or the error record naming the record by its id: a row has no line, and
    its place in a block, the same in every block, names no record."""
    return to_product(Record(0, dict(row)), "")


def _problem(err: Any, data: dict[str, Any]) -> str:
    field = _field(err)
    empty = err["type"] in {"missing", "string_too_short"} or is_missing_id(data.get("title"))  # a CSV cell, NaN
    if field == "title" and empty:
        return "has no title; every product needs a non-empty title"
    if err["type"] == "value_error" and "error" in err.get("ctx", {}):  # a validator's own message, without pydantic's
        return f"field {field!r}: {err['ctx']['error']}"  # "Value error, " before it
    return f"field {field!r}: {err['msg']}"


def _field(err: Any) -> str | None:
    return ".".join(str(p) for p in err["loc"]) or None


# Tables a batch job holds its products in, by (top package, class), and the call that gives their rows as dicts.
TABLE_ROWS = {
    ("pandas", "DataFrame"): 'df.to_dict("records")',
    ("pyarrow", "Table"): "table.to_pylist()",
    ("pyarrow", "RecordBatch"): "batch.to_pylist()",
    ("polars", "DataFrame"): "df.to_dicts()",
}


def check_batch(items: Any) -> None:
    """Refuse one product where a batch is expected: iterated, it would be read as several bad records (a dict's
    keys, a Product's (field, value) pairs, a string's letters, a pandas row's cells); and a table, which iterated
    gives its columns, not its rows (a 1,000-row DataFrame was three error records, one per column name). A pandas
    Series of records (a column of dicts, ``df["record"]``) is a batch, not a row: it was refused as one product."""
    if _is_pandas(items, "Series") and all(isinstance(value, Mapping | Product | BaseModel) for value in items):
        return
    if isinstance(items, Mapping | Product | str | bytes) or _fields_of(items) is not None:
        raise TypeError(
            f"a tagger takes a batch (a list) of products, not a single {type(items).__name__}; "
            "for one product, pass [product]"
        )
    rows = _table_rows(items)
    if rows is not None:
        raise TypeError(
            f"a tagger takes a batch (a list) of products, not a {type(items).__name__}, which gives its columns when "
            f"iterated, not its rows; pass its rows as dicts: {rows}"
        )
    if not _iterable(items):  # None (a query that returned nothing) was "'NoneType' object is not iterable"
        kind = type(items).__name__
        shown = f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}" + (f" ({items!r})" if is_number(items) else "")
        shown = "None" if items is None else shown
        raise TypeError(f"a tagger takes a batch (a list) of products, not {shown}")


def _iterable(value: Any) -> bool:
    """Whether ``iter`` takes ``value`` (a generator is not advanced; an object with ``__getitem__`` alone is taken)."""
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _table_rows(value: Any) -> str | None:
    """The call that gives a table's rows as dicts (``TABLE_ROWS``), or None for anything that is not such a table."""
    kind = type(value)
    return TABLE_ROWS.get((kind.__module__.partition(".")[0], kind.__name__))


def as_product(item: Any, position: int) -> Product | RecordError:
    """A batch item (a Product, a dict, a pandas row, a pydantic model or dataclass of the caller's, or an error
    record already) at 0-based ``position`` as a Product, or the error record saying why it is not one (named
    ``batch:N``, N 1-based)."""
    if isinstance(item, RecordError):
        return item
    if isinstance(item, Product):  # built by the caller: read as a dict's fields would be
        return wordless_error(item, "batch", position + 1) if is_wordless(item) else item
    where = f"batch:{position + 1}"
    try:
        fields = _fields_of(item)
    except Exception as exc:  # a dataclass field asdict cannot copy (a lock), a computed field that raises
        message = f"{where}: cannot read the fields of {type(item).__name__} ({type(exc).__name__}: {exc})"
        return RecordError(line=position + 1, message=message)
    if fields is not None:
        item = fields
    if not isinstance(item, Mapping):
        message = f"{where}: expected a product (a dict with a title, or a Product), got {_kind(item)}"
        return RecordError(line=position + 1, message=message)
    bad_keys = [key for key in item if not isinstance(key, str)]
    if bad_keys:
        message = f"{where}: field names must be strings, got {bad_keys[0]!r}"
        return RecordError(line=position + 1, message=message)
    return to_product(Record(position + 1, dict(item)), "batch")


def _fields_of(item: Any) -> dict[str, Any] | None:
    """The fields of an item that is one record without being a dict: a pandas row (``df.iterrows()`` gives Series,
    ``df.itertuples()`` namedtuples), a pydantic model, a dataclass or a namedtuple of the caller's own; None for
    anything else."""
    if isinstance(item, Product):
        return None
    if isinstance(item, BaseModel):
        try:  # URLs (``HttpUrl``), decimals, dates as their text: as Python objects, photo URLs were refused
            return item.model_dump(mode="json")
        except PydanticSerializationError:  # a field of a type pydantic cannot write (arbitrary_types_allowed)
            return item.model_dump()
    if dataclasses.is_dataclass(item) and not isinstance(item, type):  # an instance, not the class
        return dataclasses.asdict(item)
    if _is_pandas(item, "Series"):
        return dict(item.to_dict())
    if callable(getattr(item, "_asdict", None)) and hasattr(item, "_fields"):  # a namedtuple (``df.itertuples()``)
        return dict(item._asdict())  # or a database row that reads as one (SQLAlchemy's Row)
    if callable(getattr(item, "keys", None)) and hasattr(item, "__getitem__") and _table_rows(item) is None:
        return dict(item)  # a database row read by column name (sqlite3.Row, asyncpg): dict() reads it by its keys()
    return None


def _is_pandas(value: Any, name: str) -> bool:
    return type(value).__module__.startswith("pandas") and type(value).__name__ == name


def error_id(error: RecordError, position: int) -> str:
    """The product id an error record is written under: the record's id, else its line (else ``position``)."""
    return error.record_id or line_id(error.line or position)


def claims_another_line(product_id: str, line: int) -> bool:
    """Whether ``product_id`` is the name of another line's record (``line-M`` read on line N): in a file run it
    could be taken for the record on line M, were that one without an id or unreadable, and one of the two would
    then be lost as a repeat, or on resume be thought done."""
    return LINE_ID.fullmatch(product_id) is not None and product_id != line_id(line)


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {_short(value, 40)}"


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
