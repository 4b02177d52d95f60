"""Fuzz tests (hypothesis) of the readers, the Python API and file runs: no traceback, and no record lost."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagllm.config import TaggerConfig
from tagllm.errors import InputError
from tagllm.field_values import utf8_cells
from tagllm.io import read_products, read_records
from tagllm.missing import is_nan_number
from tagllm.models import PRODUCT_FIELDS, Product, RecordError
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from([*PRODUCT_FIELDS, "extra", "labels", "gold_category", "sku", ""]) | st.text(max_size=6)
product_like = st.dictionaries(field_names, json_values, max_size=6) | st.fixed_dictionaries(
    {"title": st.text(max_size=30)}, optional={"id": json_values, "attributes": json_values, "images": json_values}
)


def _file(data: bytes, suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    handle.write(data)
    handle.close()
    return Path(handle.name)


def _read_all(path: Path) -> list[Product | RecordError]:
    try:
        return list(read_products(path))
    except InputError:  # an empty or UTF-16 input, a bad CSV header: one message before any record
        return []
    finally:
        path.unlink()


@FUZZ
@given(st.lists(st.binary(max_size=60) | st.text(max_size=40).map(str.encode), max_size=8))
def test_jsonl_reader_takes_any_bytes(lines: list[bytes]) -> None:
    for item in _read_all(_file(b"\n".join(lines), ".jsonl")):
        assert isinstance(item, Product | RecordError)


@FUZZ
@given(st.lists(st.binary(max_size=40) | st.text(max_size=40).map(str.encode), max_size=8))
def test_csv_reader_takes_any_bytes(lines: list[bytes]) -> None:
    for item in _read_all(_file(b"id,title,attributes,images\n" + b"\n".join(lines), ".csv")):
        assert isinstance(item, Product | RecordError)


# a row of blank cells is no product and is skipped by design (tests/test_csv_blank_cells.py): a sku is not blank
sku_text = st.text(min_size=1, max_size=10).filter(lambda s: s.strip() != "")


@FUZZ
@given(st.lists(st.tuples(sku_text, st.text(max_size=30)), min_size=1, max_size=8))
def test_csv_written_by_a_csv_writer_reads_back_exactly(rows: list[tuple[str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["sku", "name"])
    writer.writerows(rows)
    path = _file(buffer.getvalue().encode("utf-8"), ".csv")
    try:
        records = list(read_records(path))
    finally:
        path.unlink()
    assert [(r.data or {}).get("sku") or "" for r in records] == [sku for sku, _ in rows]
    assert [(r.data or {}).get("name") or "" for r in records] == [name for _, name in rows]


plain_text = st.text(st.characters(codec="utf-8", exclude_characters='"\r\n\x00,'), min_size=1, max_size=12)


@FUZZ
@given(st.lists(plain_text, min_size=2, max_size=8), st.data())
def test_a_stray_quote_in_csv_loses_no_row(titles: list[str], data: st.DataObject) -> None:
    lines = [f"{i},{title}" for i, title in enumerate(titles)]
    row = data.draw(st.integers(0, len(lines) - 1))
    at = data.draw(st.integers(0, len(lines[row])))
    lines[row] = lines[row][:at] + '"' + lines[row][at:]
    path = _file(("id,title\n" + "\n".join(lines) + "\n").encode("utf-8"), ".csv")
    try:
        records = list(read_records(path))
    finally:
        path.unlink()
    # every physical line is a record of its own: read, or reported with its line
    assert [r.line for r in records] == list(range(2, len(lines) + 2))
    for i, record in enumerate(records):
        if i != row:
            assert record.data is not None and record.data["id"] == str(i)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_parquet_reader_takes_any_column_types(data: st.DataObject) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    kinds = {
        "string": (pa.string(), st.text(max_size=10)),
        "int": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
        "float": (pa.float64(), st.floats()),
        "bool": (pa.bool_(), st.booleans()),
        "binary": (pa.binary(), st.binary(max_size=10)),
        "strings": (pa.list_(pa.string()), st.lists(st.text(max_size=5), max_size=3)),
        "struct": (pa.struct([("k", pa.string())]), st.fixed_dictionaries({"k": st.text(max_size=5)})),
    }
    names = data.draw(st.lists(st.sampled_from([*PRODUCT_FIELDS, "extra", "sku"]), min_size=1, max_size=5, unique=True))
    n = data.draw(st.integers(1, 5))
    columns = {}
    for name in names:
        arrow_type, values = kinds[data.draw(st.sampled_from(sorted(kinds)))]
        columns[name] = pa.array(data.draw(st.lists(st.none() | values, min_size=n, max_size=n)), type=arrow_type)
    path = _file(b"", ".parquet")
    pq.write_table(pa.table(columns), path)
    items = _read_all(path)
    assert all(isinstance(i, Product | RecordError) for i in items)
    # a row whose cells are all empty is no product (none at all: the input is refused as empty)
    filled = sum(any(not _blank(columns[name][i].as_py()) for name in names) for i in range(n))
    # a row of photos alone continues the product before it (one product's photos over several rows): one item less
    assert len(items) == filled if "images" not in names else min(1, filled) <= len(items) <= filled


def _blank(value: Any) -> bool:
    """A cell the reader takes for no value: none, blank text, or NaN (a float column's missing cell, as pandas writes
    it): a row of one NaN id was counted as a product the reader (rightly) found none in, failing at random. Bytes
    count as the text they hold, as the reader reads them (``utf8_cells``): an id of b"" is as blank as ""."""
    if isinstance(value, bytes):
        value = utf8_cells(value)
    return value is None or (isinstance(value, str) and not value.strip()) or is_nan_number(value)


@pytest.fixture(scope="module")
def tagger(demo_taxonomy, demo_index_dir, embedder):  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    return Tagger(demo_taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=5))


@SLOW_FUZZ
@given(items=st.lists(json_values | product_like, max_size=6))
def test_the_python_api_answers_every_item(tagger: Tagger, items: list[Any]) -> None:
    results = tagger.tag(items)
    assert len(results) == len(items)
    for result in results:
        json.loads(result.model_dump_json())  # every result can be written out
        assert (result.status == "error") == (result.error is not None)


@SLOW_FUZZ
@given(lines=st.lists(st.sampled_from(['{"id": "a", "title": "Blue jeans"}', '{"title": "Gold ring"}', "{", "[]", ""])
                      | st.text(max_size=30), min_size=1, max_size=8))  # fmt: skip
def test_a_file_run_ends_with_one_row_per_record(tagger: Tagger, lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        src.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            records = list(read_records(src))
        except InputError:
            return  # nothing to tag: the run refuses it the same way
        summary = tagger.tag_file(src, out)
        ids = [json.loads(line)["product_id"] for line in out.read_text(encoding="utf-8").splitlines()]
        assert len(ids) == len(set(ids)) == len(records) - summary.duplicates
        assert summary.tagged + summary.failed == len(ids)
