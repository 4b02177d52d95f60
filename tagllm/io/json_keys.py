"""A JSON object that gives a key two values, at any depth (``json`` keeps the last and drops the first without a
word): read by ``loads_unique``, which raises ``RepeatedKey`` naming it, and said as the record's error by
``repeated_key``."""

from __future__ import annotations

import json
from typing import Any

from tagllm.io.rows import SURROGATE
from tagllm.models import RecordError

__all__ = ["RepeatedKey", "loads_unique", "repeated_key"]


class RepeatedKey(ValueError):
    """A JSON object gives a key two values: ``json`` would keep the last and drop the first without a word."""

    def __init__(self, path: list[str], values: tuple[Any, Any], data: Any) -> None:
        super().__init__(f"{'.'.join(path)!r} is given twice")
        self.path = path  # the keys to the repeated one, outermost first
        self.values = values  # the first value and the other
        self.data = data  # the whole, read as json reads it (the last value kept)


class _Repeated(Exception):
    """Raised by ``_unique_keys`` to stop at the first key given two values; ``loads_unique`` then finds where it is."""


class _Pairs(dict[str, Any]):
    """An object read with the first key it gives two values, if any, and those values."""

    repeated: tuple[str, Any, Any] | None = None


def loads_unique(text: str) -> Any:
    """``json.loads``, but an object that gives a key two values, at any depth, raises ``RepeatedKey`` naming it."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _Repeated:
        marked = json.loads(text, object_pairs_hook=_marked)  # the same text again: a repeat is rare
        found = _repeat_in(marked)
        assert found is not None  # _unique_keys stopped at one
        path, first, other = found
        raise RepeatedKey(path, (first, other), marked) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) < len(pairs) and _conflict(pairs) is not None:
        raise _Repeated
    return data


def _marked(pairs: list[tuple[str, Any]]) -> _Pairs:
    data = _Pairs(pairs)
    data.repeated = _conflict(pairs) if len(data) < len(pairs) else None
    return data


def _conflict(pairs: list[tuple[str, Any]]) -> tuple[str, Any, Any] | None:
    """The first key given twice with two values, and those values (a key given twice with one value loses nothing)."""
    first: dict[str, Any] = {}
    for key, value in pairs:
        if key in first and (value != first[key] or type(value) is not type(first[key])):
            return key, first[key], value
        first.setdefault(key, value)
    return None


def _repeat_in(value: Any, path: tuple[str, ...] = ()) -> tuple[list[str], Any, Any] | None:
    """The path to the first key given two values in a ``_marked`` value (an outer object's before its members'), and
    the two values; None if there is none."""
    if isinstance(value, _Pairs) and value.repeated is not None:
        key, first, other = value.repeated
        return [*path, key], first, other
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for place, item in items:
        if (found := _repeat_in(item, (*path, str(place)))) is not None:
            return found
    return None


def repeated_key(name: str, line: int, exc: RepeatedKey, record: Any, where: tuple[str, ...] = ()) -> RecordError:
    """The error record of a record (the mapping read, to name it by its id) holding an object that gives a key two
    values, ``where`` (a CSV cell's column) the object is in the record."""
    path = [*where, *exc.path]
    given = record.get("id") if isinstance(record, dict) and path != ["id"] else None
    record_id = given.strip() if isinstance(given, str) and given.strip() and not SURROGATE.search(given) else None
    if isinstance(given, int) and not isinstance(given, bool):
        record_id = str(given)
    field = ".".join(path)
    first, other = (_short(value) for value in exc.values)
    named = f"record {record_id!r} field" if record_id else "field"
    message = (
        f"{name}:{line}: {named} {field!r} is given twice ({first}, then {other}) and only one can be read; "
        "delete the wrong one"
    )
    return RecordError(field=field, line=line, record_id=record_id, message=message)


def _short(value: Any, width: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"
