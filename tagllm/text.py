"""Text normalisation shared by the taxonomy, the mapper and the lexical model (English and Chinese)."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_AND = re.compile(r"\s*&\s*|\s+and\s+")
_CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_CHARS}]")
_SCRIPT_RUNS = re.compile(f"[{_CJK_CHARS}]+|[^{_CJK_CHARS}]+")  # "navy纯棉t恤": navy, 纯棉, t, 恤
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")  # a '<' before a space or a digit opens no tag: "2 < 3" is text
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+\d*);")


def normalize(text: str) -> str:
    """Fold a label or a model's word to a comparison key: NFKC, case fold, '&' = 'and', punctuation to spaces,
    traditional Chinese characters to simplified.

    NFKC turns full-width forms (ＲＥＤ, ，) into their half-width twins, so Chinese and English input written
    either way meet on one key; a Taiwan or Hong Kong seller's 連衣裙 meets a taxonomy's 连衣裙 (``simplified``).
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    if _CJK.search(text):
        text = text.translate(simplified())
    text = _AND.sub(" and ", text)
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())


def html_text(text: str) -> str:
    """A cell of HTML (Shopify's Body (HTML), a description scraped from a page) as the text a reader sees: its tags,
    comments, scripts and styles left out, its entities (``&amp;``, ``&nbsp;``, ``&#39;``) as their characters, its
    white space as single spaces; text with neither a tag nor an entity as it is."""
    if not (_TAG.search(text) or _ENTITY.search(text)):
        return text
    shown = _TAG.sub(" ", _HIDDEN.sub(" ", text))
    return " ".join(html.unescape(shown).split())


@lru_cache(maxsize=1)
def simplified() -> dict[int, str]:
    """Traditional Chinese characters to their simplified forms (``str.translate``'s table), from OpenCC's character
    table (``TSCharacters.txt``, Apache-2.0) as the ``opencc-python-reimplemented`` package ships it: 4,113
    characters, each to its first simplified form, those whose first form is themselves (覆, used in both) left out.
    Character by character, as a key for comparing words; never shown. Empty where the package is missing."""
    try:
        from importlib.resources import files

        data = files("opencc").joinpath("dictionary/TSCharacters.txt").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return {}
    table: dict[int, str] = {}
    for line in data.splitlines():
        traditional, _, forms = line.partition("\t")
        first = forms.split()[0] if forms.split() else ""
        if len(traditional) == 1 and first and first != traditional:
            table[ord(traditional)] = first
    return table


def has_cjk(text: str) -> bool:
    """Whether the text holds Chinese (or other CJK ideographic) characters."""
    return bool(_CJK.search(text))


# English plurals no suffix rule reaches, for comparing words (a closed class of the language)
IRREGULAR_PLURALS = {
    "women": "woman", "men": "man", "children": "child", "feet": "foot", "teeth": "tooth", "mice": "mouse",
    "geese": "goose",
}  # fmt: skip
# Words that end in -s in the singular and that catalogues use often.
_SINGULAR_S = frozenset({"lens", "series", "species", "news", "chassis", "canvas", "atlas", "bus", "gas", "plus"})


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """A cheap English singular, as a key for matching ('dresses' -> 'dress', 'batteries' -> 'battery').

    A suffix rule cannot tell 'hoodies' (a hoodie) from 'batteries' (a battery), nor 'tomatoes' (a tomato) from
    'shoes' (a shoe), so both forms of such words fold onto one key: a final '-ie' becomes '-y' ('hoodie' and
    'hoodies' -> 'hoody', 'tie' and 'ties' -> 'ty') and a final '-oe' of a word of four letters or more '-o'
    ('shoe' and 'shoes' -> 'sho', 'tomatoes' -> 'tomato'). A key, not a word to show.

    Cached: a catalogue repeats its words (tagging 3,000 Flipkart products singularised 42,593 words, 0.7 s of a
    profiled 22 s run)."""
    word = _without_plural_ending(word)
    if not word.isascii():
        return word
    if len(word) >= 3 and word.endswith("ie"):
        return word[:-2] + "y"
    if len(word) >= 4 and word.endswith("oe"):
        return word[:-1]
    return word


def looks_plural(word: str) -> bool:
    """Whether ``word`` ends as an English plural does ('cups', 'hoodies'; not 'cup', 'hoodie', 'glass')."""
    return _without_plural_ending(word) != word


def _without_plural_ending(word: str) -> str:
    if len(word) <= 3 or not word.isascii() or word in _SINGULAR_S:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y" if len(word) > 4 else word[:-1]  # 'ties', 'pies': 'tie', 'pie'
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words_of(norm: str) -> list[str]:
    """A normalised text's words, Chinese characters and the Latin letters or digits written against them apart:
    mixed titles leave no space between them ("男士navy纯棉t恤"), and read as one word with the Chinese a Latin name
    in it was never found."""
    if has_cjk(norm):
        return [run for word in norm.split() for run in _SCRIPT_RUNS.findall(word)]
    return norm.split()


@lru_cache(maxsize=4096)
def word_forms(norm: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A normalised text's words (``words_of``), and the same words through ``singular``. Cached: the mention finders
    of every facet read the same texts in turn (an index build with 85 attribute facets singularised 13 million
    words)."""
    words = tuple(words_of(norm))
    return words, tuple(singular(w) for w in words)


def singular_key(text: str) -> str:
    """``normalize`` then singularise each word: the key that makes 'Running Shoes' meet 'running shoe'."""
    return singular_words(normalize(text))


def singular_words(norm: str) -> str:
    """``singular_key`` of a text already normalised (``normalize``), for a caller that holds both forms."""
    return " ".join(singular(w) for w in norm.split())
