"""What a JSON line that cannot be read whole still says reliably: its top-level fields before the fault, and those a
byte that is not UTF-8 left untouched; a bad record's error is named by the id among them (``io.products.named_error``).
Apart from ``tagllm.io.jsonl`` (reading the lines), as a reader of its own that the predictions file uses too."""

from __future__ import annotations

import json
import re
from typing import Any

from tagllm.io.json_keys import RepeatedKey, loads_unique

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_FIELD_VALUES = json.JSONDecoder(parse_float=str)  # a float as the line writes it, as ``_number_as_written`` reads it


def leading_fields(text: str) -> dict[str, Any]:
    """The top-level fields of a JSON object line that breaks, read up to where it breaks: each key whose value is
    whole and followed by a comma or the closing brace (a number cut at the line's end, "id": 12, may have lost
    digits). A nested object's keys are read as part of its value, never as the record's: {"variant": {"id": "V1",
    … is no id. A key given two values is left out, as is everything of a line that holds a whole object and more
    after it (two records on one line: neither is named by the first's id)."""
    fields: dict[str, Any] = {}
    repeated: set[str] = set()
    pos = _after_space(text, 0)
    if text[pos : pos + 1] != "{":
        return {}
    pos += 1
    while True:
        pos = _after_space(text, pos)
        if text[pos : pos + 1] != '"':
            break
        try:
            key, pos = _FIELD_VALUES.raw_decode(text, pos)  # a string: it opens with a quote
            pos = _after_space(text, pos)
            if text[pos : pos + 1] != ":":
                break
            value, pos = _FIELD_VALUES.raw_decode(text, _after_space(text, pos + 1))
        except (ValueError, RecursionError):
            break
        pos = _after_space(text, pos)
        if text[pos : pos + 1] not in (",", "}"):
            break
        if key in fields and fields[key] != value:
            repeated.add(key)
        fields.setdefault(key, value)
        if text[pos] == "}":
            return {}  # the object is whole: what breaks the line comes after it
        pos += 1
    return {key: value for key, value in fields.items() if key not in repeated}


def intact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of a record read with its bytes that are not UTF-8 replaced (U+FFFD) that hold no replacement:
    read as the file wrote them, an id among them names the record's error."""
    return {key: value for key, value in fields.items() if "\ufffd" not in json.dumps(value, ensure_ascii=False)}


def fields_despite_bytes(raw: bytes) -> dict[str, Any]:
    """The top-level fields of a line holding bytes that are not UTF-8, each read with them replaced, but for those
    that hold one (``intact_fields``)."""
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        loads_unique(text)  # a key given two values: which is the record's cannot be told
        data = json.loads(text, parse_float=str)  # a float as written, as ``_number_as_written`` reads it
    except RepeatedKey:
        return {}
    except (ValueError, RecursionError):
        data = leading_fields(text)
    return intact_fields(data) if isinstance(data, dict) else {}


def _after_space(text: str, pos: int) -> int:
    """Where the JSON white space at ``pos`` ends."""
    space = _JSON_SPACE.match(text, pos)
    return space.end() if space else pos
