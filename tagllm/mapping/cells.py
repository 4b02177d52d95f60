"""``tagllm taxonomy map``'s reading of a column: one result per string, each read as a model's answer when it looks
wrapped ('{"category": "Stand Mixers"}', "1. Step Ladders") and does not map by name as written."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tagllm.mapping.base import METHOD_RANK, Mapped
from tagllm.missing import is_missing_cell
from tagllm.models import MappingInfo
from tagllm.parsing import has_path_separator, is_dashed_answer, items, parse_answer, prose_value, split_list
from tagllm.taxonomy import Value

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

NAMED = frozenset({"id", "exact", "normalized", "synonym", "alias", "derived", "translation", "zh_head", "zh_cell"})
"""Methods that find a value by one of its names (the table stages): a string mapped so is taken as written."""


@dataclass
class CellResult:
    """One input string of ``map_texts``: the values it holds (none, one, or a list's several), or why none; with
    values, a ``reason`` names the strings of the answer that were left out ("'Zorg' left out: …")."""

    text: str
    facet: str | None
    values: list[tuple[Value, MappingInfo]] = field(default_factory=list)
    reason: str | None = None


def map_texts(
    mapper: Mapper, texts: Sequence[str | Sequence[str]], facet: str | None = None, *, literal: bool = False
) -> list[CellResult]:
    """One result per input string, as ``tagllm taxonomy map`` prints them.

    Each string is read as ``map_answer`` reads a model's answer (JSON, YAML-like "Key: value" lines, Markdown,
    bullets, numbered lines, a sentence "The category is X."), so '{"category": "Stand Mixers"}' maps its value;
    ``literal`` maps the strings as they are, and a cell that is a list (a JSONL cell ``["Red", "Blue"]``) item by
    item, each item as written (else a list is read as the answer it is). Every string is first mapped as written, in
    one batch; only those that look wrapped and either fail, were placed by a guess (not by a name) or hold several
    "Key: value" pairs or a pair of a list are parsed, and the answer read from them is taken when it maps by a more
    faithful method ("1. Step Ladders" is Step Ladders by name, not Ladders with a unit, "step", after the number 1)
    or maps several values.
    """
    if isinstance(texts, str | bytes):  # iterated, it would be mapped letter by letter, one result per letter
        raise TypeError(f"map_texts takes a list of strings, not a single {type(texts).__name__}; pass [text]")
    lists = {i: [_as_text(item) for item in t] for i, t in enumerate(texts) if literal and _is_list(t)}
    strings = ["" if i in lists else _as_text(t) for i, t in enumerate(texts)]
    out: list[CellResult | None] = [None] * len(strings)
    for i, result in zip(lists, _map_lists(mapper, list(lists.values()), facet), strict=True):
        out[i] = result
    guessed: dict[int, CellResult] = {}
    for i, mapped in enumerate(mapper.map(strings, facet)):
        if out[i] is not None:
            continue
        # a string that maps by name as written is taken as written ("Ratio 16:9" is no "Key: value" line), unless
        # it holds several pairs or a list ("颜色：红色；类别：牛仔裤", "颜色：红色，蓝色"): the name found is one
        if literal or not looks_wrapped(strings[i]) or mapped.method in NAMED and not holds_several(strings[i]):
            out[i] = from_mapped(mapped)
        elif mapped.value is not None:
            guessed[i] = from_mapped(mapped)
    for i, text in enumerate(strings):
        if out[i] is not None:
            continue
        answer = mapper.map_answer(text, [facet] if facet else None)
        values = [pair for f in answer.tags for pair in answer.tags[f]]
        if i in guessed and not _answer_wins(text, values, guessed[i]):
            out[i] = guessed[i]
            continue
        reason = None
        if not values:
            reason = "; ".join(r.reason for r in answer.rejected) or "the answer holds no tag (it abstains)"
        elif answer.rejected:  # mapped in part: what was left out is said, not dropped unseen
            reason = "; ".join(f"{r.text!r} left out: {r.reason}" for r in answer.rejected)
        where = facet or (values[0][0].facet if values else None)
        out[i] = CellResult(text, where, values, reason)
    return [r for r in out if r is not None]


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def _map_lists(mapper: Mapper, cells: list[list[str]], facet: str | None) -> list[CellResult]:
    """Cells that are lists, each item mapped as written (in one batch): a cell holds the values its items map to
    (a single-valued facet keeps the best), and its reason names each item left out and why."""
    from tagllm.mapping.answers import apply_facet_rules

    items = [item for cell in cells for item in cell]
    mapped = iter(mapper.map(items, facet))
    out: list[CellResult] = []
    for cell in cells:
        results = [from_mapped(next(mapped)) for _ in cell]
        values = [pair for r in results for pair in r.values]
        left = [f"{r.text!r} left out: {r.reason}" for r in results if not r.values]
        if facet is not None and values:
            values, dropped = apply_facet_rules(mapper.taxonomy, facet, values, add_ancestors=False)
            left += [f"{d.text!r} left out: {d.reason}" for d in dropped]
        else:  # an item repeated, or two items naming one value, shows it once
            first: dict[str, tuple[Value, MappingInfo]] = {}
            for pair in values:
                first.setdefault(pair[0].id, pair)
            values = list(first.values())
        reason = "; ".join(left) if left else (None if cell else "the list holds no string to map")
        text = json.dumps(cell, ensure_ascii=False)
        out.append(CellResult(text, facet or (values[0][0].facet if values else None), values, reason))
    return out


def _as_text(value: object) -> str:
    """A cell as the string mapped: a missing one (None, NaN, pandas' NA) is empty, not the text "nan" or "<NA>"; a
    list as its JSON (read as an answer)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False, default=str)
    if is_missing_cell(value):
        return ""
    return str(value)


def _answer_wins(text: str, values: list[tuple[Value, MappingInfo]], written: CellResult) -> bool:
    """Whether the values read from a parsed answer replace the one the string mapped to as written: each of
    several values read from several pairs or a list, or values found more faithfully."""
    return len(values) > 1 and holds_several(text) or _more_faithful(values, written)


def holds_several(text: str) -> bool:
    """Whether a string holds several "Key: value" pairs (JSON's, or lines' "Color: Red; Size: M"), or a pair whose
    value is a list ("颜色：红色，蓝色")."""
    keyed = [item for item in items(parse_answer(text)) if item.key is not None]
    return len(keyed) > 1 or any(len(split_list(item.text)) > 1 for item in keyed)


def _more_faithful(values: list[tuple[Value, MappingInfo]], written: CellResult) -> bool:
    """Whether the values read from a parsed answer were all found more faithfully than the string as written."""
    if not values:
        return False
    rank = METHOD_RANK.get(written.values[0][1].method, len(METHOD_RANK))
    return all(METHOD_RANK.get(info.method, len(METHOD_RANK)) < rank for _, info in values)


def from_mapped(mapped: Mapped) -> CellResult:
    if mapped.value is None:
        return CellResult(mapped.text, mapped.facet, [], mapped.reason)
    info = MappingInfo(raw=mapped.text, method=mapped.method or "exact", score=mapped.score)
    return CellResult(mapped.text, mapped.facet, [(mapped.value, info)], None)


_WRAPPERS = ("{", "[", '"', "'", "`", "*", "-", "•", "#", ">", "<")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s")
"""A numbered line ("1. Step Ladders", "2) Teapots")."""


def looks_wrapped(text: str) -> bool:
    """Whether a string may hold an answer rather than be one: JSON, quotes, Markdown, bullets, numbered lines,
    "Key: value", lines, a list of several ("Red, Blue", "红色、蓝色": rejected whole as written, where "Color: Red,
    Blue" mapped both)."""
    stripped = text.strip()
    if not stripped:
        return False
    return (
        stripped.startswith(_WRAPPERS)
        or bool(_NUMBERED.match(stripped))
        or "\n" in stripped
        or any(c in stripped for c in ":：=")
        or (" is " in stripped.casefold())
        or is_dashed_answer(stripped)  # "Category — Sticky Notes", "Answer → Dustpans"
        or prose_value(stripped) is not None  # 'I'd go with "Body Weight Scales".', "I'd file this under Teapots."
        or (len(split_list(stripped)) > 1 and not has_path_separator(stripped))  # a path's commas are in its names
    )
