"""Batch I/O: read products (JSONL, CSV, Parquet; file or stdin), write results, resume an interrupted run."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from tagllm.errors import InputError, missing_dependency
from tagllm.models import GOLD_PREFIX, PRODUCT_FIELDS, Product, RecordError, TagResult, suggest_field

FORMATS = ("jsonl", "csv", "parquet")
STDIO = "-"


@dataclass
class Record:
    """One input record: its line (1-based; row number for CSV/Parquet) and the raw mapping, or why it is bad."""

    line: int
    data: dict[str, Any] | None
    error: RecordError | None = None


def detect_format(path: str | Path, given: str | None = None) -> str:
    if given:
        if given not in FORMATS:
            raise InputError(f"unknown format {given!r}; use one of: {', '.join(FORMATS)}")
        return given
    if str(path) == STDIO:
        return "jsonl"
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in {"jsonl", "ndjson", "json"}:
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    raise InputError(f"{path}: cannot tell the format from the extension; pass --input-format (jsonl, csv, parquet)")


def read_records(source: str | Path, *, format: str | None = None) -> Iterator[Record]:
    """Yield raw records; a malformed line becomes a Record with an error and reading goes on."""
    fmt = detect_format(source, format)
    name = "<stdin>" if str(source) == STDIO else str(source)
    if str(source) != STDIO:
        path = Path(source)
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise InputError(f"{path}: the file is empty: no products to read")
    if fmt == "parquet":
        yield from _read_parquet(Path(source))
        return
    raw = sys.stdin.buffer.read() if str(source) == STDIO else Path(source).read_bytes()
    if not raw.strip():
        raise InputError(f"{name}: the input is empty: no products to read")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: the file is UTF-16; re-save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")
    if fmt == "jsonl":
        yield from _read_jsonl(raw, name)
    else:
        yield from _read_csv(raw, name)


def _read_jsonl(raw: bytes, name: str) -> Iterator[Record]:
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield Record(
                lineno,
                None,
                RecordError(
                    line=lineno,
                    message=(
                        f"{name}:{lineno}: not UTF-8 (byte {exc.start} is {line[exc.start]:#04x}); "
                        "re-save the file as UTF-8"
                    ),
                ),
            )
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Record(
                lineno,
                None,
                RecordError(
                    line=lineno,
                    message=(f"{name}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})"),
                ),
            )
            continue
        if not isinstance(data, dict):
            yield Record(
                lineno,
                None,
                RecordError(
                    line=lineno,
                    message=(f"{name}:{lineno}: expected a JSON object per line, got {type(data).__name__}"),
                ),
            )
            continue
        yield Record(lineno, data)


def _read_csv(raw: bytes, name: str) -> Iterator[Record]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{name}:{line}: not UTF-8 (byte {exc.start}); re-save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in reader:
        lineno = reader.line_num
        if None in row:  # DictReader files surplus cells under the key None
            yield Record(
                lineno,
                None,
                RecordError(line=lineno, message=f"{name}:{lineno}: more cells than header columns"),
            )
            continue
        yield Record(lineno, {key: _cell(key, value) for key, value in row.items()})


def _cell(key: str, value: str | None) -> Any:
    if value is None or value == "":
        return None
    if key in {"attributes", "labels", "images", "queries", "extra"} and value.lstrip()[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if key in {"images", "queries"}:
        return [v.strip() for v in value.split("|") if v.strip()]
    return value


def _read_parquet(path: Path) -> Iterator[Record]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_dependency("pyarrow", "parquet", "reading Parquet") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a broken file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    for row, data in enumerate(table.to_pylist(), 1):
        yield Record(row, {k: v for k, v in data.items() if v is not None})


def unknown_columns(records: Iterable[Record], limit: int = 50) -> dict[str, str | None]:
    """Columns of the first records that are not product fields: column -> the field it was probably meant as."""
    seen: dict[str, str | None] = {}
    for i, record in enumerate(records):
        if i >= limit:
            break
        for key in record.data or {}:
            if key not in PRODUCT_FIELDS and not key.startswith(GOLD_PREFIX) and key not in {"labels", "extra"}:
                seen.setdefault(key, suggest_field(key))
    return seen


def to_product(record: Record, name: str, cls: type[Product] = Product) -> Product | RecordError:
    """Validate a raw record; the error names the file, line and field."""
    if record.error is not None:
        return record.error
    data = dict(record.data or {})
    if data.get("id") in (None, ""):
        data["id"] = f"line-{record.line}"
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        if field == "title" and err["type"] in {"missing", "string_too_short"}:
            msg = "has no title; every product needs a non-empty title"
        else:
            msg = f"field {field!r}: {err['msg']}"
        return RecordError(
            field=field,
            line=record.line,
            record_id=str(data["id"]),
            message=f"{name}:{record.line}: record {data['id']!r} {msg}",
        )


def read_products(source: str | Path, *, format: str | None = None) -> Iterator[Product | RecordError]:
    name = "<stdin>" if str(source) == STDIO else str(source)
    for record in read_records(source, format=format):
        yield to_product(record, name)


# -- output --------------------------------------------------------------------------------------------------------
def flat_row(result: TagResult, facets: list[str]) -> dict[str, Any]:
    """A table row for CSV/Parquet: per facet the tag names, ids and confidences joined by ' | '."""
    row: dict[str, Any] = {
        "product_id": result.product_id,
        "status": result.status,
        "error": result.error.message if result.error else "",
    }
    for facet in facets:
        tags = result.tags.get(facet, [])
        row[facet] = " | ".join(t.path or t.name for t in tags if t.source != "ancestor")
        row[f"{facet}_id"] = " | ".join(t.id for t in tags if t.source != "ancestor")
        row[f"{facet}_confidence"] = " | ".join(f"{t.confidence:.3f}" for t in tags if t.source != "ancestor")
    row["rejected"] = " | ".join(r.text for r in result.rejected)
    return row


class ResultWriter:
    """Writes results as they come (JSONL flushed per batch, so a crash loses at most the batch in flight)."""

    def __init__(self, target: str | Path, *, format: str | None = None, facets: list[str], append: bool = False):
        self.format = detect_format(target, format)
        self.facets = facets
        self.target = target
        self._rows: list[dict[str, Any]] = []
        self._stream: IO[str] | None = None
        self._csv: csv.DictWriter[str] | None = None
        if self.format == "parquet" and str(target) == STDIO:
            raise InputError("Parquet cannot be written to stdout; give an output file")
        if self.format != "parquet":
            if str(target) == STDIO:
                self._stream = sys.stdout
            else:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                if append:
                    _drop_partial_line(Path(target))
                self._stream = open(target, "a" if append else "w", encoding="utf-8", newline="")  # noqa: SIM115
            if self.format == "csv":
                fields = list(flat_row(TagResult(product_id=""), facets))
                self._csv = csv.DictWriter(self._stream, fieldnames=fields)
                if not (append and Path(target).exists() and Path(target).stat().st_size > 0):
                    self._csv.writeheader()

    def write(self, results: Iterable[TagResult]) -> None:
        for result in results:
            if self.format == "jsonl":
                assert self._stream is not None
                self._stream.write(result.model_dump_json(exclude_none=True) + "\n")
            elif self.format == "csv":
                assert self._csv is not None
                self._csv.writerow(flat_row(result, self.facets))
            else:
                row = flat_row(result, self.facets)
                row["result_json"] = result.model_dump_json(exclude_none=True)
                self._rows.append(row)
        if self._stream is not None:
            self._stream.flush()

    def close(self) -> None:
        if self.format == "parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:
                raise missing_dependency("pyarrow", "parquet", "writing Parquet") from None
            pq.write_table(pa.Table.from_pylist(self._rows), str(self.target))
        elif self._stream is not None and self._stream is not sys.stdout:
            self._stream.close()


def _drop_partial_line(path: Path) -> None:
    """Cut a last line left half-written by a crash, so appended results start on a line of their own."""
    if not path.exists() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def done_ids(target: str | Path) -> set[str]:
    """Product ids already written to a JSONL or CSV output, so an interrupted run can resume after them."""
    path = Path(target)
    if str(target) == STDIO or not path.exists() or path.stat().st_size == 0:
        return set()
    fmt = detect_format(path)
    ids: set[str] = set()
    if fmt == "jsonl":
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    ids.add(json.loads(line)["product_id"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut off by the crash: that product is tagged again
    elif fmt == "csv":
        with path.open(encoding="utf-8", newline="") as fh:
            ids = {row["product_id"] for row in csv.DictReader(fh) if row.get("product_id")}
    return ids
