"""Attribute tags: "Key: Value" pairs read from a record's field, and the comparison keys that fold their spellings."""

from __future__ import annotations

import ast
import functools
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from tagllm.field_values import attribute_value_text
from tagllm.text import IRREGULAR_PLURALS, has_cjk, normalize, singular, words_of

# Values that say nothing about the product: a facet gets no value for them.
PLACEHOLDERS = frozenset(
    {"", "na", "n a", "none", "null", "nil", "other", "others", "not applicable", "unknown", "no information",
     "其他", "其它", "其他 other", "无", "见描述", "见详情", "不详", "未知", "详见描述"}
)  # fmt: skip
# British and American spellings a catalogue mixes; values and keys are compared in one of them.
SPELLINGS = {
    "colour": "color", "colours": "colors", "coloured": "colored", "multicolour": "multicolor", "grey": "gray",
    "jewellery": "jewelry", "aluminium": "aluminum", "fibre": "fiber", "centre": "center", "metre": "meter",
    "litre": "liter", "organiser": "organizer", "favourite": "favorite", "tyre": "tire",
}  # fmt: skip
VALUE_SEPARATORS = re.compile(r"\s*[,，、;；]\s*")
# Items of a CSV cell: "Color: Red; Material: Cotton", or as a Chinese input method types it "颜色：红色；材质：棉";
# a semicolon (and a full-width bar) only before a key ("Color: Red; Blue" and "颜色：红色；蓝色" list two colours:
# ';' also separates values; split there, Blue was read as an item that is no "Key: Value" and lost), and so a comma
# ("Color: Red, Size: M": read as one Color, "Red, Size: M", its parts "Size: M" were learned as colours; "Color: Red,
# Blue" lists two). A key after a comma starts with a letter and is short: "10:30, 11:30" and a sentence's clause are
# no keys.
_TAG_ITEMS = re.compile(
    r"\s*(?:\||\n|[;；｜](?=[^;；|｜:：\n]+[:：])|[,，、](?=\s*[^\W\d][^,，、;；|｜:：\n]{0,30}[:：]))\s*"
)
_KEY_VALUE = re.compile(r"^\s*([^:：]+?)\s*[:：]\s*(.*?)\s*$", re.DOTALL)  # "Pattern:": an empty value, a placeholder
# What a sentence or a list leaves at a value's ends, and the invisible characters a cell can carry there (zero-width
# space, byte-order mark, soft hyphen, direction marks): the value reads the same without them.
_ENDS = re.compile(r"^[\s,;:，；：。\u00ad\u200b-\u200f\u2060\ufeff]+|[\s,;:，；：。\u00ad\u200b-\u200f\u2060\ufeff]+$")
_WRAPPERS = {"(": ")", "[": "]", "（": "）", '"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "「": "」"}


# -- parsing ---------------------------------------------------------------------------------------------------
def parse_attribute_tags(
    raw: Any, nested: list[tuple[str, Any]] | None = None, write: Callable[[Any], str] = attribute_value_text
) -> tuple[list[tuple[str, str]], list[str]]:
    """(key, value) pairs from a record's attribute field, and the items that are not "Key: Value".

    The field may hold a list of "Key: Value" strings (``gold_attribute_tags``), of (key, value) pairs (an Arrow or
    Spark map column) or of objects naming an attribute and its values (``_named_attribute``), a mapping of key to a
    value or a list of values (sellers' ``attributes``), or one string: a JSON list or mapping, or items separated by
    ``;``, ``|`` or new lines (a CSV cell), or the Python repr of a list or dict (a pandas CSV). Chinese full-width
    colons count as colons.

    With ``nested``, a list or mapping where a value belongs ({"Color": [["Black"]]}) is put there as (key, value),
    not read as its Python repr ("['Black']", which may even match a value): gold names it as an input problem.

    A value that is no text is written by ``write``, in every shape alike: a yes/no as ``true``, a whole float as ``2``
    (``attribute_value_text``; a [key, value] pair and a map column read Python's "True" and "2.0", a mapping ``true``
    and ``2``); resume passes ``str`` to read a record as the reader did before.
    """
    if raw is None or raw == "":
        return [], []
    if isinstance(raw, str):
        text = raw.strip()
        raw = _container(text) if text[:1] in "[{" else _TAG_ITEMS.split(text)
    pairs: list[tuple[str, str]] = []
    bad: list[str] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            _add_pairs(str(key).strip(), _values(value), pairs, nested, write)
        return pairs, bad
    if not isinstance(raw, list):
        return [], [str(raw)]
    for item in raw:
        if isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str):  # an Arrow/Spark map entry
            _add_pairs(item[0].strip(), _values(item[1]), pairs, nested, write)
            continue
        if isinstance(item, dict) and (named := _named_attribute(item)) is not None:
            _add_pairs(*named, pairs, nested, write)
            continue
        match = _KEY_VALUE.match(item) if isinstance(item, str) else None
        if match is None:
            if item is not None and str(item).strip():
                bad.append(str(item))
            continue
        pairs.append((match.group(1), " ".join(match.group(2).split())))
    return pairs, bad


def _named_attribute(item: dict[Any, Any]) -> tuple[str, list[Any]] | None:
    """An attribute written as an object, as its key and values: WooCommerce's ``{"name": "Color", "options": ["Red",
    "Blue"]}`` (a variation's ``"option": "Red"``), Shopify's product options ``{"name": "Size", "values": [...]}``,
    and ``{"name": ..., "value": ...}`` or ``{"key": ..., "value": ...}``; other fields (WooCommerce's id, position,
    visible) are no attribute. None for an object naming no key, or two of these value fields: which one holds the
    values cannot be told."""
    name = next((item[field] for field in ("name", "key") if field in item), None)
    given = [field for field in ("options", "option", "values", "value") if field in item]
    if not isinstance(name, str) or len(given) != 1:
        return None
    return name.strip(), _values(item[given[0]])


def _values(value: Any) -> list[Any]:
    """An attribute's values as a mapping, a map entry or an attribute object gives them: a list's items (a map
    column's list of values too: read whole, it was Python's repr, "['S', 'M']"), or the value alone; [""] for none."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if v is not None] or [""]


def _add_pairs(
    key: str,
    values: list[Any],
    pairs: list[tuple[str, str]],
    nested: list[tuple[str, Any]] | None,
    write: Callable[[Any], str],
) -> None:
    """A mapping's key with its values, as "Key: Value" tags read: an empty value (None, "", []) is the empty
    "Pattern:", counted as saying nothing, and a value under an empty key the ": Red" that names no attribute, not
    both dropped unseen (a key with no value and a value with no key read as no tag at all). A value that is no text
    is written by ``write``."""
    for value in values:
        if nested is not None and isinstance(value, list | dict):
            nested.append((key, value))
            continue
        text = value if isinstance(value, str) else write(value)
        if key or text.strip():
            pairs.append((key, " ".join(text.split())))


def _container(text: str) -> Any:
    """A cell holding a list or mapping: JSON, or the Python repr pandas' ``to_csv`` writes of a dict or list column
    ("{'Color': 'Red', 'Material': 'Cotton'}", read as tags it made one facet named "{'Color'" whose values were
    "'Red', 'Material': 'Cotton'}"); else its items."""
    try:  # not strict: a cell's JSON string may hold a line break or a tab (Excel's Alt+Enter), which JSON escapes
        return json.loads(text, strict=False)
    except json.JSONDecodeError:
        pass
    try:
        literal = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        literal = None
    return literal if isinstance(literal, list | dict) else _TAG_ITEMS.split(text)


def tidy_value(value: str) -> str:
    """A value as a name: without the quotes or brackets around all of it, nor the punctuation or invisible characters
    a sentence, a list or a cell left at its ends ("Cotton." is Cotton, '"Linen"' Linen, "(Wool)" Wool, "Polyester:"
    Polyester, "Cotton" with a zero-width space after it Cotton). Punctuation of the value stays: "3.5 mm",
    "T-Shirt", "Men's", "C++", "Cotton (Organic)", and the full stop of an abbreviation ("U.S.A.", "No. 5")."""
    name = value
    while True:
        before = name
        name = _ENDS.sub("", name)
        last = name.split()[-1] if name else ""
        if last.endswith(".") and "." not in last.rstrip("."):  # "Cotton.": a sentence's full stop
            name = name.rstrip(".")
        closer = _WRAPPERS.get(name[:1])
        if len(name) > 2 and name[-1] == closer and name[0] not in name[1:-1] and closer not in name[1:-1]:
            name = name[1:-1]
        if name == before:
            return name or value


# -- comparison keys -------------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("’", "")
    text = re.sub(r"\b100\s*%\s*", " ", text)  # "100% Cotton" is cotton
    words = [SPELLINGS.get(w, w) for w in words_of(normalize(text))]
    return [IRREGULAR_PLURALS.get(s, s) for s in (singular(w) for w in words)]


@functools.lru_cache(maxsize=1 << 16)
def key_of(key: str) -> str:
    """The comparison key of an attribute key: "Colour", "color" and "COLORS" meet."""
    return "".join(_words(key)) or normalize(key)


@functools.lru_cache(maxsize=1 << 16)
def value_key(value: str, key: str = "") -> str:
    """The comparison key that merges a value's spelling variants within one attribute key.

    Case, punctuation, spaces, apostrophes, plurals and British spellings are folded ("Women's", "Womens",
    "women" meet; so do "V-Neck" and "V Neck"), and words repeating the key are dropped when others remain
    ("Round Neck" under Neck is "Round").
    """
    words = _words(value)
    key_words = set(_words(key)) if key else set()
    kept = [w for w in words if w not in key_words]
    return "".join(kept or words) or normalize(value)


def states(text: str, value: str) -> bool:
    """Whether ``text`` states ``value``: its folded words in a row (plurals and British spellings folded), or in
    Chinese its characters as a substring."""
    if has_cjk(value):
        return normalize(value).replace(" ", "") in normalize(text).replace(" ", "")
    words, found = _words(value), _words(text)
    n = len(words)
    return n > 0 and any(found[i : i + n] == words for i in range(len(found) - n + 1))


@functools.lru_cache(maxsize=1 << 16)
def is_placeholder(value: str) -> bool:
    """Whether a value says nothing ("NA", "Other", "其他/other", "见描述")."""
    return normalize(value) in PLACEHOLDERS
