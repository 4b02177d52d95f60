"""What a value is when it is no tag: a year or date, a number or measurement, a code, or a long description."""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_VALUE_WORDS, MAX_VALUE_CHARS = 6, 40  # a value longer than this is a description, not a tag
_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
_TOKENS = re.compile(r"[a-z]+|\d+|[^\W\d_a-z]+", re.UNICODE)
# A clothing size counted in X's ("3XL" for XXXL, "2XS", "4 XL"): a letter size, as XL is, not a model number
_LETTER_SIZE = re.compile(r"\d{1,2} ?x{1,3}[sl]")
# A letter size with a note in brackets, the number it stands for in one sizing ("M (38)", "XL（42）", "3XL (EU 46)"):
# the size, not a measurement ("m" a metre and "l" a litre made "M (38)" and "L (40)" numbers, "S (36)" a value)
_NOTED_SIZE = re.compile(r"(?:(?:x{0,3}|\d ?x{1,3})[sl]|m)\s*\([^()]+\)")  # read after NFKC: "（" is "("
_UNITS = frozenset({
    "mm", "cm", "m", "km", "in", "inch", "inches", "ft", "feet", "g", "gm", "gms", "gram", "grams", "kg", "mg", "lb",
    "lbs", "oz", "ml", "l", "ltr", "liter", "litre", "w", "kw", "v", "mah", "gb", "mb", "tb", "kb", "mbps", "gbps",
    "kbps", "hz", "khz", "mhz", "ghz", "rpm", "mp", "px", "dpi", "pcs", "pc", "piece", "pieces", "pack", "of", "x",
    "to", "k",
})  # fmt: skip
_CJK_UNITS = frozenset({
    "毫米", "厘米", "公分", "米", "英寸", "寸", "克", "千克", "公斤", "斤", "毫升", "升", "个月", "月", "年", "天",
    "周岁", "岁", "片", "支", "只", "个", "件", "瓦", "伏", "包", "袋", "瓶", "盒", "套", "张", "层", "码", "号", "度",
})  # fmt: skip


@functools.lru_cache(maxsize=1 << 16)
def _kind(value: str) -> str | None:
    """What a value looks like when it is not a category-like word: 'date', 'number' or 'code'."""
    text = unicodedata.normalize("NFKC", value).casefold()
    if _NOTED_SIZE.fullmatch(text.strip()):
        return None
    if _YEAR.search(text):
        return "date"
    tokens = _TOKENS.findall(text)
    if any(t.isdigit() for t in tokens) and all(t.isdigit() or t in _UNITS or t in _CJK_UNITS for t in tokens):
        return "number"
    if _LETTER_SIZE.fullmatch(text.strip()):
        return None
    letters = [t for t in tokens if t.isascii() and t.isalpha() and t not in _UNITS]
    if " " not in text.strip() and any(t.isdigit() for t in tokens) and (letters or re.search(r"\d{5}", text)):
        return "code"
    return None


KIND_REASONS = {
    "date": "years or dates",
    "number": "numbers or measurements",
    "code": "codes or model numbers",
    "text": "free text (long descriptions)",
}


def value_kind(value: str) -> str | None:
    """Why a value is not a tag: it is a year or date, a number or measurement, a code, or a long description."""
    kind = _kind(value)
    if kind is None and (len(value.split()) > MAX_VALUE_WORDS or len(value) > MAX_VALUE_CHARS):
        return "text"
    return kind


def noted_size(value: str) -> str | None:
    """The letter size of a size written with a note in brackets ("M" of "M (38)"), or None."""
    text = unicodedata.normalize("NFKC", value).strip()
    if not _NOTED_SIZE.fullmatch(text.casefold()):
        return None
    return re.split(r"\s*\(", text, maxsplit=1)[0]
