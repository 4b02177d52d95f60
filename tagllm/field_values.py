"""What a value given for a product field may be: an id checked (a date, a yes/no or half an emoji is refused),
numbers told apart from text, text cleaned of what no UTF-8 output holds, attributes read from the shapes they
arrive in (kept apart from ``tagllm.models``, whose validators call these, so that the data contract reads as its
fields)."""

from __future__ import annotations

import ast
import datetime
import json
import math
import numbers
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

import numpy as np

from tagllm.missing import is_missing_cell


def is_number(value: Any) -> bool:
    """Whether ``value`` is a number an id may be given as: Python's, NumPy's (a pandas cell read with ``df.at`` or
    ``df.loc``: ``numpy.int64``) or a Decimal (a database's NUMERIC column); not a bool."""
    return isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool)


def is_infinite(value: Any) -> bool:
    """Whether a number is infinite (a float past its range, a Decimal's Infinity); an integer never is."""
    if isinstance(value, Decimal):
        return value.is_infinite()
    return isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and math.isinf(value)


def json_kind(value: Any) -> str:
    """What a value that is no text is, as a JSON file's writer names it, and the value itself, shortened."""
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, dict):
        kind = "an object"
    elif isinstance(value, list | tuple | set):
        kind = "a list"
    else:
        kind = type(value).__name__
    try:
        shown = json.dumps(value, ensure_ascii=False)  # as the file wrote it: true, not True
    except (TypeError, ValueError):
        shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return f"{kind} ({shown})"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

ID_TYPES = (str, bytes, UUID)  # besides numbers (``is_number``): the values an id may be given as


def id_problem(value: Any) -> str | None:
    """What makes ``value`` no product id, in words, or None. A date is refused, not read as its ISO text: a date
    column taken for the ids (``--columns id=COLUMN`` naming the wrong one) gives every product of one day the same
    id, and all but the first were skipped as repeats, when the records could say at once what was wrong."""
    if isinstance(value, datetime.date):  # a datetime is one too
        return (
            f"the id is a date ({value.isoformat()}); an id must be text or a whole number: if these dates are the "
            "products' ids, store the id column as text"
        )
    if isinstance(value, bool | np.bool_):
        return (
            f"the id is a yes/no value ({str(bool(value)).lower()}); an id must be text or a whole number: check that "
            "the id column is the products' ids (--columns id=COLUMN names another)"
        )
    if isinstance(value, str):
        return _text_id_problem(value)
    if value is None or isinstance(value, ID_TYPES) or is_number(value):
        return None
    return f"an id must be text or a whole number, not {json_kind(value)}"


def _text_id_problem(value: str) -> str | None:
    """Half a surrogate pair (a JSON escape of an emoji cut in two) no UTF-8 output can hold; a NUL, which readers
    of a CSV output cut the id at (sqlite3's ``.import`` read the id 'ab\\x00c' as 'ab', another product's) or
    refuse (Python's csv before 3.11: "line contains NUL")."""
    surrogate = _LONE_SURROGATE.search(value)
    if surrogate:
        return (
            f"the id holds half of a surrogate pair ({surrogate.group()!r}: a character such as an emoji, cut in two), "
            "which no output can hold; fix the id in the input"
        )
    if "\x00" in value:
        return (
            "the id holds a NUL character ('\\x00'), at which readers of a CSV output cut it or stop; remove it from "
            "the id in the input"
        )
    return None


def utf8_cells(value: Any) -> Any:
    """A cell with the bytes in it, at any depth, as their UTF-8 text; bytes that hold none are left as they are, for
    ``undecoded_problem`` to name. A text column stored as binary (a Parquet file from a writer without the UTF-8
    annotation) holds bytes, and so does a list or map of texts from that writer (queries as ``list<binary>``,
    attributes as ``map<binary, binary>``), whose items were refused as bytes in a file run and tagged as Python's
    repr of them, "b'red dress'", in a Ray dataset's rows."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    if isinstance(value, list | tuple):
        items = [utf8_cells(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {utf8_cells(key): utf8_cells(item) for key, item in value.items()}
    return value


def undecoded_problem(value: Any) -> str | None:
    """What makes a cell no text, in words, or None: where its first bytes that are not UTF-8 are (the cell, its item
    2, the value of its key 'Color') and the first byte at fault. Read with replacement characters, an id would be
    another product's; such bytes are refused as a file that is not UTF-8 is."""
    place = undecoded_place(value)
    if place is None:
        return None
    where, byte = place
    return (
        f"{where}holds bytes that are not UTF-8 text ({byte}): a text column stored as binary in another encoding; "
        "re-save it as UTF-8 text"
    )


def undecoded_place(value: Any) -> tuple[str, str] | None:
    """Where in a cell its first bytes that are not UTF-8 are, in words ("", "item 2 ", "the value of 'Color' "), and
    the first byte at fault ("byte 3 is 0xe9"); None when every bytes in it are UTF-8."""
    found = _first_bytes(utf8_cells(value), "")
    if found is None:
        return None
    where, undecoded = found
    start = _first_bad_byte(undecoded)
    return where, f"byte {start} is 0x{undecoded[start]:02x}"


def _first_bad_byte(undecoded: bytes) -> int:
    """Where bytes that ``utf8_cells`` could not read stop being UTF-8."""
    try:
        undecoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    raise AssertionError("utf8_cells reads UTF-8 bytes as text")


def _first_bytes(value: Any, where: str) -> tuple[str, bytes] | None:
    """The first bytes in a cell, at any depth, with where they are in words (``where``: the place of the cell)."""
    if isinstance(value, bytes):
        return where, value
    if isinstance(value, dict):
        return _first_entry_bytes(list(value.items()), where)
    if isinstance(value, list | tuple) and value and all(_is_entry(item) for item in value):
        return _first_entry_bytes(value, where)  # a map column's entries, as Arrow hands them: (key, value) tuples
    if isinstance(value, list | tuple):
        for position, item in enumerate(value, 1):
            inner = f"{where.rstrip()}'s item {position} " if where else f"item {position} "
            if (found := _first_bytes(item, inner)) is not None:
                return found
    return None


def _is_entry(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2


def _first_entry_bytes(entries: Sequence[tuple[Any, Any]], where: str) -> tuple[str, bytes] | None:
    """The first bytes in a mapping's keys and values, named as the key's position or the value's key."""
    for position, (key, item) in enumerate(entries, 1):
        if isinstance(key, bytes):
            return f"{where}key {position} ", key
        if (found := _first_bytes(item, f"{where}the value of {key!r} ")) is not None:
            return found
    return None


def decoded(value: Any) -> Any:
    """A cell with its bytes, at any depth, as the UTF-8 text they hold (``utf8_cells``); a ValueError saying where
    bytes hold none (``undecoded_problem``): what a product's field validators read bytes with."""
    problem = undecoded_problem(value)
    if problem:
        raise ValueError(problem)
    return utf8_cells(value)


def well_formed(text: str) -> str:
    """The text with each lone surrogate (half an emoji, left by an exporter that cut text at a fixed number of
    UTF-16 units: JSON's "\\ud83d" alone) as U+FFFD, the replacement character: no UTF-8 holds it, and the product
    was an error record for one character no reader shows. A NUL is left out: no seller wrote one (an exporter's
    padding, or UTF-16 text read as bytes, a NUL after each letter, which leaving out restores); taken, it reached
    the embedder and every output that copies the text, where CSV readers cut the cell at it or stop."""
    return _LONE_SURROGATE.sub("\ufffd", text).replace("\x00", "")


def attribute_texts(
    value: Any, clean: Callable[[str], str] = well_formed, spell: Callable[[Any], str] | None = None
) -> Any:
    """Attributes in any shape they arrive in as a mapping of key text to value text, each passed through ``clean``;
    anything that is no mapping is returned as it came, for validation to name. ``clean`` and ``spell`` (how a value
    that is no text is written: ``scalar_text``) are parameters so that resume can read them as a version that did not
    clean them, and wrote such a value as Python's ``str`` does, did (``rows.raw_fingerprint``)."""
    spell = spell or scalar_text
    value = _attribute_mapping(value, spell)
    if not isinstance(value, dict):
        return value
    return {clean(str(k)): clean(attribute_value_text(v, spell)) for k, v in value.items() if not is_missing_cell(v)}


def scalar_text(value: Any) -> str:
    """An attribute's value that is no text as a seller would write it: a yes/no as JSON spells it (``true``; Python's
    ``True`` read as a word of its own, in the product's text and the attribute the tagger reads), a number as
    ``number_text`` writes it (10.0 from a float column with a missing cell: 10)."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if is_number(value) and not is_infinite(value):
        return number_text(value)
    return str(value)


def attribute_value_text(value: Any, spell: Callable[[Any], str] = scalar_text) -> str:
    """An attribute's value as the text a seller would write, whatever shape of attributes it came in (a mapping, a
    list of [key, value] pairs, a map column, JSON text): a list's items joined by commas, a nested mapping
    ("dimensions": {"width": "10 cm"}) as "width: 10 cm" items, not Python's repr of either; any other value that is
    no text as ``spell`` writes it (a yes/no as ``true``, 2.0 as ``2``)."""
    if isinstance(value, list | tuple):
        return ", ".join(attribute_value_text(v, spell) for v in value if v is not None)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {attribute_value_text(v, spell)}" for k, v in value.items() if v is not None)
    return value if isinstance(value, str) else spell(value)


def attributes_problem(value: Any) -> str:
    """Why attributes that ``attribute_texts`` could not read as a mapping are none, naming the first item of a list
    that is no attribute: "got list [['Color', 'Red'], 7]" made the reader find the 7 in a long list themselves."""
    expected = (
        "expected a mapping of attribute name to value ({'Color': 'Red'}), a list of [key, value] pairs, of "
        '"Key: Value" tags or of {"name": …, "options"/"value": …} objects'
    )
    if isinstance(value, list | tuple):
        from tagllm.attributes.tags import parse_attribute_tags

        for position, item in enumerate(value, 1):
            if parse_attribute_tags([item])[1]:
                return f"item {position} is {json_kind(item)}, not an attribute; {expected}"
    if isinstance(value, str) and _JSON_LIKE.match(value):
        return _cut_short(value)
    # pydantic's own "Input should be a valid dictionary" said neither what came nor what to give
    return f"{expected}; got {type(value).__name__} {_shown(value)}"


def broken_json(value: Any) -> str | None:
    """Why a text that opens as a JSON object or list is none, or None: a cell that is (a table's JSON column cut
    short, or a quote not doubled). Said for what it is: read as a tag, it was "category label '{…' is not a value of
    taxonomy", which sent the reader to the taxonomy."""
    if not isinstance(value, str) or not _JSON_LIKE.match(value):
        return None
    try:
        json.loads(value, strict=False)
    except (ValueError, RecursionError):
        return _cut_short(value)
    return None


def _cut_short(text: str) -> str:
    kind = "an object" if text.lstrip().startswith("{") else "a list"
    return f"{_shown(text)} starts like JSON ({kind}) but is not valid JSON: a cell cut short, or a quote not doubled?"


def _shown(value: Any) -> str:
    """A value as a message quotes it: its repr, its first 59 characters and an ellipsis when longer than 60."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _attribute_mapping(value: Any, spell: Callable[[Any], str]) -> Any:
    """The shapes attributes arrive in besides a mapping, read as one: a JSON object or list in a string (a column of
    JSON text in Parquet or a Ray dataset, as a CSV cell is read), and a list of (key, value) pairs (an Arrow/Spark
    map column), of "Key: Value" tags or of attribute objects, as ``parse_attribute_tags`` reads them. Anything else,
    or a list with an item that is none of these, is returned as it came, for validation to name. One string of
    "Key: Value" tags is read too (a CSV cell "Color: Red; Size: M", as sellers' exports write it: it was an error
    record for every product); a string that is not ("Red cotton") is named by validation. A value that is no text is
    written as in a mapping (``attribute_value_text`` with ``spell``): [["Waterproof", true]] read 'True'."""
    if not isinstance(value, list | tuple | str):
        return value
    if isinstance(value, str) and _JSON_LIKE.match(value) and not _is_container(value):
        return value  # a JSON cell cut short: split as tags, '{"Color": "Red"' was the attribute '{"Color"'
    from tagllm.attributes.tags import parse_attribute_tags

    write = partial(attribute_value_text, spell=spell)
    pairs, bad = parse_attribute_tags(list(value) if isinstance(value, tuple) else value, write=write)
    if bad:
        return value
    merged: dict[str, str] = {}
    for key, val in pairs:
        if key and val:  # an empty cell ("Pattern:", {"Pattern": null}) or a value under no key states nothing
            merged[key] = f"{merged[key]}, {val}" if key in merged else val
    return merged


# A text opening as a JSON (or Python) object or list of attributes does: a bracket, then a quote or a bracket
# ("[New] Color: Red" opens with a word: tags, not JSON)
_JSON_LIKE = re.compile(r"""\s*(?:\{\s*["']|\[\s*["'\[{])""")


def _is_container(text: str) -> bool:
    """Whether a text is a JSON list or object, or the Python repr of one (pandas' ``to_csv`` of a dict column)."""
    try:
        json.loads(text, strict=False)
        return True
    except ValueError:
        pass
    try:
        return isinstance(ast.literal_eval(text), list | dict)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def number_text(value: Any) -> str:
    """A number as the text a seller wrote: 1984.0 (a float column with a missing cell) as "1984"."""
    whole = not isinstance(value, numbers.Integral) and float(value).is_integer()
    return str(int(value)) if whole else str(value)


def query_texts(value: Any) -> list[str]:
    """Search queries as a list of texts: one query given alone as a list of it, a number as its text, a missing or
    blank item (a Parquet list's null, a NaN) left out: each was an error record for the whole product. A value or
    an item that is no text (a list, an object, a yes/no) is refused naming it. So is a set, as photos and attributes
    given as one are: its order changes from run to run (string hashes are salted per process), and with it the
    product's text, its embedding and its tags; sorting it would put an order on the queries that the caller never
    gave (one kept by frequency, then put in a set, has lost it), where ``sorted(…)`` in the caller says so."""
    if is_missing_cell(value):
        return []
    if isinstance(value, str) or is_number(value):
        value = [value]
    if isinstance(value, set | frozenset):
        raise ValueError(
            "got a set, whose order changes from run to run (and with it the product's text and tags); give the "
            "search queries as a list, sorted(…) if they have no order"
        )
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of search queries (text), got {json_kind(value)}")
    queries = []
    for position, item in enumerate(value, 1):
        if is_missing_cell(item):
            continue
        if is_number(item) and is_infinite(item):  # as the title says it: "float (Infinity)" named no fix
            raise ValueError(f"item {position} is a number too large to be read (infinite); write it as text")
        if is_number(item):
            item = number_text(item)
        if not isinstance(item, str):
            raise ValueError(f"item {position} is {json_kind(item)}, not a search query; give each query as text")
        text = well_formed(item).strip()
        if text:
            queries.append(text)
    return queries
