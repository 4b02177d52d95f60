"""Raw model output to strings: JSON (valid or broken), lists, bullets, "Label: value" lines, paths."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_ANSWER_CHARS = 200_000
"""Longer raw answers are not parsed at all: no model answer listing tags is this long, and repairing
megabytes of broken JSON would cost seconds."""

MAX_REPAIR_CHARS = 20_000
MAX_REPAIR_BRACKETS = 500
"""Broken JSON is repaired only up to this size and bracket count (a tag answer holds a few dozen brackets)."""

ABSTAIN_WORDS = frozenset(
    {
        "",
        "none",
        "null",
        "nil",
        "n/a",
        "na",
        "n.a.",
        "no tag",
        "no tags",
        "nothing",
        "unknown",
        "not applicable",
        "none of these",
        "none of the above",
        "none of them",
        "no match",
        "-",
        "--",
        "—",
    }
)
"""What a model writes when it declines to tag a facet: an abstention, not a rejection."""

_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*•·●▪‣◦+>]+(?=\s)|\(?\d{1,3}[.)](?=\s)|\(?[a-zA-Z][.)](?=\s))\s*")
_LABEL = re.compile(r"^\s*([^\W\d][\w \-/&]{0,40}?)\s*[:：=]\s*(.*)$", re.DOTALL)
_NEXT_LABEL = re.compile(r"\s*[,;，；、]\s*(?=[^\W\d](?:[^\W\d]|[ \-/&]){0,40}?\s*[:：=]\s*(?!//)\S)")
"""Where a second "Label: value" pair starts on a labelled line ("Color: Red; Size: M", "颜色：红色；尺码：M"): a
label of letters only, so "Monitors, Ratio 16:9" is not split at its ratio."""
_ANSWER_QUALIFIERS = r"final|predicted|suggested|proposed|recommended|chosen|selected|best|top|likely|most|model|the|my"
"""Words that say which answer a label heads ("Final", "Most likely"): the only words allowed before an answer word
that also names a product ("Gift Tag", "Shipping Label", "Audio Output")."""
_DASHED = re.compile(
    r"^\s*(?:(?:[^\W\d][\w'’-]*\s+){0,3}?(category|categories|answer|prediction|classification)"
    rf"|(?:(?:{_ANSWER_QUALIFIERS})\s+){{0,3}}?(label|tag|value|output|result))"
    r"\s+(?:->|=>|—|–|--?|→|⟶)\s+(\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
"""An answer word, perhaps after a few words that qualify it, then a dash or an arrow before the value ("Category —
Sticky Notes", "Answer - Dustpans", "Most likely category → Jump Starters"): a "Label: value" line written with a
dash. Only an answer word is such a label; "Cotton - organic" or "T-Shirt - Red" are values with a clause, and so is
a product named by an answer word that is a noun too ("Gift Tag - Kraft Paper", "Shipping Label - 4x6": a tag, a
label), which only ``_ANSWER_QUALIFIERS`` may come before."""
_SENTENCE = re.compile(
    r"^\s*(?:the|this|its|my)\s+([^\W\d][\w \-/&]{0,40}?)\s+(?:is|are|would be|should be)\s+"
    r"(?:an?\s+|the\s+)?(.+?)[.!]?\s*$",
    re.IGNORECASE | re.DOTALL,
)
"""A one-sentence answer: "The category is Laptops." reads as "category: Laptops"."""
_QUOTED = re.compile(r"""(?:^|(?<=[\s(]))["“'‘]([^"“”'‘’\n]{2,80}?)["”'’](?=[\s.,!?;:)]|$)""")
"""A span in quotes within a sentence: 'I'd go with "Body Weight Scales" for this one.' (an apostrophe inside a word,
"I'd", opens none)."""
MIN_PROSE_WORDS = 3
"""Words outside the quotes that make a line a sentence about its quoted answer, not a quoted name with a word."""
_FILED = re.compile(
    r"^\s*(?:i(?:'d|’d|'ll|’ll| would| will| ?d)?\s+)?(?:put|file|place|list|classify|categori[sz]e)\s+(?:this|it)\s+"
    r"(?:under|as|in|into)\s+(?:the\s+)?(.+?)(?:\s+category)?[.!]?\s*$",
    re.IGNORECASE,
)
"""A sentence that files the product somewhere: "I would put this under Pet Beds.", "I'd file this under Blood
Pressure Monitors."."""
_ELEMENT = re.compile(r"^<([^\W\d][\w\-]{0,40})>\s*(.*?)\s*</\1>$", re.DOTALL)
"""An answer written as one XML element ("<category>Composters</category>", "<result>Crochet Hooks</result>"): the
tag is its key, as a JSON object's would be."""
_STRING_SET = re.compile(r'\{\s*("(?:[^"\\\n]|\\.)*"(?:\s*,\s*"(?:[^"\\\n]|\\.)*")*)\s*,?\s*\}')
"""Braces around JSON strings and commas alone: ``{"Red", "Black"}`` (``_string_set``)."""
_MARKUP = re.compile(r"\*\*")
"""Markdown emphasis around a label or a value ("**Category:** Laptops")."""
_QUOTES = "\"'`“”‘’「」『』《》"
_ITEM_SPLIT = re.compile(r"\s*[,;，；、]\s*")
_PATH_SPLIT = re.compile(r"\s*(?:->|=>|→|⟶|>|›|»|》|〉|\|)\s*")
_SLASH_SPLIT = re.compile(r"\s*[/\\]\s*")
_WRAPPER_KEYS = frozenset(
    {
        "tags",
        "tag",
        "answer",
        "answers",
        "result",
        "results",
        "output",
        "labels",
        "attributes",
        "prediction",
        "predictions",
        "response",
        "facets",
        "values",
    }
)
_VALUE_KEYS = ("id", "value_id", "category_id", "value", "name", "label", "path", "text")
_SCORE_KEYS = frozenset({"score", "confidence", "probability", "reason", "reasoning", "explanation", "facet"})


WHITESPACE = " \t\n\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
"""What is trimmed from a tag's ends: spaces, tabs, line ends. Not what else ``str.strip()`` counts as whitespace
(``\x1c``-``\x1f``, ``\x0b``, ``\x0c``, ``\x85``, U+2028): those are control characters, and a string holding one is
rejected by the mapper wherever it sits (a record separator left at the end of a cell is no part of a tag)."""
_LINE_END = re.compile(r"\r\n|\r|\n")


def trim(text: str) -> str:
    """``text`` without whitespace at either end (``WHITESPACE``; control characters stay for the mapper to see)."""
    return text.strip(WHITESPACE)


@dataclass(frozen=True, slots=True)
class Item:
    """One string found in an answer, with the key or label it sat under (a facet name, or None)."""

    key: str | None
    text: str


def is_abstention(text: str) -> bool:
    """Whether a model's string means "no tag for this facet" (null, "none", "none of these", "N/A", …)."""
    return _clean(text).casefold().rstrip(".!") in ABSTAIN_WORDS


def strip_fences(raw: str) -> str:
    """The inside of the first Markdown code fence, or the text unchanged when it has none."""
    if "```" not in raw:
        return raw
    match = _FENCE.search(raw)
    return match.group(1) if match else raw


_ESCAPED_LINE_END = re.compile(r'(?P<quoted>"(?:[^"\\]|\\.)*")|(?<!\\)(?P<backslashes>(?:\\\\)*)\\(?:r\\n|n)')
"""A line end written as an escape, backslash and n (an answer copied out of a JSON string or a log), after any
escaped backslashes; or a quoted span, whose escapes are left as written."""


def unescape_lines(raw: str) -> str:
    """An answer with no line end of its own but escaped ones ("```json\\n{...}\\n```" as a JSON string or a
    log holds it) with those read as the line ends they stand for, so its fence, lines and labels are found; any
    other answer as it is: a real line end says the escapes are part of the text, and in JSON they are the escapes
    of its strings ('{"category": "A\\nB"}'). Nor is one inside quotes (a product's name the answer quotes,
    'Posters "Hello\\nWorld"', split in two, mapped its half 'World' to World Globes), or after an escaped backslash
    ('C:\\\\new': a backslash, then the letter n)."""
    if "\n" in raw or "\\n" not in raw or trim(raw)[:1] in ("{", "["):
        return raw
    return _ESCAPED_LINE_END.sub(_line_end, raw)


def _line_end(match: re.Match[str]) -> str:
    if match.group("quoted") is not None:
        return match.group("quoted")
    return match.group("backslashes") + "\n"


def parse_answer(raw: str) -> Any:
    """What a raw model answer holds: a dict or list when it is (or holds) JSON, even broken, else the text.

    Broken JSON (truncated, single quotes, trailing commas, comments) is repaired with json-repair; a JSON
    value inside prose ("Here you go: {...}") is found by its first bracket.
    """
    if not isinstance(raw, str):
        return raw
    text = trim(strip_fences(unescape_lines(raw)))
    if not text or len(text) > MAX_ANSWER_CHARS:
        return text
    if text[0] in "{[":
        parsed = _load_json(text)
        if isinstance(parsed, dict | list):
            return parsed
    elif text[0] == '"' and text[-1] == '"':
        parsed = _load_json(text)
        if isinstance(parsed, str):
            return parsed
    element = _ELEMENT.match(text)
    if element:
        return {element.group(1): parse_answer(element.group(2))}
    # JSON after a sentence of prose: only trusted when the bracket opens a line or follows a colon.
    match = re.search(r"(?:^|\n|:\s*)([{\[])", text)
    if match and match.start(1) > 0:
        parsed = _load_json(text[match.start(1) :])
        if isinstance(parsed, dict) and parsed or isinstance(parsed, list) and parsed:
            return parsed
    return text


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # ValueError: broken JSON, or an integer too long to convert
        pass
    if (strings := _string_set(text)) is not None:
        return strings
    if len(text) > MAX_REPAIR_CHARS or text.count("{") + text.count("[") > MAX_REPAIR_BRACKETS:
        return None  # json-repair takes seconds on pathological input; such text is not a tag list anyway
    try:
        import json_repair

        return json_repair.loads(text)
    except Exception:  # json-repair raises assorted errors on hopeless input; the text is then used as is
        return None


def _string_set(text: str) -> list[str] | dict[str, str | list[str]] | None:
    """Braces holding JSON strings alone (a Python set's syntax): ``{"Red", "Black"}`` is the list of them, and
    ``{"category: Stand Mixers", "color: Red"}``, every string a "Label: value" of its own label, the object its quotes
    were misplaced in, read as the lines "category: Stand Mixers" and "color: Red" are. json-repair read that one as
    the key 'category: Stand Mixers", ' with the value 'olor: Red', which named no facet and no value. None for any
    other text."""
    match = _STRING_SET.fullmatch(text)
    if match is None:
        return None
    try:
        strings = json.loads(f"[{match.group(1)}]")
    except ValueError:  # an escape JSON does not know
        return None
    named = labelled_object(strings)
    return [str(s) for s in strings] if named is None else named


def labelled_object(strings: list[Any]) -> dict[str, str | list[str]] | None:
    """Strings that are each a "Label: value" (``["category: Stand Mixers", "color: Red"]``) as the object of them,
    a label given twice ("color: Red", "color: Black") listing its values; None when any is not a string so labelled
    (a URL's "https://" is no label, nor is a ratio's "16:9")."""
    pairs = [_LABEL.match(trim(s)) if isinstance(s, str) else None for s in strings]
    labelled = [
        (trim(pair.group(1)), _clean(pair.group(2)))
        for pair in pairs
        if pair is not None and trim(pair.group(2)) and not pair.group(2).startswith("//")
    ]
    if not strings or len(labelled) < len(strings):
        return None
    named: dict[str, list[str]] = {}
    for label, value in labelled:
        named.setdefault(label, []).append(value)
    return {label: values[0] if len(values) == 1 else values for label, values in named.items()}


def items(parsed: Any, key: str | None = None, *, _depth: int = 0) -> list[Item]:
    """Flatten a parsed answer into strings, each with the facet key it sat under (None at the top level).

    Dict keys that only wrap the answer ("tags", "answer", …) are looked through; a dict with ``id``/``name``/
    ``value`` stands for one value (its id first); ``{"facet": f, "value": v}`` pairs name their facet.
    """
    if _depth > 8:  # a model does not nest tags this deep; deeper input is hostile or garbage
        return []
    out: list[Item] = []
    if parsed is None:
        return [Item(key, "")] if key is not None else []
    if isinstance(parsed, bool):
        return [Item(key, str(parsed).lower())]
    if isinstance(parsed, int | float):
        return [Item(key, _number(parsed))]
    if isinstance(parsed, str):
        if key is None:
            return split_text(parsed)
        return [Item(key, part) for part in split_values(parsed)]
    if isinstance(parsed, list | tuple):
        if not parsed and key is not None:
            return [Item(key, "")]
        for element in parsed:
            if isinstance(element, str):
                out.append(Item(key, _clean(element)))
            else:
                out.extend(items(element, key, _depth=_depth + 1))
        return out
    if isinstance(parsed, dict):
        lowered = {str(k).strip().casefold(): v for k, v in parsed.items()}
        facet_key = next((k for k in ("facet", "attribute", "group", "type") if k in lowered), None)
        if facet_key and isinstance(lowered[facet_key], str):
            value_key = next((k for k in (*_VALUE_KEYS, "values", "tags") if k in lowered), None)
            # {"facet": "color", "value": "Red"} is one tag; {"category": …, "type": "Analog"} is an answer whose
            # taxonomy has a facet named "type" (Flipkart's): a record needs its value, or nothing else
            if value_key is not None or not set(lowered) - {facet_key, *_SCORE_KEYS}:
                value = lowered[value_key] if value_key is not None else None
                return items(value, lowered[facet_key], _depth=_depth + 1)
        single = next((k for k in _VALUE_KEYS if k in lowered and isinstance(lowered[k], str | int)), None)
        if single is not None and all(k in _VALUE_KEYS or k in _SCORE_KEYS for k in lowered):
            return [Item(key, _clean(str(lowered[single])))]
        for k, v in parsed.items():
            name = str(k).strip()
            if name.casefold() in _WRAPPER_KEYS and isinstance(v, dict | list):
                out.extend(items(v, key, _depth=_depth + 1))
            elif name.casefold() in {"reasoning", "reason", "explanation", "confidence", "notes", "comment"}:
                continue  # the model's commentary is not a tag
            else:
                out.extend(items(v, name, _depth=_depth + 1))
        return out
    return [Item(key, _clean(_number(parsed) if isinstance(parsed, int) else str(parsed)))]


def _number(value: int | float) -> str:
    """A number as text; an integer too long for ``str`` (over 4,300 digits) is no tag: an empty string."""
    try:
        return str(value)
    except ValueError:
        return ""


def split_text(text: str) -> list[Item]:
    """A plain-text answer: one item per line (bullets, numbering dropped); "Label: value" keeps the label.

    Commas and semicolons inside a line are not split here: names such as "Pet Bowls, Feeders & Waterers" hold
    them. The mapper tries the whole line first and then its parts (``split_values``).
    """
    out: list[Item] = []
    for line in _LINE_END.split(text):  # not str.splitlines(): it also breaks at \x1c-\x1e, \x0b, \x0c, U+2028
        line = trim(_BULLET.sub("", line, count=1))
        if not line:
            continue
        line = trim(_MARKUP.sub("", line))
        if _LABEL.match(line):  # "Color: Red; Size: M" is two pairs, not a colour "Red; Size: M"
            out.extend(_labelled(pair) for pair in _NEXT_LABEL.split(line))
        else:
            out.append(_labelled(line))
    return out


def _labelled(line: str) -> Item:
    """A line as an item: "Label: value" (or "The label is value.") keeps its label; a sentence about one quoted
    name, or one that files the product under a name, is that name (``prose_value``)."""
    label = _LABEL.match(line)
    if label and not label.group(2).startswith("//"):
        return Item(trim(label.group(1)), _clean(label.group(2)))
    dashed = _DASHED.match(line)
    if dashed:  # the answer word is the key: "Most likely category" asks what "category" asks
        return Item(dashed.group(1) or dashed.group(2), _clean(dashed.group(3)))
    label = _SENTENCE.match(line)
    prose = prose_value(label.group(2) if label else line)
    if prose is not None:  # "The product is a tea towel, so the best category is "Kitchen Towels"."
        return Item(None, prose)
    if label and not label.group(2).startswith("//"):
        return Item(trim(label.group(1)), _clean(label.group(2)))
    return Item(None, _clean(line))


def prose_value(line: str) -> str | None:
    """The name a sentence of prose gives as its answer: its one quoted span when ``MIN_PROSE_WORDS`` words or more
    stand outside the quotes ('The product belongs to the 'Pet Beds' category.', 'This is a ball cap, so the best match
    is "Baseball Caps".'), or what it files the product under ("I would put this under Pet Beds."); else None."""
    quoted = list(_QUOTED.finditer(line))
    if len(quoted) == 1:
        outside = _QUOTED.sub(" ", line).split()
        if len(outside) >= MIN_PROSE_WORDS:
            return _clean(quoted[0].group(1))
    filed = _FILED.match(line)
    return _clean(filed.group(1)) if filed else None


def split_values(text: str) -> list[str]:
    """A string under a facet key, as written: one item (the mapper splits on commas if the whole fails)."""
    return [_clean(text)]


def split_list(text: str) -> list[str]:
    """The parts of a comma/semicolon list ("Red, Blue; Green", "红色、蓝色"), empty parts dropped."""
    return [p for p in (_clean(part) for part in _ITEM_SPLIT.split(text)) if p]


def split_path(text: str) -> list[str]:
    """The segments of a path written with any separator (``>``, ``/``, ``›``, ``->``, ``|``, ``»``)."""
    # a slash only separates when nothing else does: "Computer Components > I/O Cards" keeps its "I/O"
    splitter = _PATH_SPLIT if _PATH_SPLIT.search(text) else _SLASH_SPLIT
    return [p for p in (s.strip() for s in splitter.split(text)) if p]


def is_dashed_answer(text: str) -> bool:
    """Whether a line is an answer word and a dash or arrow before the value ("Category — Sticky Notes")."""
    return _DASHED.match(text) is not None


def has_path_separator(text: str) -> bool:
    return bool(_PATH_SPLIT.search(text) or _SLASH_SPLIT.search(text))


def _clean(text: str) -> str:
    """Trim whitespace and wrapping quotes: '"Red"' -> 'Red' (a final full stop is left to the normaliser)."""
    text = trim(text)
    for _ in range(3):
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
            text = trim(text[1:-1])
        else:
            break
    return text


def to_text(parsed: Any) -> str:
    """A parsed answer back as compact JSON (for provenance), or the text itself."""
    if isinstance(parsed, str):
        return parsed
    return json.dumps(parsed, ensure_ascii=False, default=str)
