"""Comparison keys for mapping: each a looser reading of a string (exact, normalised, singular, compact, sorted)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from tagllm.text import IRREGULAR_PLURALS, normalize, singular

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
FORMAT = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
DIGITS = re.compile(r"\d+")
POSSESSIVE = re.compile(r"\w['\u2019\u02bc`\u00b4]s\b", re.IGNORECASE)
"""An apostrophe before a final "s": the possessive the normaliser turns into a lone "s" ("women's" -> "women s")."""

JOINED_NAME = re.compile(r"\s*(?:&|,|\band\b)\s*|\s+\+\s+", re.IGNORECASE)
"""What joins the parts of a value's name ("Tacks & Pushpins", "Tacks and Pushpins", "Tacks And Pushpins", "Tacks +
Pushpins"): a taxonomy other than Shopify's may write "And" or "+"; a "+" is a joint only between spaces ("SPF 50+",
"C++" are one name)."""

_IRREGULAR = {**IRREGULAR_PLURALS, "people": "person"}

TRAILING_SIGNS = re.compile(r"[+#*]*$")
"""Signs written at the end of a name that the normaliser drops, each a distinct value: "SPF 50+" beside "SPF 50",
"A++" beside "A+" and "A", "C#" beside "C"."""


def exact_key(text: str) -> str:
    return " ".join(text.split())


def stem(word: str) -> str:
    """``text.singular`` plus endings it leaves apart, folded the same way on both sides so that they meet.

    'knives'/'knife' and 'shelves'/'shelf' meet on '-v', 'buses'/'bus' by dropping a final 'e' ('cookies'/'cookie'
    already meet in ``singular``). These are comparison keys, never shown, so a stem such as 'shelv' is fine.
    """
    word = singular(word)
    word = _IRREGULAR.get(word, word)
    if len(word) < 3 or not word.isascii():
        return word
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("f") and not word.endswith("ff"):
        word = word[:-1] + "v"
    return word


def trailing_signs(text: str) -> str:
    """The signs ``text`` ends with ("+" for "SPF50+", "" for "SPF 50"), which its keys drop."""
    found = TRAILING_SIGNS.search(text.rstrip())
    return found.group() if found else ""


def signed(text: str, names: dict[str, str]) -> str | None:
    """Of values whose names (id -> name) normalise alike and differ only in the signs they end with ("SPF 50",
    "SPF 50+"), the one whose signs are the text's own ("SPF50+" -> SPF 50+); None when they differ otherwise, or
    none or several end as the text does. A text without a sign decides nothing: it may be a phrase a stage
    normalised ("ant" read inside "ANT+ heart rate"), its sign already dropped."""
    own = trailing_signs(text)
    if not own or len({normalize(name) for name in names.values()}) != 1:
        return None
    found = [vid for vid, name in names.items() if trailing_signs(name) == own]
    return found[0] if len(found) == 1 else None


def iter_keys(text: str) -> Iterator[str]:
    """``keys`` of a string read, one at a time: most strings match on the first, and the stems cost more than the
    lookups. A lone "s" is a possessive only when an apostrophe wrote it ("women's"); without one it is a word of
    its own, a size letter ("S/M" is two sizes, not M). Words beside a slash are alternatives, not one word
    written apart, so they get no compact key. The tables, built from names by ``keys``, drop a lone "s" always."""
    norm = normalize(text)
    yield norm
    possessive = POSSESSIVE.search(text) is not None
    sing = " ".join(stem(w) for w in norm.split() if w != "s" or not possessive)
    yield sing
    yield "" if "/" in text else sing.replace(" ", "")  # a slash lists values ("S/M"), it runs no word together
    yield " ".join(sorted(sing.split()))


def keys(text: str) -> tuple[str, str, str, str]:
    """normalize, singular, compact (no spaces) and word-sorted keys: each a looser reading than the one before."""
    norm = normalize(text)
    # a lone "s" is a possessive cut off by the normaliser ("women's" -> "women s")
    sing = " ".join(stem(w) for w in norm.split() if w != "s")
    return norm, sing, sing.replace(" ", ""), " ".join(sorted(sing.split()))


def label_key(text: str) -> str:
    """Other-language labels (Chinese) compare without spaces or punctuation: '运动 鞋' = '运动鞋'."""
    return normalize(text).replace(" ", "")


def script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def scripts(text: str) -> set[str]:
    return {script(ch) for ch in text if ch.isalpha()}


def label_scripts(texts: Iterable[str]) -> set[str]:
    """Scripts some label is written in entirely: the 'µ' of 'µm' does not make Greek a language of the taxonomy."""
    texts = [unicodedata.normalize("NFKC", t) for t in texts]
    script_of = {ch: script(ch) for ch in set("".join(texts)) if ch.isalpha()}
    out: set[str] = set()
    for text in texts:
        found = {script_of[ch] for ch in text if ch in script_of}
        if len(found) == 1:
            out |= found
    return out


def words_of(text: str) -> list[str]:
    """The normalised words of a string, without a possessive "s" the normaliser cut off ("women's" -> "women s");
    a lone "s" that no apostrophe wrote is a word ("XS/S": two sizes)."""
    possessive = POSSESSIVE.search(text) is not None
    return [t for t in normalize(text).split() if t != "s" or not possessive]
