"""Reading products from JSONL, CSV and Parquet, and writing results, with errors that name the line and field."""

from __future__ import annotations

import builtins
import datetime
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tagllm.errors import InputError
from tagllm.io import RecordSource, ResultWriter, detect_format, parse_columns, read_products, read_records, scan_output
from tagllm.models import Product, RecordError, Tag, TagResult

DATA = Path(__file__).parent / "data"


def test_csv_with_json_attributes_and_pipe_lists(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text('id,title,attributes,queries\n1,Red shirt,"{""Fabric"": ""Cotton""}",red shirt|cotton top\n')
    (product,) = list(read_products(src))
    assert isinstance(product, Product)
    assert product.attributes == {"Fabric": "Cotton"} and product.queries == ["red shirt", "cotton top"]


def test_parquet_round_trip(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "p.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "1", "title": "Blue jeans", "brand": None}]), src)
    assert [p.title for p in read_products(src)] == ["Blue jeans"]  # type: ignore[union-attr]
    out = tmp_path / "o.parquet"
    writer = ResultWriter(out, facets=["category"])
    writer.write([TagResult(product_id="1")])
    writer.close()
    assert pq.read_table(out).column("product_id").to_pylist() == ["1"]
    assert not (tmp_path / "o.parquet.parts").exists()


def test_a_parquet_text_cell_that_is_not_utf8_is_an_error_record_and_the_rest_is_read(tmp_path: Path) -> None:
    # pyarrow reads a string column's bytes unchecked (a tool that wrote Latin-1 text as strings): converting the batch
    # raised UnicodeDecodeError, and the run stopped with a traceback, "tagllm crashed"
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "p.parquet"
    titles = pa.array([b"Blue denim jeans", b"Caf\xe9 cr\xe8me mug", b"Red summer dress"]).view(pa.string())
    pq.write_table(pa.table({"id": ["p1", "p2", "p3"], "title": titles}), src)
    products = list(read_products(src))
    assert [p.id for p in products if isinstance(p, Product)] == ["p1", "p3"]
    (bad,) = [p for p in products if isinstance(p, RecordError)]
    assert (bad.line, bad.field, bad.message) == (
        2, "title", f"{src}:2: column 'title' holds text that is not UTF-8 (byte 3 is 0xe9); re-export the file "
        "with its text in UTF-8",
    )  # fmt: skip


def test_utf16_and_empty_files_are_refused_with_a_fix(tmp_path: Path) -> None:
    utf16 = tmp_path / "u.jsonl"
    utf16.write_bytes('{"title": "x"}\n'.encode("utf-16"))
    with pytest.raises(InputError, match="the file is UTF-16; re-save it as UTF-8"):
        list(read_products(utf16))
    blank = tmp_path / "b.jsonl"
    blank.write_text("\n\n")
    with pytest.raises(InputError, match="the input is empty"):
        list(read_products(blank))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.jsonl", '{"id": "1", "title": "Blue denim jeans"}\n\ufeff{"id": "2", "title": "Wool scarf"}\n'),
        ("p.csv", "id,title\n1,Blue denim jeans\n\ufeff2,Wool scarf\n"),
    ],
)
def test_a_byte_order_mark_beginning_a_later_line_is_not_read(tmp_path: Path, name: str, text: str) -> None:
    # files joined with cat, the second saved with a BOM: its first JSONL record was an error record ("Unexpected UTF-8
    # BOM"); its first CSV row was tagged as product "\ufeff2", an id that looks like "2" and joins nothing
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    assert [(p.id, p.title) for p in read_products(src)] == [  # type: ignore[union-attr]
        ("1", "Blue denim jeans"), ("2", "Wool scarf"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "encoding"), [("p.jsonl", "UTF-16LE"), ("p.csv", "UTF-16LE"), ("p.jsonl", "UTF-16BE")]
)
def test_utf16_without_a_byte_order_mark_is_refused_with_a_fix(tmp_path: Path, name: str, encoding: str) -> None:
    # of 3 products in UTF-16LE, 4 error records ("not valid JSON"), none tagged; a CSV's columns read as 'i\x00d\x00',
    # with the advice to map one of them as the title
    src = tmp_path / name
    text = '{"id": "1", "title": "Blue denim jeans"}\n' * 3 if name.endswith(".jsonl") else "id,title\n1,Wool scarf\n"
    src.write_bytes(text.encode(encoding))
    with pytest.raises(InputError) as error:
        RecordSource(src).require_title()
    assert str(error.value) == (
        f"{src}: the file seems {encoding} (a zero byte beside each letter); re-save it as UTF-8 "
        f"(e.g. iconv -f {encoding} -t UTF-8)"
    )


@pytest.mark.parametrize("name", ["p.jsonl", "p.csv"])
def test_a_compressed_input_is_refused_naming_how_to_decompress_it(tmp_path: Path, name: str) -> None:
    # each "line" of a gzipped JSONL was an error record ("not UTF-8; re-save the file as UTF-8"), and a gzipped CSV
    # was refused as not UTF-8
    import gzip

    src, named = tmp_path / name, tmp_path / f"{name}.gz"
    for path in (src, named):
        path.write_bytes(gzip.compress(b'{"id": "1", "title": "Blue denim jeans"}\n' * 50))
    with pytest.raises(InputError) as error:
        list(read_products(src))
    assert str(error.value) == f"{src}: the input is compressed with gzip; decompress it first (gunzip -k {src})"
    with pytest.raises(InputError) as error:
        list(read_products(named))
    assert str(error.value) == f"{named}: the input is compressed; decompress it first (gunzip -k {named})"


@pytest.mark.parametrize("name", ["products.jsonl", "products.csv", "-"])
def test_a_parquet_file_read_as_text_is_refused_naming_how_to_read_it(tmp_path: Path, name: str) -> None:
    # cat products.parquet | tagllm generate -: each "line" of its bytes was an error record ("not UTF-8"), exit 1, no
    # product tagged; named .csv, its header was 'PAR1\x15\x04…', refused as no title column
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from tagllm.cli import app

    parquet = tmp_path / "products.parquet"
    pq.write_table(pa.table({"id": ["1"], "title": ["Blue denim jeans"]}), parquet)
    if name == "-":
        result = CliRunner().invoke(app, ["generate", "-", "-o", str(tmp_path / "o.jsonl")], input=parquet.read_bytes())
        assert isinstance(result.exception, InputError)
        assert str(result.exception) == "<stdin>: the input is a Parquet file, read here as text; give its path instead"
        return
    src = tmp_path / name
    src.write_bytes(parquet.read_bytes())
    with pytest.raises(InputError) as error:
        RecordSource(src).peek(1)
    assert (
        str(error.value)
        == f"{src}: the input is a Parquet file, read here as text; read it with --input-format parquet"
    )
    assert [r.data for r in RecordSource(src, format="parquet")] == [{"id": "1", "title": "Blue denim jeans"}]


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        ("csv", "id,title\r1,Blue denim jeans\r2,Wool scarf\r"),  # Excel for Mac's "CSV (Macintosh)"
        ("jsonl", '{"id": "1", "title": "Blue denim jeans"}\r{"id": "2", "title": "Wool scarf"}\r'),
    ],
)
def test_a_file_whose_lines_end_with_a_carriage_return_alone_is_refused_with_a_fix(
    tmp_path: Path, suffix: str, text: str
) -> None:
    # the whole file was one line: a CSV was refused as "the header row is not valid CSV (new-line character seen in
    # unquoted field - do you need to open the file in universal-newline mode?)", and a JSONL's products were all one
    # error record, "not valid JSON (Extra data at column 41)"
    src = tmp_path / f"p.{suffix}"
    src.write_bytes(text.encode())
    with pytest.raises(InputError) as error:
        list(read_products(src))
    assert str(error.value) == (
        f"{src}: its lines end with a carriage return alone (classic Mac OS, Excel for Mac's CSV (Macintosh)); "
        f"re-save it with LF or CRLF line endings, e.g. tr '\\r' '\\n' < {src} > fixed.{suffix}"
    )
    crlf = tmp_path / f"crlf.{suffix}"
    crlf.write_bytes(text.replace("\r", "\r\n").encode())  # Windows' line endings are read
    assert [p.id for p in read_products(crlf) if isinstance(p, Product)] == ["1", "2"]


def test_csv_row_with_too_many_cells_is_an_error_record(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text("id,title\n1,ok\n2,bad, extra\n")
    items = list(read_products(src))
    assert isinstance(items[0], Product)
    assert isinstance(items[1], RecordError) and items[1].message == (
        f"{src}:3: record '2': more cells than header columns (3, the header has 2): a cell holding ',' must be quoted "
        '("Jeans, blue")'
    )
    assert items[1].record_id == "2"


def test_a_csv_row_whose_unquoted_comma_may_be_in_its_id_is_named_by_its_line_not_a_fragment_of_the_id(
    tmp_path: Path,
) -> None:
    # "A,17,Blue jeans" under id,title: the id may be "A,17" (the title "Blue jeans") or "A" (the title "17,Blue
    # jeans"); named 'A', the row's error record took a fragment of its id, maybe another product's
    src = tmp_path / "p.csv"
    src.write_text(
        "id,title\nA,17,Blue jeans\nB, 18,Red dress\nC,Jeans, blue, slim\nD,Wool scarf,grey\nE,Wool, scarf,grey\n"
    )
    items = list(read_products(src))
    assert [item.record_id for item in items if isinstance(item, RecordError)] == [None, None, "C", None, None]
    assert items[0].message.startswith(f"{src}:2: more cells than header columns (3, the header has 2)")
    last = tmp_path / "last.csv"  # the id in the last column: the cell before it must not be a text's
    last.write_text("title,sku\nJeans, blue,S1\nJeans,blue, S2\nJeans,S,3\n")
    items = list(read_products(last, columns={"id": "sku"}))
    assert [item.record_id for item in items if isinstance(item, RecordError)] == ["S1", None, None]


def test_a_csv_row_with_too_many_cells_is_named_by_an_id_at_either_end_of_the_row(tmp_path: Path) -> None:
    # it was named line-N though its id cell was read right: an unquoted comma shifts only the cells after it (or,
    # counted from the row's end, before it), so the first and the last column's cells are read right; a middle one not
    src = tmp_path / "p.csv"
    src.write_text("title,brand,sku\nRed dress,Acme,S1\nJeans, blue,Acme,S2\n")
    items = list(read_products(src, columns={"id": "sku"}))
    assert [item.record_id for item in items if isinstance(item, RecordError)] == ["S2"]
    middle = tmp_path / "m.csv"
    middle.write_text("title,id,brand\nJeans, blue,S2,Acme\n")
    (error,) = read_products(middle)
    assert isinstance(error, RecordError) and error.record_id is None
    assert error.message.startswith(f"{middle}:2: more cells than header columns")


def test_a_record_with_a_byte_that_is_not_utf8_is_named_by_an_id_read_whole(tmp_path: Path) -> None:
    # named line-N though its id was written in UTF-8: only a field holding the bad byte is unread
    jsonl, table = tmp_path / "p.jsonl", tmp_path / "p.csv"
    jsonl.write_bytes(b'{"id": "d", "title": "caf\xff mug"}\n{"id": "e\xff", "title": "Tea"}\n')
    table.write_bytes(b"id,title\nc1,caf\xff mug\nc\xff2,Tea\n")
    named, unnamed = read_products(jsonl)
    assert isinstance(named, RecordError) and isinstance(unnamed, RecordError)
    assert (named.record_id, unnamed.record_id) == ("d", None)
    assert named.message == f"{jsonl}:1: record 'd': not UTF-8 (byte 25 is 0xff); re-save the file as UTF-8"
    named, unnamed = read_products(table)
    assert isinstance(named, RecordError) and isinstance(unnamed, RecordError)
    assert (named.record_id, unnamed.record_id) == ("c1", None)
    assert named.message == f"{table}:2: record 'c1': not UTF-8 (byte 6 is 0xff); re-save the file as UTF-8"


@pytest.mark.parametrize(
    ("line", "record_id"),
    [
        ('{"id": "A17", "title": "Blue jeans", "description": "Soft den', "A17"),  # cut short: named by its id
        ('{"sku": 3, "id": 17, "title": ', "17"),
        ('{"variant": {"id": "V1"}, "title": "Blue', None),  # a nested id is no record's
        ('{"id": 12', None),  # a number at the cut may have lost digits
        ('{"id": "A5", "title": "x", "id": "A6", "brand": ', None),  # which of two ids is the record's cannot be told
        ('{"id": "A2", "title": "Mug"} {"id": "A3", "title": "Cup"}', None),  # two records on one line
        ('{"id": "line-9", "title": ', None),  # the name of another line's record
    ],
)
def test_a_line_that_is_not_valid_json_is_named_by_its_top_level_id(
    tmp_path: Path, line: str, record_id: str | None
) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text(line + "\n")
    (error,) = read_products(src)
    assert isinstance(error, RecordError) and error.record_id == record_id
    named = f"record {record_id!r}: " if record_id else ""
    assert error.message.startswith(f"{src}:1: {named}not valid JSON (")


def test_empty_cells_past_the_headers_columns_lose_nothing_and_the_row_is_read(tmp_path: Path) -> None:
    # a separator ending each row but the header's (an export that writes one after every cell): each row was an error
    # record, "more cells than header columns", though the cells past the header's were empty
    src = tmp_path / "p.csv"
    src.write_text("id;title;brand\n1;Blue denim jeans;Levis;\n2;Wool scarf;; ;\n")
    assert [(p.id, p.title, p.brand) for p in read_products(src)] == [  # type: ignore[union-attr]
        ("1", "Blue denim jeans", "Levis"), ("2", "Wool scarf", None),
    ]  # fmt: skip


def test_an_empty_title_cell_says_the_product_has_no_title(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text("id,title,description\n1,ok,\n2,,a description alone\n")
    items = list(read_products(src))
    assert isinstance(items[0], Product)
    assert isinstance(items[1], RecordError) and items[1].field == "title"
    assert items[1].message == f"{src}:3: record '2' has no title; every product needs a non-empty title"


def test_a_title_of_invisible_characters_alone_says_the_product_has_no_title(tmp_path: Path) -> None:
    # a cell pasted from a web page holding zero-width spaces or a word joiner alone (U+200B, U+2060, U+FEFF) was
    # tagged as a product, from no text: its tags were the index's guess for an empty string
    src = tmp_path / "p.csv"
    src.write_text("id,title\n1,\u200b\u200b\n2,\u2060 \ufeff\n3,\u200bBlue jeans\n", encoding="utf-8")
    items = list(read_products(src))
    assert [(item.field, item.message) for item in items[:2]] == [  # type: ignore[union-attr]
        ("title", f"{src}:2: record '1' has no title; every product needs a non-empty title"),
        ("title", f"{src}:3: record '2' has no title; every product needs a non-empty title"),
    ]
    assert isinstance(items[2], Product) and items[2].title == "\u200bBlue jeans"


# -- malformed CSV: reported by its line, no row swallowed ----------------------------------------------------------
def _summary(src: Path) -> list[tuple[int, str]]:
    return [(r.line, r.data["id"] if r.data else r.error.message) for r in read_records(src)]  # type: ignore[union-attr]


def test_a_csv_quote_never_closed_is_reported_and_the_rows_after_it_are_read(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text('id,title\n1,Red shirt\n2,"Blue jeans\n3,Green hat\n4,Gold ring\n')
    assert _summary(src) == [
        (2, "1"),
        (3, f"{src}:3: malformed CSV row: a quote opened here is never closed, so the rest of the file would be one "
            "cell; the lines after it are read as rows of their own"),
        (4, "3"),
        (5, "4"),
    ]  # fmt: skip


def test_a_csv_quote_closed_rows_later_does_not_swallow_them(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text('id,title\n1,"Red shirt\n2,"Blue jeans"\n3,Green hat\n')
    lines = _summary(src)
    assert [line for line, _ in lines] == [2, 3, 4]
    assert lines[0][1].startswith(f"{src}:2: malformed CSV row: a quote is not closed, or a quote inside a cell")
    assert lines[1:] == [(3, "2"), (4, "3")]


def test_quoted_cells_over_several_lines_keep_their_line_numbers(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text('id,title,description\n1,Shirt,"line one\nline two"\n\n2,Hat,plain\n')
    records = list(read_records(src))
    assert [(r.line, r.data["id"]) for r in records] == [(2, "1"), (5, "2")]  # type: ignore[index]
    assert records[0].data["description"] == "line one\nline two"  # type: ignore[index]


def test_a_csv_row_repeating_the_header_is_an_error_record_not_a_product(tmp_path: Path) -> None:
    # cat a.csv b.csv: b's header was tagged as product "id" titled "title" (3 products in, 4 tagged, exit 0), and read
    # as an example and a gold product the same way
    src = tmp_path / "all.csv"
    src.write_text("id,title\n1,Red shirt\n2,Blue jeans\n\ufeffid, title\n3,Leather wallet\n", encoding="utf-8")
    assert _summary(src) == [
        (2, "1"),
        (3, "2"),
        (4, f"{src}:4: the row repeats the header: two files joined (cat a.csv b.csv)? It is not read as a product; "
            "join CSV files with tail -n +2 b.csv >> a.csv"),
        (5, "3"),
    ]  # fmt: skip


def test_files_joined_by_tail_are_named_as_such(tmp_path: Path) -> None:
    """`tail -n +1 a.csv b.csv` writes '==> a.csv <==' before each file: the CSV was refused "no title column (the
    columns are '==> a.csv <==')", and each such JSONL line failed "not valid JSON", which named neither tail nor
    the way to join the files."""
    a_csv, b_csv = "id,title\n1,Red shirt\n", "id,title\n2,Blue jeans\n"
    src = tmp_path / "all.csv"
    src.write_text(f"==> a.csv <==\n{a_csv}\n==> b.csv <==\n{b_csv}")
    with pytest.raises(InputError) as refused:
        list(read_products(src))
    assert str(refused.value) == (
        f"{src}:1: '==> a.csv <==' is the line tail (or head) writes before each file it joins (a.csv), not the "
        "header; join CSV files keeping one header: tail -n +2 b.csv >> a.csv"
    )
    src = tmp_path / "all.jsonl"
    a_jsonl, b_jsonl = '{"id": "1", "title": "Red shirt"}\n', '{"id": "2", "title": "Hat"}\n'
    src.write_text(f"==> a.jsonl <==\n{a_jsonl}\n==> b.jsonl <==\n{b_jsonl}")
    banner = "is the line tail (or head) writes before each file it joins"
    assert _summary(src) == [
        (1, f"{src}:1: '==> a.jsonl <==' {banner} (a.jsonl), not a product; join JSON Lines files with cat a.jsonl "
            "b.jsonl > all.jsonl"),
        (2, "1"),
        (4, f"{src}:4: '==> b.jsonl <==' {banner} (b.jsonl), not a product; join JSON Lines files with cat a.jsonl "
            "b.jsonl > all.jsonl"),
        (5, "2"),
    ]  # fmt: skip


def test_a_csv_line_that_is_not_utf8_is_an_error_record_and_the_rest_is_read(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_bytes(b"id,title\n1,caf\xff mug\n2,Tea pot\n")  # a stray byte: a file in Windows-1252 is refused whole
    assert _summary(src) == [
        (2, f"{src}:2: not UTF-8 (byte 5 is 0xff); re-save the file as UTF-8"),
        (3, "2"),
    ]


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text("id,title,title\n1,a,b\n")
    with pytest.raises(InputError, match=r"p.csv:1: column 'title' appears twice in the header; rename one"):
        list(read_records(src))


def test_a_parquet_file_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    # pyarrow writes such a file, and reads each row as a dict: the second 'title' replaced the first, so product s1
    # ("Blue denim jeans") was tagged as a wool scarf, exit 0, and s2, whose second cell is null, failed with no title
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "p.parquet"
    columns = [pa.array(["s1", "s2"]), pa.array(["Blue denim jeans", "Steel pot"]), pa.array(["Wool scarf", None])]
    pq.write_table(pa.Table.from_arrays(columns, names=["id", "title", "title"]), src)
    with pytest.raises(InputError) as error:
        list(read_records(src))
    assert str(error.value) == f"{src}: column 'title' appears twice; rename one"


def test_jsonl_line_with_a_raw_line_separator_inside_a_string_is_one_record(tmp_path: Path) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text('{"id": "1", "title": "a\u2028b\x85c"}\n{"id": "2", "title": "d"}\n', encoding="utf-8")
    assert [p.title for p in read_products(src)] == ["a\u2028b\x85c", "d"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "not readable JSON (nested too deeply)"),
        ('{"id": ' + "9" * 5000 + "}", "not readable JSON (Exceeds the limit (4300 digits)"),
        ("[1, 2]", "expected a JSON object per line, got an array"),
    ],
)
def test_jsonl_lines_python_cannot_take_are_error_records(tmp_path: Path, line: str, message: str) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text(line + '\n{"id": "ok", "title": "Mug"}\n')
    bad, good = list(read_products(src))
    assert isinstance(bad, RecordError) and bad.message.startswith(f"{src}:1: {message}")
    assert isinstance(good, Product)


def test_a_record_with_several_bad_fields_names_each(tmp_path: Path) -> None:
    src = tmp_path / "p.jsonl"
    src.write_text('{"id": "two", "title": [5], "images": 7}\n{"id": "none", "images": {"a": 1}}\n')
    two, none = list(read_products(src))
    assert isinstance(two, RecordError) and isinstance(none, RecordError)
    assert (two.field, two.record_id, none.field) == ("title", "two", "title")
    assert two.message == (
        f"{src}:1: record 'two' field 'title': expected text (a string or a number), got a list ([5]); "
        "field 'images': expected a photo path or URL, a list of them, or photo objects with a src/url/path key; "
        "got int (7)"
    )
    assert none.message == (
        f"{src}:2: record 'none' has no title; every product needs a non-empty title; "
        "field 'images': item 1 is a photo object with no reference: it needs one of the keys src, url, path, href, "
        "link, uri, file holding a path or URL (its keys: 'a')"
    )


# -- streaming: read once, never whole ---------------------------------------------------------------------------
class _CountingStdin(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self.data, self.read_so_far = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self.data[self.read_so_far : self.read_so_far + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.read_so_far += len(chunk)
        return len(chunk)


def test_input_is_streamed_and_peeked_records_are_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = b"".join(b'{"id": "%d", "title": "Product %d"}\n' % (i, i) for i in range(50_000))
    raw = _CountingStdin(lines)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw)))
    source = RecordSource("-")
    assert [r.data["id"] for r in source.peek(3)] == ["0", "1", "2"]  # type: ignore[index]
    assert raw.read_so_far < len(lines) / 20  # a buffer's worth, not the input
    ids = [r.data["id"] for r in source]  # type: ignore[index]
    assert ids == [str(i) for i in range(50_000)]
    with pytest.raises(RuntimeError, match="read once"):
        list(source)


def test_columns_map_a_shopify_export_onto_product_fields(tmp_path: Path) -> None:
    src = tmp_path / "shopify.csv"
    src.write_text('Handle,Title,Body (HTML),Vendor\nred-tee,Red Tee,"<p>Soft, cotton</p>",Acme\n')
    columns = parse_columns('id=Handle,title=Title,description="Body (HTML)",brand=Vendor')
    assert columns == {"id": "Handle", "title": "Title", "description": "Body (HTML)", "brand": "Vendor"}
    (product,) = list(read_products(src, columns=columns))
    assert isinstance(product, Product)
    assert (product.id, product.title, product.description, product.brand) == (
        "red-tee", "Red Tee", "Soft, cotton", "Acme",  # Body (HTML) read as its text, without the markup
    )  # fmt: skip
    with pytest.raises(InputError, match=r"--columns: 'titel' is not a product field \(did you mean 'title'\?\)"):
        parse_columns("titel=Title")


def test_columns_separated_by_a_full_width_comma_are_pairs_of_their_own() -> None:
    # typed with a Chinese input method: 'id=编号，title=标题' mapped id to a column '编号，title=标题' and no title,
    # and the run stopped with "no title column …; name the column that holds the titles: --columns title=COLUMN"
    assert parse_columns("id=编号，title=标题，brand=品牌") == {"id": "编号", "title": "标题", "brand": "品牌"}
    assert parse_columns("title=标题，副标题") == {"title": "标题，副标题"}  # a column named with one stays whole


# -- writing and resuming ------------------------------------------------------------------------------------------
def _result(pid: str, ok: bool = True) -> TagResult:
    if not ok:
        return TagResult(product_id=pid, status="error", error=RecordError(message=f"{pid} failed"))
    tag = Tag(facet="category", id="c1", name="Shirts", path="Apparel > Shirts", confidence=0.875, source="retrieval")
    return TagResult(product_id=pid, tags={"category": [tag]})


def test_parquet_keeps_confidences_as_numbers_and_kept_columns(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "o.parquet"
    writer = ResultWriter(out, facets=["category"], keep_columns=["title"])
    writer.write([_result("a")], kept=[{"title": "Red shirt"}])
    writer.close()
    row = pq.read_table(out).to_pylist()[0]
    assert row["category_confidence"] == [0.875] and row["category"] == ["Apparel > Shirts"]
    assert row["title"] == "Red shirt" and row["error"] is None


def test_a_column_kept_twice_is_one_column_of_a_parquet_output_pyarrow_can_read(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "o.parquet"
    writer = ResultWriter(out, facets=["category"], keep_columns=["brand", "title", "brand"])  # --keep-columns typo
    writer.write([_result("a")], kept=[{"brand": "Acme", "title": "Red shirt"}])
    writer.close()
    table = pq.read_table(out)
    assert table.column_names[:4] == ["product_id", "brand", "title", "status"]
    assert table.select(["brand", "title"]).to_pylist() == [{"brand": "Acme", "title": "Red shirt"}]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_kept_columns_given_as_one_string_are_refused_not_read_letter_by_letter(tmp_path: Path, fmt: str) -> None:
    # tag_file(..., keep_columns="title, sku"), as the command line's --keep-columns: read as a sequence, it kept
    # the columns t, i, l, e, ",", " ", s, k and u, whose cells were all empty
    with pytest.raises(InputError) as refused:
        ResultWriter(tmp_path / f"o.{fmt}", facets=["category"], keep_columns="title, sku")
    assert str(refused.value) == (
        "keep_columns 'title, sku': give a list of input column names, e.g. ['title', 'sku'], not one string (read "
        "as a sequence, it is one column per letter)"
    )
    assert not (tmp_path / f"o.{fmt}").exists()


def test_jsonl_without_provenance_and_csv_with_kept_columns(tmp_path: Path) -> None:
    result = _result("a")
    result.provenance = __import__("tagllm.models", fromlist=["Provenance"]).Provenance(
        backend="retrieval", taxonomy_version="v1"
    )
    out = tmp_path / "o.jsonl"
    writer = ResultWriter(out, facets=["category"], provenance=False)
    writer.write([result])
    writer.close()
    assert "provenance" not in json.loads(out.read_text())
    table = tmp_path / "o.csv"
    writer = ResultWriter(table, facets=["category"], keep_columns=["title", "sku", "updated", "price", "sizes"])
    kept = {"title": "Red shirt", "sku": 17, "updated": datetime.datetime(2024, 1, 1), "price": Decimal("1.50")}
    writer.write([result], kept=[{**kept, "sizes": ["S", "M"]}])
    writer.close()
    assert table.read_text().splitlines() == [
        "product_id,title,sku,updated,price,sizes,status,error,category,category_id,category_confidence,rejected,"
        "input_hash",
        'a,Red shirt,17,2024-01-01 00:00:00,1.50,"[""S"", ""M""]",ok,,Apparel > Shirts,c1,0.875,,',
    ]  # a date or a decimal (a Parquet input's column) as it prints, not in JSON's quotes


@pytest.mark.parametrize("name", ["out.csv", "out.parquet"])
def test_a_kept_column_named_as_a_column_of_the_output_is_refused(tmp_path: Path, name: str) -> None:
    # a seller's own category column kept beside the tags: in CSV the tags overwrote it, Parquet crashed at its first
    # batch; a kept product_id (absent from the input) wrote every row's id empty
    out = tmp_path / name
    kind = "CSV" if name.endswith(".csv") else "Parquet"
    for kept, named in ((["title", "category"], "category"), (["product_id", "status"], "product_id, status")):
        with pytest.raises(InputError) as error:
            ResultWriter(out, facets=["category"], keep_columns=kept)
        assert str(error.value) == (
            f"--keep-columns {named}: a {kind} output has columns of its own by that name; keep other columns, or "
            "write JSONL, which keeps the input's columns apart, under its input key"
        )
    assert not out.exists()
    ResultWriter(tmp_path / "out.jsonl", facets=["category"], keep_columns=["category", "product_id"])  # apart there


@pytest.mark.parametrize("name", ["out.csv", "out.parquet"])
def test_a_facet_named_as_a_column_of_the_output_is_refused(tmp_path: Path, name: str) -> None:
    # a taxonomy's 'status' facet (a product's condition): in CSV its tags overwrote the row's status, so --resume took
    # every product for failed and tagged it again, run after run; 'colour_id' beside 'colour' overwrote colour's ids;
    # Parquet crashed at the first batch
    out = tmp_path / name
    kind = "CSV" if name.endswith(".csv") else "Parquet"
    clashing = ((["category", "status"], "'status'"), (["colour", "colour_id", "error"], "'colour_id', 'error'"))
    for facets, named in clashing:
        with pytest.raises(InputError) as error:
            ResultWriter(out, facets=facets)
        assert str(error.value) == (
            f"facet {named}: a {kind} output has a column of that name already (one of its own, or another facet's id "
            "or confidence column), which the facet's tags would overwrite; write JSONL, which keeps each facet's tags "
            "apart, under its tags key, or rename the facet in the taxonomy"
        )
    assert not out.exists()
    ResultWriter(tmp_path / "out.jsonl", facets=["category", "status", "colour", "colour_id"])  # apart there


def test_a_csv_output_with_a_kept_cell_over_128_kib_resumes(tmp_path: Path) -> None:
    import csv

    table, title = tmp_path / "o.csv", "Red cotton shirt " * 10_000  # 170,000 characters, kept with --keep-columns
    writer = ResultWriter(table, facets=["category"], keep_columns=["title"])
    writer.write([_result("a")], kept=[{"title": title}])
    writer.close()
    limit = csv.field_size_limit(131_072)  # Python's default, as a fresh process has it (a CSV input raises it)
    try:
        resumed = ResultWriter(table, facets=["category"], keep_columns=["title"], resume=True)
    finally:
        csv.field_size_limit(limit)
    assert resumed.state.is_done("a")
    resumed.close()


def test_unknown_output_extension_names_the_output_flag(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"o.txt: cannot tell the format from the extension; pass --output-format"):
        ResultWriter(tmp_path / "o.txt", facets=["category"])


def test_a_torn_last_row_is_not_counted_as_done(tmp_path: Path) -> None:
    jsonl = tmp_path / "o.jsonl"
    jsonl.write_text('{"product_id":"a","status":"ok"}\n{"product_id":"b","status":"ok"')
    assert set(scan_output(jsonl, "jsonl").last) == {"a"}
    table = tmp_path / "o.csv"
    table.write_text("product_id,status,error\r\na,ok,\r\nb,ok")  # cut after b's product_id and status
    assert set(scan_output(table, "csv").last) == {"a"}
    quoted = tmp_path / "q.csv"
    quoted.write_text('product_id,status,error\r\na,ok,\r\nb,error,"first line\n')  # cut inside a quoted cell
    assert set(scan_output(quoted, "csv").last) == {"a"}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_cuts_a_torn_row_without_rewriting_the_rows_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    out = tmp_path / f"o.{fmt}"
    writer = ResultWriter(out, facets=["category"])
    writer.write([_result("a"), _result("b")])
    writer.close()
    whole = out.read_bytes()
    out.write_bytes(whole + whole[-30:-5])  # half a row, as a kill leaves it
    real_open = builtins.open

    def no_rewrite(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(file) == out and "w" in mode:
            raise AssertionError(f"the output was opened for rewriting ({mode!r}): completed rows at risk")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_rewrite)
    monkeypatch.setattr(io, "open", no_rewrite)
    writer = ResultWriter(out, facets=["category"], resume=True)
    writer.open()  # where the torn row is cut
    assert out.read_bytes() == whole
    writer.write([_result("c")])
    writer.close()
    assert sorted(scan_output(out, fmt).last) == ["a", "b", "c"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_resumed_output_ends_with_one_row_per_product(tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    out = tmp_path / f"o.{fmt}"
    writer = ResultWriter(out, facets=["category"])
    writer.write([_result("a"), _result("b", ok=False), _result("c", ok=False)])
    writer.close()
    writer = ResultWriter(out, facets=["category"], resume=True)
    assert writer.state.failed == {"b", "c"} and writer.state.is_done("a")
    writer.write([_result("b"), _result("c", ok=False)])
    writer.close()
    state = scan_output(out, fmt)
    assert (state.rows, sorted(state.last), state.failed) == (3, ["a", "b", "c"], {"c"})
    assert not (tmp_path / f"o.{fmt}.tmp").exists()


def test_a_compaction_killed_before_its_rename_leaves_the_output_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o.jsonl"
    writer = ResultWriter(out, facets=["category"])
    writer.write([_result("a", ok=False), _result("b")])
    writer.close()
    writer = ResultWriter(out, facets=["category"], resume=True)
    writer.write([_result("a")])
    before = out.read_bytes()
    monkeypatch.setattr("tagllm.io.compaction.os.replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        writer.close()
    assert out.read_bytes() == before and (tmp_path / "o.jsonl.tmp").exists()
    monkeypatch.undo()
    writer = ResultWriter(out, facets=["category"], resume=True)  # the half-made copy is dropped
    assert not (tmp_path / "o.jsonl.tmp").exists() and writer.state.failed == set()
    writer.close()
    assert [json.loads(line)["product_id"] for line in out.read_text().splitlines()] == ["b", "a"]


def test_resume_refuses_an_output_with_other_columns(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    writer = ResultWriter(out, facets=["category"])
    writer.write([_result("a")])
    writer.close()
    with pytest.raises(InputError, match="resume with the same facets and --keep-columns, or write to a new file"):
        ResultWriter(out, facets=["category", "color"], resume=True)


def test_resume_refuses_stdout(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--resume needs an output file \(-o FILE\)"):
        ResultWriter("-", facets=["category"], resume=True)


def test_a_quote_swallowing_rows_into_extra_cells_is_reported_and_the_rows_read(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text('id,title\n1,"Red shirt\n2,Blue jeans\n3,Green hat",x\n4,Gold ring\n')
    lines = _summary(src)
    assert [line for line, _ in lines] == [2, 3, 4, 5]
    assert lines[0][1] == (
        f"{src}:2: malformed CSV row: a quoted cell runs over several lines and leaves more cells than the header has "
        "(a quote not closed?); the lines after it are read as rows of their own"
    )
    assert (
        lines[1] == (3, "2")
        and lines[2][1].startswith(f"{src}:4: more cells than header columns")
        and lines[3] == (5, "4")
    )


@pytest.mark.parametrize("name", ["out.jsonl", "out.csv", "out.parquet"])
def test_a_kept_cell_holding_half_a_surrogate_pair_is_written_with_a_replacement_character(
    tmp_path: Path, name: str
) -> None:
    # a JSONL input's "\ud83d" (an emoji cut short by a JavaScript exporter) in a column kept with --keep-columns
    import csv

    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / name
    writer = ResultWriter(out, facets=["category"], keep_columns=["title", "notes"])
    kept = [{"title": "Red shirt \ud83d", "notes": {"care\udc00": ["cold \ud83d"]}}, {"title": "Blue", "notes": None}]
    writer.write([_result("a"), _result("b")], kept=kept)
    writer.close()
    if name.endswith(".jsonl"):
        rows = [json.loads(line)["input"] for line in out.read_text(encoding="utf-8").splitlines()]
        assert rows[0] == {"title": "Red shirt \ufffd", "notes": {"care\ufffd": ["cold \ufffd"]}}
    elif name.endswith(".csv"):
        rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    else:
        rows = pq.read_table(out).to_pylist()
    assert [row["title"] for row in rows] == ["Red shirt \ufffd", "Blue"]
    assert ResultWriter(out, facets=["category"], keep_columns=["title", "notes"], resume=True).state.is_done("b")


def test_an_id_number_too_large_for_a_float_is_an_error_record_naming_the_field(tmp_path: Path) -> None:
    # 1e400 and 2e400 both read as the float inf: both products were id "inf", the second dropped as its repeat
    src = tmp_path / "p.jsonl"
    src.write_text(
        '{"id": 1e400, "title": "Blue jeans"}\n{"id": 2e400, "title": "Red shirt"}\n'
        '{"id": -Infinity, "title": "Wool scarf"}\n{"id": 12, "title": "Mug"}\n'
    )
    *bad, good = list(read_products(src))
    assert [(e.field, e.record_id, e.line) for e in bad] == [  # type: ignore[union-attr]
        ("id", "line-1", 1), ("id", "line-2", 2), ("id", "line-3", 3),
    ]  # fmt: skip
    assert bad[0].message == (  # type: ignore[union-attr]
        f"{src}:1: record inf field 'id': the number is too large to be read (infinite); write the id as a string"
    )
    assert isinstance(good, Product) and good.id == "12"


def test_a_facet_named_twice_is_one_column_of_a_parquet_output_pyarrow_can_read(tmp_path: Path) -> None:
    # -f category -f color -f color: the Parquet output held color, color_id and color_confidence twice, a file
    # pyarrow and pandas refuse to read ("Multiple matches for FieldRef.Name(color)"), after every product was tagged
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "o.parquet"
    writer = ResultWriter(out, facets=["category", "category"])
    writer.write([_result("a")])
    writer.close()
    table = pq.read_table(out)
    assert table.column_names.count("category") == 1
    assert table.select(["category"]).to_pylist() == [{"category": ["Apparel > Shirts"]}]


def test_a_run_tags_a_facet_named_twice_once(tmp_path: Path, demo_index_dir: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from tagllm import TaggerConfig, tag_file

    out = tmp_path / "o.parquet"
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), facets=["category", "color", "color"])
    summary = tag_file(DATA / "products.jsonl", out, config)
    assert summary.failed == 0
    table = pq.read_table(out)
    assert table.num_rows == 3 and table.column_names.count("color") == 1
    settings = json.loads((tmp_path / ".o.parquet.settings.json").read_text())
    assert settings["facets"] == ["category", "color"]  # resuming with -f category -f color is the same run


def test_a_kept_cell_that_is_nan_or_infinite_is_null_in_a_jsonl_output_any_json_reader_can_read(tmp_path: Path) -> None:
    # a JSONL input written by Python's json.dumps from a pandas frame holds NaN for a missing price (json reads it):
    # kept, it was written as NaN (and Infinity as Infinity), which is not JSON, and JSON.parse, Go, BigQuery and
    # json.loads(..., parse_constant=refuse) refused the output's row
    def strict(line: str) -> dict:  # type: ignore[type-arg]
        def refuse(constant: str) -> None:
            raise ValueError(f"not JSON: {constant}")

        return json.loads(line, parse_constant=refuse)  # type: ignore[no-any-return]

    out = tmp_path / "o.jsonl"
    columns = ["price", "stock", "sizes"]
    writer = ResultWriter(out, facets=["category"], keep_columns=columns)
    nan, inf = float("nan"), float("inf")
    first = {"price": nan, "stock": inf, "sizes": {"S": -inf, "M": [nan, 2.5]}}
    kept = [first, {"price": 12.5, "stock": 3, "sizes": None}]
    writer.write([_result("a"), _result("b")], kept=kept)
    writer.close()
    rows = [strict(line)["input"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [
        {"price": None, "stock": None, "sizes": {"S": None, "M": [None, 2.5]}},
        {"price": 12.5, "stock": 3, "sizes": None},
    ]
    assert ResultWriter(out, facets=["category"], keep_columns=columns, resume=True).state.is_done("a")


@pytest.mark.parametrize("name", ["p.csv", "p.jsonl"])
def test_an_input_column_named_extra_is_kept_in_extra_not_made_an_error_record(tmp_path: Path, name: str) -> None:
    # a catalogue's own 'extra' column (gift wrap, a note): each record whose cell was not a JSON object was an error
    # record, "field 'extra': Input should be a valid dictionary", found once the whole catalogue had been run
    src = tmp_path / name
    if name.endswith(".csv"):
        src.write_text('id,title,extra\n1,Red shirt,gift wrap\n2,Blue jeans,"{""gift"": ""wrap""}"\n3,Gold ring,7\n')
    else:
        rows = [{"id": "1", "title": "Red shirt", "extra": "gift wrap"}, {"id": "2", "title": "Blue jeans",
                "extra": {"gift": "wrap"}}, {"id": "3", "title": "Gold ring", "extra": 7}]  # fmt: skip
        src.write_text("".join(json.dumps(row) + "\n" for row in rows))
    products = list(read_products(src))
    assert all(isinstance(p, Product) for p in products), products
    assert [p.extra for p in products] == [  # type: ignore[union-attr]
        {"extra": "gift wrap"}, {"gift": "wrap"}, {"extra": "7" if name.endswith(".csv") else 7},
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["p.csv", "p.jsonl"])
def test_a_file_saved_in_gbk_is_refused_naming_the_encoding(tmp_path: Path, name: str) -> None:
    # Excel on Chinese Windows saves a CSV in GBK: each row holding Chinese was an error record ("not UTF-8 (byte 3
    # is 0xba)"), exit 1 with "run again with --resume", and the rows written in ASCII alone were tagged
    src = tmp_path / name
    if name.endswith(".csv"):
        text = "id,title\nsku-1,Apple USB-C cable\nsku-2,红色连衣裙女夏季新款\nsku-3,男士运动鞋 跑步鞋\n"
    else:
        text = '{"id": "sku-1", "title": "Apple USB-C cable"}\n{"id": "sku-2", "title": "红色连衣裙女夏季新款"}\n'
    src.write_bytes(text.encode("gbk"))
    with pytest.raises(InputError) as error:
        RecordSource(src).peek(50)
    # the advice fits the format: a JSONL file was said to be Excel's CSV export
    writer, fix = (
        ("as Excel saves a CSV on Chinese Windows", "re-save it as UTF-8")
        if name.endswith(".csv")
        else (
            "as a program on Chinese Windows writes text unless told to write UTF-8",
            'write it as UTF-8 (Python: open(path, "w", encoding="utf-8")), or convert it',
        )
    )
    assert str(error.value) == (
        f"{src}:{3 if name.endswith('.csv') else 2}: the file is not UTF-8: it reads as Chinese saved in GBK/GB18030 "
        f"({writer}); {fix}, e.g. iconv -f GB18030 -t UTF-8 {src} > {tmp_path / ('p-utf8' + src.suffix)}"
    )


def test_a_gbk_line_or_a_latin1_line_in_a_utf8_file_stays_an_error_record(tmp_path: Path) -> None:
    # a file whose Chinese is UTF-8 before it is not (one row pasted from elsewhere), or whose accents are
    src = tmp_path / "p.csv"
    src.write_bytes(b"id,title\n1,\xe7\xba\xa2\xe8\x89\xb2 mug\n2," + "红色茶壶".encode("gbk") + b"\n3,Tea pot\n")
    assert _summary(src) == [(2, "1"), (3, f"{src}:3: not UTF-8 (byte 2 is 0xba); re-save the file as UTF-8"), (4, "3")]
    latin = tmp_path / "q.csv"
    latin.write_bytes("id,title\n1,Crème set\n".encode() + "2,Crème brûlée set\n3,Tea pot\n".encode("latin-1"))
    assert _summary(latin) == [
        (2, "1"),
        (3, f"{latin}:3: not UTF-8 (byte 4 is 0xe8); re-save the file as UTF-8"),
        (4, "3"),
    ]
    # the first line that is not ASCII is UTF-8 but for a cell cut inside a letter (an export cutting at a byte
    # count): no file in Windows-1252, though the cut byte reads as 'Ã' there
    cut = tmp_path / "r.csv"
    cut.write_bytes(b"id,title,brand\n1,Caf\xc3\xa9 mug,Cr\xc3\n2,Tea pot,\n")
    assert _summary(cut) == [(2, f"{cut}:2: not UTF-8 (byte 14 is 0xc3); re-save the file as UTF-8"), (3, "2")]


@pytest.mark.parametrize("name", ["p.csv", "p.jsonl"])
def test_a_file_saved_in_windows_1252_is_refused_naming_the_encoding(tmp_path: Path, name: str) -> None:
    # Excel's "CSV (Comma delimited)" on Western Windows: each row with an accent was an error record ("not UTF-8
    # (byte 4 is 0xe8)"), exit 1 with "run again with --resume", and the rows written in ASCII alone were tagged;
    # 'Crème brûlée' is no Chinese, though its bytes decode as GB18030
    src = tmp_path / name
    if name.endswith(".csv"):
        text = "id,title,brand\n1,Tea pot,\n2,Crème brûlée set,Le Creuset\n3,Wool scarf – grey,Hermès\n"
    else:
        text = '{"id": "1", "title": "Tea pot"}\n{"id": "2", "title": "Crème brûlée set"}\n'
    src.write_bytes(text.encode("cp1252"))
    with pytest.raises(InputError) as error:
        RecordSource(src).peek(50)
    writer, fix = (
        ('Excel saves "CSV (Comma delimited)" on Western Windows', 're-save it as "CSV UTF-8", or convert it')
        if name.endswith(".csv")
        else (
            "a program on Western Windows writes text unless told to write UTF-8",
            'write it as UTF-8 (Python: open(path, "w", encoding="utf-8")), or convert it',
        )
    )
    assert str(error.value) == (
        f"{src}:{3 if name.endswith('.csv') else 2}: the file is not UTF-8: it reads as Windows-1252 ('Crème'), as "
        f"{writer}; {fix}, e.g. iconv -f WINDOWS-1252 -t UTF-8 {src} > {tmp_path / ('p-utf8' + src.suffix)}"
    )


def test_a_first_line_whose_only_byte_past_ascii_is_a_no_break_space_stays_an_error_record(tmp_path: Path) -> None:
    # the check for a Windows-1252 file looked for a word to show and found none: IndexError (found by test_io_fuzz)
    src = tmp_path / "p.csv"
    src.write_bytes(b"id,title\n1,Tea\xa0pot\n2,Wool scarf\n")
    assert _summary(src) == [(2, f"{src}:2: not UTF-8 (byte 5 is 0xa0); re-save the file as UTF-8"), (3, "2")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("title=Name,title=Title", "--columns: 'title' is given twice ('Name', 'Title'); give it one column"),
        ("title=Name,description=Name", "the column 'Name' is given to 'title' and 'description'; give it one field"),
    ],
)
def test_a_field_or_a_column_given_twice_in_columns_is_refused(spec: str, message: str) -> None:
    """The last of two columns for a field won without a word, and a column read as two fields left the first of them
    empty: every product without a title, where the title column's check had passed."""
    with pytest.raises(InputError, match=re.escape(message)):
        parse_columns(spec)


def test_a_folder_or_a_missing_file_without_an_extension_is_named_as_such(tmp_path: Path) -> None:
    """Both were told "cannot tell the format from the extension; pass --input-format", which no format fixes (and a
    Python caller has no such flag)."""
    (tmp_path / "exports").mkdir()
    with pytest.raises(InputError, match="exports: is a directory, not a file of products"):
        RecordSource(tmp_path / "exports")
    with pytest.raises(InputError, match="products: no such file"):
        RecordSource(tmp_path / "products")


@pytest.mark.parametrize("name", ["products.xlsx", "products.XLS", "products.ods", "products.numbers"])
def test_a_spreadsheet_workbook_is_refused_naming_how_to_save_it_as_csv(tmp_path: Path, name: str) -> None:
    # a workbook was told "cannot tell the format from the extension; pass --input-format (jsonl, csv, parquet)", and
    # --input-format csv then read a zip archive; written to, the same advice for --output-format
    src = tmp_path / name
    src.write_bytes(b"PK\x03\x04 a workbook")
    with pytest.raises(InputError) as error:
        RecordSource(src).peek(1)
    assert str(error.value) == (
        f"{src}: a spreadsheet workbook is not read; save the sheet as CSV UTF-8 (Excel: File > Save As > CSV UTF-8) "
        "and give that file"
    )
    with pytest.raises(InputError) as error:
        detect_format(tmp_path / name, flag="--output-format", output=True)
    assert str(error.value) == (
        f"{tmp_path / name}: a spreadsheet workbook is not written; write a .csv file (a spreadsheet opens it) or "
        "pass --output-format (jsonl, csv, parquet)"
    )


def test_an_object_line_ending_in_a_comma_is_read_as_the_object(tmp_path: Path) -> None:
    # the items of a JSON array copied without its brackets: each line was an error record "not valid JSON (Extra data
    # at column 38)", no product tagged
    path = tmp_path / "products.jsonl"
    path.write_text('{"id": "1", "title": "Blue denim jeans"},\n{"id": "2", "title": "Steel pot"} , \n{"id": "3"},,\n')
    read = list(read_products(path))
    assert [(p.id, p.title) for p in read if isinstance(p, Product)] == [("1", "Blue denim jeans"), ("2", "Steel pot")]
    assert isinstance(read[2], RecordError) and "not valid JSON" in read[2].message  # two commas: no whole object
