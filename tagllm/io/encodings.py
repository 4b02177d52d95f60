"""The bytes of a text input that is no UTF-8 text, told from its first lines: UTF-16, compressed (gzip, bzip2, xz,
zstd), a zip archive or Parquet, lines ended by a carriage return alone, Chinese in GBK/GB18030 or Western text in
Windows-1252; each refused before the first record, saying how to convert it."""

from __future__ import annotations

import re
from pathlib import Path

from tagllm.errors import InputError
from tagllm.text import has_cjk

# the signs besides letters that Western text holds in Windows-1252 (a no-break space, dashes, quotes, €, °, ½ …)
WESTERN_MARKS = set("\xa0–—‘’‚“”„…•€£¥¢°®©™«»×÷±½¼¾·§¶¿¡ªº¹²³µ")


def utf16(first: bytes, name: str) -> None:
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: the file is UTF-16; re-save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in first[:2]:
        # UTF-16 without a byte order mark (a NUL beside each ASCII letter): each line was an error record ("not
        # valid JSON"), a CSV's header columns read as 'i\x00d\x00'
        order = "UTF-16LE" if first[1:2] == b"\x00" else "UTF-16BE"
        raise InputError(
            f"{name}: the file seems {order} (a zero byte beside each letter); re-save it as UTF-8 "
            f"(e.g. iconv -f {order} -t UTF-8)"
        )


# the first bytes of a compressed file -> how it is compressed, and the tool that decompresses it. Read as lines, each
# line was an error record ("not UTF-8; re-save the file as UTF-8"), or a CSV's header refused as not UTF-8
COMPRESSION = {
    b"\x1f\x8b": ("gzip", "gunzip"),
    b"\xfd7zXZ\x00": ("xz", "unxz"),
    b"\x28\xb5\x2f\xfd": ("zstd", "unzstd"),
}
BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")  # "BZh" alone may begin a CSV header
ZIP = b"PK\x03\x04"
PARQUET = b"PAR1"


def packed(first: bytes, name: str) -> None:
    """Refuse a file that is compressed, a zip archive (an Excel workbook is one) or Parquet: its bytes are no text."""
    if first.startswith(PARQUET):  # cat products.parquet | tagllm generate -: each "line" was an error record
        how = "give its path instead" if name == "<stdin>" else "read it with --input-format parquet"
        raise InputError(f"{name}: the input is a Parquet file, read here as text; {how}")
    if first.startswith(ZIP):
        why = "a zip archive (an Excel workbook is one); unzip it, or save the sheet as CSV UTF-8"
        raise InputError(f"{name}: the input is {why}")
    kind, tool = next((kind for magic, kind in COMPRESSION.items() if first.startswith(magic)), (None, None))
    if BZIP2.match(first):
        kind, tool = "bzip2", "bunzip2"
    if kind is None:
        return
    how = f"{tool} -c FILE | tagllm …" if name == "<stdin>" else f"{tool} -k {name}"
    raise InputError(f"{name}: the input is compressed with {kind}; decompress it first ({how})")


def carriage_returns(first: bytes, name: str) -> None:
    """Lines ended by a carriage return alone (classic Mac OS, Excel for Mac's "CSV (Macintosh)") are one line split on
    b'\\n': a CSV's header row would hold every row, a JSONL's first record every record."""
    if b"\n" not in first and b"\r" in first.rstrip(b"\r"):
        suffix = Path(name).suffix or ".txt"
        raise InputError(
            f"{name}: its lines end with a carriage return alone (classic Mac OS, Excel for Mac's CSV (Macintosh)); "
            f"re-save it with LF or CRLF line endings, e.g. tr '\\r' '\\n' < {name} > fixed{suffix}"
        )


# What wrote a file in a Windows legacy encoding, and how to write it in UTF-8 instead, for a CSV (Excel) and for JSON
# Lines (a program: Python's open() on Windows writes the legacy encoding unless told otherwise); Excel's CSV advice
# given for a JSONL file named a tool that never wrote it.
CHINESE_WRITERS = {
    True: ("as Excel saves a CSV on Chinese Windows", "re-save it as UTF-8"),
    False: (
        "as a program on Chinese Windows writes text unless told to write UTF-8",
        'write it as UTF-8 (Python: open(path, "w", encoding="utf-8")), or convert it',
    ),
}
WESTERN_WRITERS = {
    True: ('as Excel saves "CSV (Comma delimited)" on Western Windows', 're-save it as "CSV UTF-8", or convert it'),
    False: (
        "as a program on Western Windows writes text unless told to write UTF-8",
        'write it as UTF-8 (Python: open(path, "w", encoding="utf-8")), or convert it',
    ),
}


def legacy_chinese(first: bytes, name: str, line: int, is_csv: bool = True) -> None:
    """The first line of a file that is not ASCII is Chinese saved in GBK/GB18030 (Excel's CSV on Chinese Windows),
    not UTF-8: each row holding Chinese would be an error record and the rest tagged; refused before the first (as
    Windows-1252 is, ``legacy_western``), saying what likely wrote it: Excel for a CSV, a program for JSON Lines."""
    try:
        first.decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    try:
        text = first.decode("gb18030")
    except UnicodeDecodeError:
        legacy_western(first, name, line, is_csv)
        return
    chinese = [c for c in text if has_cjk(c)]
    # GB2312's ideographs are two bytes over 0xa0: most of a Chinese text's; a Latin-1 accent before an ASCII letter
    # ('è' 'm' in 'Crème') also decodes as an ideograph, whose second byte is that letter
    common = sum(1 for c in chinese if c.encode("gb18030")[-1] > 0xA0)
    if not chinese or common < 0.8 * len(chinese):
        legacy_western(first, name, line, is_csv)
        return
    wrote, fix = CHINESE_WRITERS[is_csv]
    raise InputError(
        f"{name}:{line}: the file is not UTF-8: it reads as Chinese saved in GBK/GB18030 ({wrote}); {fix}, e.g. "
        f"iconv -f GB18030 -t UTF-8 {_converted(name)}"
    )


def legacy_western(first: bytes, name: str, line: int, is_csv: bool = True) -> None:
    """The first line of a file that is not ASCII, and not UTF-8, reads as Windows-1252 (Excel's "CSV (Comma
    delimited)" on Western Windows; Latin-1): each row with an accent (Crème, Hermès, 100% Baumwolle – …) was an error
    record and the rest tagged; refused before the first, showing the word as it reads, for the user to judge."""
    if any(not c.isascii() and c != "\ufffd" for c in first.decode("utf-8", errors="replace")):
        return  # UTF-8 text beside the bad bytes (a cell cut inside a letter): that line's error record says so
    try:
        text = first.decode("cp1252")
    except UnicodeDecodeError:  # a byte Windows-1252 leaves undefined: no guess at the encoding
        return
    if not all(c.isascii() or (c.isalpha() and c != "ÿ") or c in WESTERN_MARKS for c in text):
        return  # stray bytes (0xff is seldom text) in a UTF-8 file: that line's error record says so
    words = [w for w in re.split(r"[\s,;|\"]+", text) if not w.isascii()]
    if not words:  # a no-break space alone (0xa0) is no word to judge the encoding by: the line's error record says so
        return
    word = next((w for w in words if any(c.isalpha() and not c.isascii() for c in w)), words[0])[:40]  # Hermès, not –
    wrote, fix = WESTERN_WRITERS[is_csv]
    raise InputError(
        f"{name}:{line}: the file is not UTF-8: it reads as Windows-1252 ({word!r}), {wrote}; {fix}, e.g. "
        f"iconv -f WINDOWS-1252 -t UTF-8 {_converted(name)}"
    )


def _converted(name: str) -> str:
    """What iconv reads and writes to convert the input ``name``."""
    path = Path(name)
    return f"{name} > {path.with_name(f'{path.stem}-utf8{path.suffix}')}" if name != "<stdin>" else "FILE | tagllm …"
