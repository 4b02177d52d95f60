"""A product's ``images`` as catalogues list them, read as one reference per photo.

A cell or field may hold one reference, several separated by ``|``, a line break, blanks before a URL, ``,`` or
``;`` (WooCommerce, Magento and Google Merchant exports join URLs with commas), a JSON list, or photo objects as shop
APIs return them (Shopify, WooCommerce: ``{"src": ..., "alt": ...}``; others ``{"url": ...}`` or ``{"path": ...}``).
A comma or semicolon (ASCII, or full-width as Chinese input methods type them: ``，`` ``；`` ``、`` ``｜``) splits only
between two things that each look like a reference, so a URL whose query holds commas (``?w=100,h=200``), a
``data:image/png;base64,`` URL and a file name such as ``红色、蓝色.jpg`` stay whole.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tagllm.field_values import json_kind
from tagllm.missing import is_missing_cell

# the keys a photo object names its reference by, in the order they are looked for
# what exports write in a photo cell of a product without one: Magento's "no_selection", a database's NULL (MySQL's
# dump writes \N), pandas' nan, Python's None, a spreadsheet's N/A; read as a file name, each made the product
# "degraded" (no photo could be read) and every --resume tagged it again
NO_PHOTO = frozenset({"no_selection", "null", "\\n", "nan", "none", "n/a"})
REFERENCE_KEYS = ("src", "url", "path", "href", "link", "uri", "file")
# never inside a reference a catalogue writes: a bar, a line break, blanks before another URL
_ALWAYS_SPLIT = re.compile(r"[|\r\n]+|\s*[,;，；、]?\s+(?=(?:https?|file)://|//[A-Za-z0-9-]+\.)")
# a comma or semicolon, ASCII or as Chinese sellers type them (full-width '，' '；', the enumeration comma '、', '｜')
_MAYBE_SPLIT = re.compile(r"\s*[,;，；、｜]\s*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # http:, https:, file:, data:, and a Windows drive (c:)
# a URL without its scheme, as HTML and Shopify's Liquid (img_url) write them: //cdn.shopify.com/s/files/….jpg
PROTOCOL_RELATIVE = re.compile(r"//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?/")
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]+=*")  # a line of a data URL's base64, wrapped
_WRAP_WIDTHS = (64, 76)  # a wrapped base64's full lines: openssl and PEM write 64 characters, base64(1) and MIME 76
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{1,4}$")  # a file name's: .jpg, .jpeg, .webp, .png


class ImageFieldError(ValueError):
    """The ``images`` field holds something that names no photo; the message says which item and why."""


def image_references(value: Any) -> list[str]:
    """Every photo reference ``value`` lists, in order (None: none). Raises ``ImageFieldError`` for an item that is
    neither a reference nor a photo object with one of ``REFERENCE_KEYS``."""
    if value is None:
        return []
    if isinstance(value, str):
        return _from_text(value)
    if isinstance(value, dict):
        return [_from_object(value, 1)]
    if not isinstance(value, list | tuple):
        # "got int" showed neither the value nor what a photo may be given as
        raise ImageFieldError(
            f"expected a photo path or URL, a list of them, or photo objects with a {'/'.join(REFERENCE_KEYS[:3])} "
            f"key; got {json_kind(value)}"
        )
    references = []
    for position, item in enumerate(value, 1):
        if is_missing_cell(item):  # a null in a list column, a NaN of photo columns joined into lists: no photo there
            continue
        if isinstance(item, str):
            if item.strip() and not _no_photo(item):
                references.append(item.strip())
        elif isinstance(item, dict):
            references.append(_from_object(item, position))
        else:
            raise ImageFieldError(
                f"item {position} is {type(item).__name__} {_short(item)}, not a photo path, URL or object with "
                f"a {'/'.join(REFERENCE_KEYS[:3])} key"
            )
    return references


def _from_object(item: dict[Any, Any], position: int) -> str:
    for key in REFERENCE_KEYS:
        reference = item.get(key)
        if isinstance(reference, str) and reference.strip():
            return reference.strip()
    keys = ", ".join(repr(k) for k in item) or "none"
    raise ImageFieldError(
        f"item {position} is a photo object with no reference: it needs one of the keys {', '.join(REFERENCE_KEYS)} "
        f"holding a path or URL (its keys: {keys})"
    )


def _from_text(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("["):  # a JSON list in a text cell (a CSV, a Parquet string column)
        try:
            listed = json.loads(text)
        except (ValueError, RecursionError):
            raise ImageFieldError(f"{_short(text)} starts like a JSON list but is not valid JSON") from None
        return image_references(listed)
    if text.startswith("{"):
        try:
            listed = json.loads(text)
        except (ValueError, RecursionError):
            raise ImageFieldError(f"{_short(text)} starts like a JSON object but is not valid JSON") from None
        return image_references(listed)
    pieces = _data_urls_whole(_ALWAYS_SPLIT.split(text))
    return [ref for piece in pieces for ref in _split_commas(piece.strip()) if ref and not _no_photo(ref)]


def _no_photo(reference: str) -> bool:
    return reference.strip().casefold() in NO_PHOTO


def _data_urls_whole(pieces: list[str]) -> list[str]:
    """``pieces`` with a data URL's base64 wrapped over lines (base64(1) and openssl wrap it at 76 or 64 characters)
    joined back: each line of it was read as a reference of its own, the first a data URL cut short. A line is
    joined only after a line of the wrap's full width: after a shorter one (the data's last line, or a data URL
    written on one line) the data has ended, and a next line of letters and digits (a file name with no extension,
    ``IMG0001``) is a photo of its own."""
    joined: list[str] = []
    wrapped = False  # whether the last piece is a data URL whose last line is a full-width line of a wrap
    for piece in pieces:
        piece = piece.strip()
        previous = joined[-1] if joined else ""
        if wrapped and not previous.endswith("=") and _BASE64_LINE.fullmatch(piece):
            joined[-1] = previous + piece
            wrapped = len(piece) in _WRAP_WIDTHS
        else:
            joined.append(piece)
            wrapped = piece.startswith("data:") and _wrapped_first_line(piece)
    return joined


def _wrapped_first_line(line: str) -> bool:
    """Whether a data URL's first line is cut where a wrap cuts: its base64 alone (after the header), or the whole
    line, is a wrap's width, or the header stands alone on it."""
    payload = line.partition(",")[2]
    return not payload or len(payload) in _WRAP_WIDTHS or len(line) in _WRAP_WIDTHS


def _split_commas(text: str) -> list[str]:
    """``text`` split at the commas and semicolons that stand between two references; any other stays inside the
    reference it is part of (a URL's query, a data URL's header, a file name with a comma)."""
    pieces: list[str] = []
    start = 0
    for found in _MAYBE_SPLIT.finditer(text):
        left, right = text[start : found.start()], text[found.end() :]
        nxt = _MAYBE_SPLIT.search(right)
        following = right[: nxt.start()] if nxt else right
        if _is_whole(left) and _starts_reference(following):
            pieces.append(left)
            start = found.end()
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def _is_whole(text: str) -> bool:
    """Whether ``text`` could be a whole reference: a URL, or a path ending in a file name with an extension."""
    return _is_url(text) or bool(_EXTENSION.search(text.split("?")[0].split("#")[0]))


def _starts_reference(text: str) -> bool:
    """Whether ``text`` (up to the next comma or semicolon) begins a reference of its own: a URL, or a path to a
    file with an extension; not the rest of a URL's query (``h=200``) nor of a data URL's header (``base64``)."""
    if _is_url(text):
        return True
    return "=" not in text and "&" not in text and bool(_EXTENSION.search(text))


def _is_url(text: str) -> bool:
    return bool(_SCHEME.match(text) or PROTOCOL_RELATIVE.match(text))


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
