"""What a result's row holds: its outcome, the CSV/Parquet columns, the input columns it keeps, and the fingerprint
of the product it was tagged from (by which ``--resume`` tells an edited record), and the facets and kept columns
refused for clashing with those columns. Shared by the writers, by resume's reading of an output and by
``tagllm generate``'s early checks."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Sequence
from typing import Any

from tagllm.errors import InputError
from tagllm.field_values import attribute_texts
from tagllm.missing import is_missing_cell
from tagllm.models import NO_PHOTO_NOTE, NOT_FETCHED_NOTE, TagResult

# a row's outcome; fell_back: ok, but the LLM it was routed to failed; partial: ok, but a step asking for some facets
# failed (two_step's attribute step: the category stands); degraded: ok, but tagged from the text alone because none
# of its photos could be read. Resume tags all three again. unfetched: ok, tagged from the text alone because its
# photos are remote URLs that were not to be fetched: resume tags it again with --allow-remote-images only.
OK, ERROR, FELL_BACK, PARTIAL, DEGRADED, UNFETCHED = "ok", "error", "fell_back", "partial", "degraded", "unfetched"
FELL_BACK_NOTE = "the LLM failed, the default's tags were kept: "
PARTIAL_NOTE = "partial result, the category kept: "  # then why the step asking for the other facets failed
KEPT_DEFAULT_NOTE = "the default's tags were kept in {facet}: "  # an LLM answer that mapped to nothing there
HASH_COLUMN = "input_hash"  # a fingerprint of what the tagger read of the product: resume retags an edited record
FINGERPRINT_DIGITS = 16
TAGGED_FIELDS = {"title", "description", "brand", "attributes", "images", "queries"}
BINARY_PREFIX = "base64:"  # a kept cell of bytes that are not UTF-8 text, written as their base64
SURROGATE = re.compile(r"[\ud800-\udfff]")  # half a surrogate pair: a JSON string may hold one, UTF-8 cannot
# a CSV cell a spreadsheet reads as a formula (OWASP's CSV injection list): written as it is, the run says so
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def encodable(value: Any) -> Any:
    """An input cell kept in a row (``--keep-columns``) as an output can hold it: half a surrogate pair (a JSON input's
    ``"\\ud83d"``, an emoji cut short) becomes U+FFFD, in a string and in a JSON cell's keys and items. Written as it
    was, it crashed the run (UnicodeEncodeError) in every format. A NUL is left out, as from a product's text: sqlite3's
    ``.import`` cut a CSV cell at it, Python's csv before 3.11 refused the file ("line contains NUL"), PostgreSQL
    refuses it in text from any format. Bytes become text (``binary_text``)."""
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value).replace("\x00", "")
    if isinstance(value, bytes):
        return encodable(binary_text(value))  # UTF-8 text may hold a NUL too
    if isinstance(value, dict):
        return {encodable(key): encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encodable(item) for item in value]
    return value


def finite(value: Any) -> Any:
    """A kept cell as JSON can hold it: a number that is NaN or infinite (a JSON input's ``NaN``, as Python's json
    reads and writes a pandas frame's missing cell) becomes None, in a list or mapping too, as pydantic writes the
    result's own. Written as it was, a JSONL row held ``NaN`` or ``Infinity``, which is not JSON: JSON.parse, Go and
    BigQuery refused the row."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def binary_text(value: bytes) -> str:
    """A cell of bytes (a Parquet binary column) as text: UTF-8 as the text it is, other bytes as BINARY_PREFIX and
    their base64. Written as it was, either became Python's repr ("b'AB-12'", "b'\\xff\\x00'") in every format."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return BINARY_PREFIX + base64.b64encode(value).decode("ascii")


def encodable_result(result: TagResult) -> TagResult:
    """``result`` as an output can hold it: half a surrogate pair in any of its strings (in an LLM's raw answer, or a
    string of it that was rejected, where the answer held the JSON escape ``"\\ud83d"``) becomes U+FFFD. Written as it
    was, it crashed the run (UnicodeEncodeError) in every format, at the batch holding it. Serializing finds one (the
    usual result costs that alone); only a result holding one is copied."""
    try:
        result.model_dump_json()
    except ValueError as exc:  # pydantic's serialization error, saying the UnicodeEncodeError
        if "surrogates not allowed" not in str(exc):
            raise
        return TagResult.model_validate(encodable(result.model_dump()))
    return result


def fingerprint(product: Any) -> str:
    """Hex digits of the product's text as the tagger reads it (not its id, nor columns it does not read)."""
    text = product.model_dump_json(include=TAGGED_FIELDS)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:FINGERPRINT_DIGITS]


def raw_fingerprint(product: Any, data: dict[str, Any]) -> str | None:
    """The fingerprint an output written before tagllm cleaned the text it reads (a description's HTML read as its
    text, NULs left out of the text and of attribute keys and values) holds for this product: that of its title,
    description, brand and attributes as its record gave them (``data``, white space stripped as then); None when the
    cleaning changed none of them. Resume takes either as the same product, so that an unchanged record is not tagged
    again because the reader now reads it otherwise."""
    raw: dict[str, Any] = {
        field: data[field].strip()
        for field in ("title", "description", "brand")
        # an empty cell is the None the product holds: no cleaning, so no second fingerprint to compute
        if isinstance(data.get(field), str) and data[field].strip() != (getattr(product, field) or "")
    }
    attributes = _raw_attributes(data.get("attributes"))
    if attributes is not None and attributes != product.attributes:
        raw["attributes"] = attributes
    return fingerprint(product.model_copy(update=raw)) if raw else None


def _raw_attributes(value: Any) -> dict[str, str] | None:
    """The attributes as the reader read them before it left NULs out and wrote a yes/no or a whole float as a seller
    would (it wrote ``True``, ``10.0``), keys and values stripped, as pydantic strips them; None when the record gave
    none the reader takes as a mapping."""
    if is_missing_cell(value):
        return None
    texts = attribute_texts(value, clean=lambda text: text, spell=str)
    return {key.strip(): text.strip() for key, text in texts.items()} if isinstance(texts, dict) else None


def outcome(result: TagResult) -> str:
    """OK, ERROR, FELL_BACK (routing mode: the LLM failed and the default's tags stayed), PARTIAL (the attribute step
    failed, the category stayed), DEGRADED (no photo could be read, the text's tags stayed) or UNFETCHED (its remote
    photos were not to be fetched); resume retries all but OK, and UNFETCHED only with ``allow_remote_images``."""
    if result.status != "ok":
        return ERROR
    if result.routing is not None and result.routing.error is not None:
        return FELL_BACK
    if result.facet_errors:
        return PARTIAL
    if result.degraded is not None:
        return DEGRADED
    return UNFETCHED if result.unfetched_photos is not None else OK


def error_cell(result: TagResult) -> str | None:
    """The CSV/Parquet ``error`` cell: the error record's message, or why a fell-back product kept the default's
    tags, why a partial one has the category alone, and why a degraded one was tagged from its text alone (what tells
    resume to retry them: the first note decides), and the facets of an LLM answer whose tags are the default's
    (``routing.kept_default``), else None."""
    if result.error is not None:
        return result.error.message
    notes = []
    if result.routing is not None and result.routing.error is not None:
        notes.append(FELL_BACK_NOTE + result.routing.error.message)
    if result.facet_errors:
        # one step asked for them all, so one message (each facet the row leaves empty says nothing more)
        notes.append(PARTIAL_NOTE + "; ".join(dict.fromkeys(e.message for e in result.facet_errors.values())))
    if result.degraded is not None:
        notes.append(result.degraded.message)  # starts with NO_PHOTO_NOTE
    if result.unfetched_photos is not None:
        notes.append(NOT_FETCHED_NOTE + ", ".join(result.unfetched_photos))
    if result.routing is not None and result.routing.kept_default:
        # the row's source is llm, but these facets' tags are the default's: a note resume does not retry, put last
        # since resume reads the cell's first note
        notes += [KEPT_DEFAULT_NOTE.format(facet=facet) + why for facet, why in result.routing.kept_default.items()]
    return "; ".join(notes) or None


def is_degraded_note(error: str) -> bool:
    """Whether a CSV/Parquet ok row's error cell says it was tagged from its text alone (``NO_PHOTO_NOTE``)."""
    return error.startswith(NO_PHOTO_NOTE)


def is_partial_note(error: str) -> bool:
    """Whether a CSV/Parquet ok row's error cell says a step asking for some of its facets failed (``PARTIAL_NOTE``)."""
    return error.startswith(PARTIAL_NOTE)


def is_unfetched_note(error: str) -> bool:
    """Whether a CSV/Parquet ok row's error cell says its remote photos were not fetched (``NOT_FETCHED_NOTE``)."""
    return error.startswith(NOT_FETCHED_NOTE)


SEPARATOR = " | "
# the columns of a CSV/Parquet row that are not a facet's
OWN_COLUMNS = ("product_id", "status", "error", "rejected", HASH_COLUMN, "result_json")
SOURCE_COLUMN = "source"  # a routed run's: which path made the row's tags (default or llm), as a JSONL row's source


def table_row(
    result: TagResult,
    facets: Sequence[str],
    kept: dict[str, Any] | None = None,
    *,
    typed: bool = False,
    routed: bool = False,
) -> dict[str, Any]:
    """A row for CSV (``typed=False``: per facet the tag paths, ids and confidences joined by ' | ') or Parquet
    (``typed=True``: lists, confidences as numbers). ``kept``: input columns carried into the output; ``routed``: a
    routed run's row, whose ``source`` column says which path made its tags."""
    row: dict[str, Any] = {"product_id": result.product_id}
    for column, value in (kept or {}).items():
        row[column] = _as_text(value)
    row["status"] = result.status
    if routed:
        row[SOURCE_COLUMN] = result.source if result.source is not None else ("" if not typed else None)
    error = error_cell(result)  # also for an ok row that kept the default's tags when the LLM failed
    row["error"] = error if error is not None else ("" if not typed else None)
    for facet in facets:
        tags = [t for t in result.tags.get(facet, []) if t.source != "ancestor"]
        names, ids, confidences = [t.path or t.name for t in tags], [t.id for t in tags], [t.confidence for t in tags]
        if typed:
            row[facet], row[f"{facet}_id"], row[f"{facet}_confidence"] = names, ids, confidences
        else:
            row[facet], row[f"{facet}_id"] = SEPARATOR.join(names), SEPARATOR.join(ids)
            row[f"{facet}_confidence"] = SEPARATOR.join(f"{c:.3f}" for c in confidences)
    rejected = [r.text for r in result.rejected]
    row["rejected"] = rejected if typed else SEPARATOR.join(rejected)
    return {column: encodable(cell) for column, cell in row.items()}  # an LLM's rejected string may hold a NUL


def is_formula(cell: Any) -> bool:
    """Whether a CSV cell is one a spreadsheet opening the file reads as a formula (``=HYPERLINK(…)``, ``@SUM(…)``,
    ``+44 20 …``); a number (``-12.5``) is read as the number it is."""
    if not isinstance(cell, str) or not cell.startswith(FORMULA_START):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def flat_row(result: TagResult, facets: list[str]) -> dict[str, Any]:
    """The CSV row of a result (see ``table_row``)."""
    return table_row(result, facets)


def _as_text(value: Any) -> str:
    """A kept input cell as text: a list, mapping, number or boolean as JSON; a date, a decimal and other scalars as
    they print (JSON would wrap them in quotes: '"2024-01-01 00:00:00"')."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | dict | bool | int | float):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def parquet_schema(
    facets: Sequence[str], keep_columns: Sequence[str], *, fingerprint: bool = True, routed: bool = False
) -> Any:
    import pyarrow as pa

    fields = [pa.field("product_id", pa.string())]
    fields += [pa.field(column, pa.string()) for column in keep_columns]
    fields += [pa.field("status", pa.string())]
    fields += [pa.field(SOURCE_COLUMN, pa.string())] if routed else []
    fields += [pa.field("error", pa.string())]
    for facet in facets:
        fields += [
            pa.field(facet, pa.list_(pa.string())),
            pa.field(f"{facet}_id", pa.list_(pa.string())),
            pa.field(f"{facet}_confidence", pa.list_(pa.float64())),
        ]
    fields += [pa.field("rejected", pa.list_(pa.string())), pa.field("result_json", pa.string())]
    return pa.schema(fields + ([pa.field(HASH_COLUMN, pa.string())] if fingerprint else []))


def parse_keep_columns(text: str | None) -> list[str]:
    """``--keep-columns title,sku`` as the column names, blanks left out (none given: none kept)."""
    return [column.strip() for column in text.split(",") if column.strip()] if text else []


def kept_columns(keep_columns: Sequence[str]) -> list[str]:
    """The input columns to carry into each row, each once: a column named twice (--keep-columns brand,title,brand)
    was written twice by Parquet, a file pyarrow and pandas refuse to read. One string (the API given the command
    line's --keep-columns text) is refused: read as a sequence, it was one column per letter."""
    if isinstance(keep_columns, str):
        named = parse_keep_columns(keep_columns)
        raise InputError(
            f"keep_columns {keep_columns!r}: give a list of input column names, e.g. {named!r}, not one string "
            "(read as a sequence, it is one column per letter)"
        )
    return list(dict.fromkeys(keep_columns))


def refuse_column_clashes(
    fmt: str, facets: Sequence[str], keep_columns: Sequence[str], *, routed: bool = False
) -> None:
    """Refuse a facet or a kept input column that a CSV or Parquet row of ``facets`` and ``keep_columns`` (and, for a
    ``routed`` run, its ``source``) would write over one of its own columns. ``tagllm generate`` checks this before it
    builds the tagger (an index built from ``--examples``: minutes), with the facets it is given; ``ResultWriter``
    checks it with the tagger's."""
    facets, keep_columns = list(dict.fromkeys(facets)), list(dict.fromkeys(keep_columns))
    _refuse_facet_clashes(fmt, facets, routed)
    _refuse_kept_clashes(fmt, facets, keep_columns, routed)


def _refuse_facet_clashes(fmt: str, facets: list[str], routed: bool) -> None:
    """A facet named as one of a CSV or Parquet row's own columns (a taxonomy's ``status`` or ``error`` facet), or
    as another facet's id or confidence column (``colour`` beside ``colour_id``), took its place: in CSV the tags
    overwrote the status (and ``--resume`` took every product for failed) or the other facet's ids, and Parquet
    crashed at its first batch. JSONL keeps the tags apart, under ``tags``."""
    if fmt == "jsonl":
        return
    taken = {*OWN_COLUMNS, *([SOURCE_COLUMN] if routed else [])}
    clashes = []
    for facet in facets:
        columns = [facet, f"{facet}_id", f"{facet}_confidence"]
        if taken & set(columns):
            clashes.append(facet)
        taken.update(columns)
    if clashes:
        kind = "CSV" if fmt == "csv" else "Parquet"
        raise InputError(
            f"facet {', '.join(map(repr, clashes))}: a {kind} output has a column of that name already (one of "
            "its own, or another facet's id or confidence column), which the facet's tags would overwrite; write "
            "JSONL, which keeps each facet's tags apart, under its tags key, or rename the facet in the taxonomy"
        )


def _refuse_kept_clashes(fmt: str, facets: list[str], keep_columns: list[str], routed: bool) -> None:
    """A kept input column named as one of a CSV or Parquet row's own (``category``, ``product_id``, ``status``)
    took its place: the row's tags or id overwrote the input's cell, or the input's cell the id, and Parquet
    crashed at its first batch. JSONL keeps input columns apart, under ``input``."""
    if fmt == "jsonl":
        return
    own = {*table_row(TagResult(product_id=""), facets, routed=routed), HASH_COLUMN, "result_json"}
    clashes = [column for column in keep_columns if column in own]
    if clashes:
        kind = "CSV" if fmt == "csv" else "Parquet"
        raise InputError(
            f"--keep-columns {', '.join(clashes)}: a {kind} output has columns of its own by that name; keep "
            "other columns, or write JSONL, which keeps the input's columns apart, under its input key"
        )
