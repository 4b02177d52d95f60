"""A CSV or Parquet input with no title column is a setup mistake, refused before any model loads: every record was
an error record ("has no title"), and a file separated by semicolons was advised to map its whole header as a title
(``--columns title=id;title``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tagllm.errors import InputError
from tagllm.io import RecordSource


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("sku;heading\ns1;Blue denim jeans\n", "(the columns are 'sku', 'heading'); name the column that holds the "
         "titles: --columns title=COLUMN"),
        # cut by the commas too: a comma in a column's name
        ('id;title;"size, cm"\ns1;Blue denim jeans;32\n', "(the columns are 'id;title;\"size', 'cm\"'); its columns "
         "seem separated by ';': re-save it separated by commas"),
        # a column named as a shop names the title: named in the flag
        ("sku,name\ns1,Blue denim jeans\n", "(the columns are 'sku', 'name'); its column 'name' looks like the "
         "title: --columns title=name"),
    ],
)  # fmt: skip
def test_a_csv_without_a_title_column_is_refused_naming_its_columns(tmp_path: Path, text: str, hint: str) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_text(text)
    command = [sys.executable, "-m", "tagllm", "generate", str(src), "-o", str(out), "-t", "demo"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stderr == f"error: {src}: no title column {hint}\n"  # no warning advising to map the header
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        # Excel's "CSV UTF-8" where a comma is the decimal mark (most of Europe): separated by semicolons, which Excel
        # there cannot change; the file was refused, advised to re-save it separated by commas
        ("in.csv", '\ufeffid;title;brand\ns1;Blue denim jeans;"Levi\'s; Strauss"\n'),
        ("in.csv", '"size, cm";id;title\n32;s1;Blue denim jeans\n'),  # a comma in a quoted column's name
        ("in.tsv", "id\ttitle\tbrand\ns1\tBlue denim jeans\tLevi's; Strauss\n"),  # refused as of no known format
        ("in.csv", "id|title|brand\ns1|Blue denim jeans|Levi's; Strauss\n"),
        ("in.csv", "\n\nid,title,brand;maker\ns1,Blue denim jeans,Levi's; Strauss\n"),
        # the line Excel reads the separator from (its header was the one column 'sep='): read as such
        ("in.csv", "sep=;\nid;title;brand\ns1;Blue denim jeans;Levi's, Strauss\n"),
        ("in.csv", '\ufeffsep=,\r\nid,title,brand\r\ns1,Blue denim jeans,"Levi\'s, Strauss"\r\n'),
    ],
)
def test_a_csv_separated_by_semicolons_tabs_or_bars_is_read_by_its_header(tmp_path: Path, name: str, text: str) -> None:
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    source = RecordSource(src)
    source.require_title()
    cells = [r.data or {} for r in source]
    assert [row.get("title") for row in cells] == ["Blue denim jeans"]
    assert "brand" not in text or {"Levi's; Strauss", "Levi's, Strauss"} & set(cells[0].values())


def test_a_parquet_file_without_a_title_column_is_refused(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"sku": ["s1"], "Name": ["Blue denim jeans"]}), src)
    with pytest.raises(InputError) as error:
        RecordSource(src).require_title()
    assert str(error.value) == (
        f"{src}: no title column (the columns are 'sku', 'Name'); its column 'Name' looks like the title: "
        "--columns title=Name"
    )
    RecordSource(src, columns={"title": "Name"}).require_title()  # mapped: read


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        (" ID , Title , Brand \n1,Blue denim jeans,Levis\n", "--columns title=Title"),
        ("Handle,Product Title,Vendor\nb,Blue denim jeans,Levis\n", "--columns 'title=\"Product Title\"'"),
    ],
)
def test_a_column_that_looks_like_the_title_is_named_in_the_flag_that_reads_it(
    tmp_path: Path, text: str, flag: str
) -> None:
    # a header Excel or a shop wrote ("Title") was refused with "no title column (the columns are 'ID', 'Title',
    # 'Brand')" and --columns title=COLUMN: the column the user sees listed, not said to be the one to map
    src = tmp_path / "in.csv"
    src.write_text(text)
    with pytest.raises(InputError) as error:
        RecordSource(src).require_title()
    column = flag.split("=", 1)[1].strip("'\"")
    assert str(error.value).endswith(f"; its column {column!r} looks like the title: {flag}")
    field_column = flag.split("=", 1)[1].strip("'").strip('"')
    RecordSource(src, columns={"title": field_column}).require_title()  # as the flag says: read


def test_a_title_column_with_blank_cells_or_an_input_without_a_header_is_read(tmp_path: Path) -> None:
    blank = tmp_path / "blank.csv"
    blank.write_text("id,title\ns1,\ns2,Blue denim jeans\n")  # the first record has no title: its own error record
    source = RecordSource(blank)
    source.require_title()
    assert [r.line for r in source] == [2, 3]
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"id": "s1", "name": "Blue denim jeans"}\n')  # JSONL has no header: each record says
    RecordSource(lines).require_title()


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_title_mapped_to_a_column_the_table_lacks_is_refused(tmp_path: Path, suffix: str) -> None:
    # the table's own 'title' column was read instead, and every product tagged from it, exit 0
    src = tmp_path / f"in.{suffix}"
    if suffix == "csv":
        src.write_text("id,title,brand\ns1,Blue denim jeans,Levi\n")
    else:
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"id": ["s1"], "title": ["Blue denim jeans"], "brand": ["Levi"]}), src)
    with pytest.raises(InputError) as error:
        RecordSource(src, columns={"title": "nope"}).require_title()
    assert str(error.value) == (
        f"{src}: no column 'nope' for --columns title=nope (the columns are 'id', 'title', 'brand'); name the column "
        "that holds the titles"
    )
    RecordSource(src, columns={"title": "brand"}).require_title()  # a column it has: read


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        ("jsonl", '{"id": "s1", "title": "Blue denim jeans", "brand": "Levi"}\n'),
        ("csv", "id,title,brand\ns1,Blue denim jeans,Levi\n"),
    ],
)
def test_a_field_mapped_to_a_column_the_input_lacks_is_warned_of_when_it_has_the_field_itself(
    tmp_path: Path, suffix: str, text: str
) -> None:
    # the record's own column of that name was read instead, and no warning said so: a JSONL's title (which a table's
    # require_title refuses), a table's brand
    from tagllm.io.column_warnings import column_warnings

    src = tmp_path / f"in.{suffix}"
    src.write_text(text)
    columns = {"brand": "Vendr", **({"title": "name"} if suffix == "jsonl" else {})}
    records = RecordSource(src, columns=columns)
    warnings = column_warnings(records, [])
    expected = [
        f"--columns {field}={column}: {src} has no column {column!r}; its own {field!r} is read instead"
        for field, column in columns.items()
    ]
    assert warnings == expected
    assert [r.data["brand"] for r in records] == ["Levi"]  # the behaviour the warning describes


def test_keeping_a_mapped_column_by_its_own_name_is_not_warned_of_as_empty(tmp_path: Path) -> None:
    # README's Shopify recipe maps Title and Vendor; keeping them by those names fills their cells (run.py reads a
    # renamed column under its field), yet each was warned of as "its cells will be empty"
    from tagllm.io.column_warnings import column_warnings

    src = tmp_path / "in.csv"
    src.write_text("Handle,Title,Vendor\nh1,Blue denim jeans,Levi\n")
    records = RecordSource(src, columns={"id": "Handle", "title": "Title", "brand": "Vendor"})
    warnings = column_warnings(records, ["Title", "Vendor", "title", "SKU"])
    assert warnings == [f"--keep-columns SKU: {src} has no column 'SKU'; its cells will be empty"]


@pytest.mark.parametrize(
    ("text", "jq"),
    [
        ('[\n  {\n    "id": "s1",\n    "title": "Blue denim jeans"\n  }\n]\n', "'.[]'"),  # json.dump(…, indent=2)
        ('\ufeff[\n{"id": "s1", "title": "Blue denim jeans"},\n{"id": "s2", "title": "Wool scarf"}\n]\n', "'.[]'"),
        ('{\n  "id": "s1",\n  "title": "Blue denim jeans"\n}\n', "."),  # one object, pretty-printed
        # a shop API's export: '.' wrote it as one record, with no title
        ('{\n  "products": [\n    {"id": "s1", "title": "Blue denim jeans"}\n  ]\n}\n', "'.products[]'"),
    ],
)  # fmt: skip
def test_a_json_document_spread_over_lines_is_refused_before_the_first_product(
    tmp_path: Path, text: str, jq: str
) -> None:
    # every physical line was an error record of its own (line-1 "[" … line-6 "]"), exit 1, the products untagged,
    # and the summary advised --resume, which failed the same way
    src = tmp_path / "products.json"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        RecordSource(src).require_title()
    assert str(error.value) == (
        f"{src}: one JSON document over several lines, not JSON Lines (one product object per line); write one "
        f"object per line, e.g. jq -c {jq} {src} > products.jsonl"
    )
    lines = tmp_path / "in.jsonl"
    lines.write_text('[1, 2]\n{"id": "s1", "title": "Blue denim jeans"}\n')  # one bad line: its own error record
    source = RecordSource(lines)
    source.require_title()
    assert [r.line for r in source] == [1, 2]


def test_examples_without_a_title_column_are_refused_naming_their_columns(tmp_path: Path) -> None:
    # the examples were read without the check the products get: a file Excel saved with semicolons was refused as
    # "no usable labelled examples; first problem: …:2: no 'labels'", sending the user to look for a label column
    # that is there
    from tagllm.retrieval.examples import read_examples
    from tagllm.taxonomy import load_taxonomy

    src = tmp_path / "examples.csv"
    src.write_text("id;name;labels\ns1;Blue denim jeans;Apparel > Bottoms > Jeans\n", encoding="utf-8-sig")
    with pytest.raises(InputError) as error:
        read_examples(src, load_taxonomy("demo"))
    assert str(error.value) == (
        f"{src}: no title column (the columns are 'id', 'name', 'labels'); its column 'name' looks like the title: "
        "--columns title=name"
    )
    for text in [
        "id,title,labels\ns1,Blue denim jeans,Apparel > Bottoms > Jeans\n",
        "id;title;labels\ns1;Blue denim jeans;Apparel > Bottoms > Jeans\n",
    ]:
        src.write_text(text, encoding="utf-8-sig")
        examples, errors = read_examples(src, load_taxonomy("demo"))
        assert [e.id for e in examples] == ["s1"] and errors == []


@pytest.mark.parametrize(
    "text",
    [
        '[{"id": "s1", "title": "Blue denim jeans"}, {"id": "s2", "title": "Wool scarf"}]\n',  # json.dump(products, f)
        '\ufeff[ {"id": "s1", "title": "Blue denim jeans"} ]',  # a BOM, no last line break
        '\n[{"id": "s1", "title": "Blue denim jeans"}]\n\n',
    ],
)
def test_a_json_array_on_one_line_is_refused_before_the_first_product(tmp_path: Path, text: str) -> None:
    # the line was one error record ("expected a JSON object per line, got an array"), exit 1, no product tagged
    src = tmp_path / "products.jsonl"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        RecordSource(src).require_title()
    assert str(error.value) == (
        f"{src}: one JSON array of products on one line, not JSON Lines (one product object per line); write one "
        f"object per line, e.g. jq -c '.[]' {src} > products.jsonl"
    )
    lines = tmp_path / "in.jsonl"
    lines.write_text('[{"id": "s0"}]\n{"id": "s1", "title": "Blue denim jeans"}\n')  # one bad line among records
    source = RecordSource(lines)
    source.require_title()
    assert [r.line for r in source] == [1, 2]


def test_a_csv_read_as_json_lines_is_refused_before_the_first_product(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stdin is read as JSON Lines: a CSV piped in made every row an error record ("not valid JSON"), exit 1, no product
    # tagged, and the summary advised fixing the cause and resuming
    from typer.testing import CliRunner

    from tagllm.cli import app

    monkeypatch.chdir(tmp_path)
    products = "Handle,Title,Vendor\nlinen-shirt,Linen Shirt,Northwind\nmug,Stoneware Mug,Clayworks\n"
    result = CliRunner().invoke(app, ["generate", "-", "-o", str(tmp_path / "tags.jsonl")], input=products)
    assert isinstance(result.exception, InputError)  # the CLI's handler: its message, exit 2
    assert str(result.exception) == (
        "<stdin>:1: the first line is a CSV header ('Handle', 'Title', 'Vendor'), not a JSON object: the input is "
        "CSV; read it as CSV (--input-format csv)"
    )
    assert not (tmp_path / "tags.jsonl").exists()
    lines = tmp_path / "in.jsonl"
    lines.write_text('oops, a note\n{"id": "s1", "title": "Blue denim jeans"}\n')  # a bad line, no header: its own
    assert [r.line for r in RecordSource(lines)] == [1, 2]
    lines.write_bytes(b'\nid\r x,title\n{"id": "s1", "title": "Blue denim jeans"}\n')  # a carriage return: no header
    assert [r.line for r in RecordSource(lines)] == [2, 3]


@pytest.mark.parametrize(
    ("text", "what", "jq"),
    [
        ('[\n  {\n    "id": "s1",\n    "title": "Blue denim jeans"\n  }\n]\n', "one JSON document over several lines",
         "'.[]'"),  # json.dump(…, indent=2)
        # one product a line between the brackets: the second was tagged, the first and the brackets error records
        ('[\n{"id": "s1", "title": "Blue denim jeans"},\n{"id": "s2", "title": "Wool scarf"}\n]\n',
         "one JSON document over several lines", "'.[]'"),
        ('\n[{"id": "s1", "title": "Blue denim jeans"}, {"id": "s2", "title": "Wool scarf"}]\n',
         "one JSON array of products on one line", "'.[]'"),
        ('{\n  "id": "s1",\n  "title": "Blue denim jeans"\n}\n', "one JSON document over several lines", "."),
        ('{"products": [{"id": "s1", "title": "Blue denim jeans"}]}\n',
         'one JSON document on one line, its products under "products"', "'.products[]'"),
    ],
)  # fmt: skip
def test_a_json_document_on_stdin_is_refused_before_the_first_product(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, what: str, jq: str
) -> None:
    # a file was refused, but the same products piped in (cat products.json | tagllm generate -) were read line by
    # line: every line an error record, exit 1
    from typer.testing import CliRunner

    from tagllm.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["generate", "-", "-o", str(tmp_path / "tags.jsonl")], input=text)
    assert isinstance(result.exception, InputError)  # the CLI's handler: its message, exit 2
    assert str(result.exception) == (
        f"<stdin>: {what}, not JSON Lines (one product object per line); write one object per line, e.g. jq -c {jq} "
        "FILE | tagllm …"
    )
    assert not (tmp_path / "tags.jsonl").exists()


@pytest.mark.parametrize("name", ["products.jsonl", "products.json"])
def test_a_shop_export_on_one_line_is_refused_before_the_first_product_with_the_jq_line(
    tmp_path: Path, name: str
) -> None:
    # json.dump({"products": products}, f): one error record with no title and no hint, where the same export
    # pretty-printed was refused with jq -c '.products[]'
    src = tmp_path / name
    products = [{"id": "s1", "title": "Blue denim jeans"}, {"id": "s2", "title": "Wool scarf"}]
    src.write_text("\n" + json.dumps({"items": products, "next": None}) + "\n")
    with pytest.raises(InputError) as error:
        RecordSource(src).require_title()
    assert str(error.value) == (
        f'{src}: one JSON document on one line, its products under "items", not JSON Lines (one product object per '
        f"line); write one object per line, e.g. jq -c '.items[]' {src} > products.jsonl"
    )
    # a record of its own among others (a bundle's items, a record with its title under another key) is read
    src.write_text(json.dumps({"items": products}) + "\n" + json.dumps(products[0]) + "\n")
    assert [(r.line, r.data is not None) for r in RecordSource(src)] == [(1, True), (2, True)]
    src.write_text(json.dumps({"items": products, "name": "Gift set"}) + "\n")
    assert [r.data for r in RecordSource(src, columns={"title": "name"})] == [{"items": products, "title": "Gift set"}]


def test_an_array_over_several_lines_is_not_said_to_be_on_one_line(tmp_path: Path) -> None:
    # '[{…},' then '{…}]': it was refused as "one JSON array of products on one line"
    src = tmp_path / "products.json"
    src.write_text('[{"id": "s1", "title": "Blue denim jeans"},\n{"id": "s2", "title": "Wool scarf"}]\n')
    with pytest.raises(InputError) as error:
        RecordSource(src).require_title()
    assert str(error.value).startswith(f"{src}: one JSON document over several lines, not JSON Lines")


def test_records_after_a_stray_bracket_on_stdin_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    text = '\n[\n{"id": "s1", "title": "Blue denim jeans"}\n{"id": "s2", "title": "Wool scarf"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    records = list(RecordSource("-"))
    assert [(r.line, r.data and r.data["id"]) for r in records] == [(2, None), (3, "s1"), (4, "s2")]


def test_a_csvs_unnamed_columns_are_named_by_their_place_and_empty_ones_left_out(tmp_path: Path) -> None:
    # a header ending in empty names (Excel's columns past the table, "id,title,,,") was warned of as "column '' is
    # not a product field", and two unnamed columns with cells were one key '' in extra: the first one's cell lost
    from tagllm.io import read_products, unknown_columns
    from tagllm.models import Product

    src = tmp_path / "in.csv"
    src.write_text("id,title,,Colour,,\n1,Red maxi dress,,Red,,\n2,Blue jeans,XL,Blue,,stretch\n")
    records = list(RecordSource(src))
    assert [r.data for r in records] == [
        {"id": "1", "title": "Red maxi dress", "Colour": "Red"},
        {"id": "2", "title": "Blue jeans", "column 3": "XL", "Colour": "Blue", "column 6": "stretch"},
    ]
    assert unknown_columns(RecordSource(src)) == {"Colour": None, "column 3": None, "column 6": None}
    products = list(read_products(src))
    assert isinstance(products[1], Product) and products[1].extra == {
        "column 3": "XL",
        "Colour": "Blue",
        "column 6": "stretch",
    }


def test_a_repeated_header_with_unnamed_columns_is_still_a_repeated_header(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,title,,\n1,Red maxi dress,,\nid,title,,\n2,Blue jeans,,\n")
    records = list(RecordSource(src))
    assert [r.data for r in records] == [
        {"id": "1", "title": "Red maxi dress"},
        None,
        {"id": "2", "title": "Blue jeans"},
    ]
    assert records[1].error is not None and "the row repeats the header" in records[1].error.message


@pytest.mark.parametrize(
    ("given", "example"),
    [("title=Title,id=Handle", "{'title': 'Title', 'id': 'Handle'}"), (["title=Title"], "{'title': 'Title'}")],
)
def test_columns_given_to_the_api_as_the_command_lines_text_are_refused_saying_what_to_give(
    tmp_path: Path, given: object, example: str
) -> None:
    # tag_file(..., columns="title=Title,id=Handle"), as --columns is typed: AttributeError "'str' object has no
    # attribute 'values'" from deep in the reader, after the tagger was built
    import tagllm

    src = tmp_path / "in.csv"
    src.write_text("Handle,Title\nh1,Red maxi dress\n")
    with pytest.raises(InputError) as error:
        tagllm.tag_file(src, tmp_path / "out.jsonl", columns=given, taxonomy="demo")  # type: ignore[arg-type]
    assert str(error.value) == (
        f"columns {given!r}: give a mapping of product field to input column, e.g. {example}, not the command "
        "line's text (tagllm.io.parse_columns reads that)"
    )
    assert not (tmp_path / "out.jsonl").exists()


def test_a_csv_with_a_line_above_its_header_says_where_the_header_is(tmp_path: Path) -> None:
    # a spreadsheet saved with a caption row above the table ("Product list,,"): refused with "no title column (the
    # columns are 'Product list (exported 2024-05-01)', 'column 2', 'column 3'); name the column that holds the
    # titles", a column no row had
    src = tmp_path / "in.csv"
    src.write_text("Product list (exported 2024-05-01),,\n,,\nid,Title,brand\n1,Red maxi dress,Acme\n")
    with pytest.raises(InputError) as error:
        RecordSource(src).require_title()
    assert str(error.value).endswith(
        "; its header seems to be line 3 ('id', 'Title', 'brand'): remove the 2 line(s) above it, then --columns "
        "title=Title"
    )


def test_a_column_to_keep_or_read_that_the_input_lacks_is_warned_of_with_the_close_column_it_has(
    tmp_path: Path,
) -> None:
    # --keep-columns brnd warned "has no column 'brnd'" without naming the input's 'brand', as the other column
    # warnings do; a column with no close one is warned of as before
    from tagllm.io.column_warnings import column_warnings

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "s1", "title": "Blue denim jeans", "brand": "Levi", "Vendor": "Levi Strauss"}\n')
    records = RecordSource(src, columns={"description": "vendr"})
    warnings = column_warnings(records, ["brnd", "SKU"])
    assert warnings == [
        f"{src}: column 'Vendor' is not a product field; kept in extra",
        f"--columns description=vendr: {src} has no column 'vendr' (did you mean 'Vendor'?)",
        f"--keep-columns brnd: {src} has no column 'brnd' (did you mean 'brand'?); its cells will be empty",
        f"--keep-columns SKU: {src} has no column 'SKU'; its cells will be empty",
    ]
