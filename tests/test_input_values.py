"""Values an input spells one way that a reader silently dropped or changed: a key given two values in one record, a
number id's spelling, a cell of bytes kept in the output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tagllm.io import RecordSource, ResultWriter, read_products
from tagllm.models import Product, RecordError, TagResult

TAXONOMY = """name: shop
facets:
  - name: category
    hierarchical: true
    values:
      - {id: tops, name: Tops}
      - {id: mugs, name: Mugs}
  - name: color
    title: Color
    multi_valued: true
    values:
      - {id: black, name: Black}
      - {id: white, name: White}
"""


def test_a_key_given_two_values_is_an_error_record_naming_the_record_and_field(tmp_path: Path) -> None:
    # json keeps the last of two values: the product was tagged as a scarf, its jeans title dropped without a word
    src = tmp_path / "p.jsonl"
    src.write_text(
        '{"id": "1", "title": "Blue denim jeans", "title": "Wool scarf"}\n'
        '{"id": "2", "title": "Steel pot", "attributes": {"color": "red", "size": "M", "color": "blue"}}\n'
        '{"title": "Mug", "images": [{"url": "a.jpg", "url": "b.jpg"}]}\n'
        '{"id": "4", "title": "Red summer dress", "title": "Red summer dress"}\n'
        '{"id": "5", "title": "Gold plated necklace"}\n'
    )
    first, second, third, same, last = read_products(src)
    assert isinstance(first, RecordError) and isinstance(second, RecordError) and isinstance(third, RecordError)
    assert (first.record_id, first.field, first.line) == ("1", "title", 1)
    assert first.message == (
        f"{src}:1: record '1' field 'title' is given twice (\"Blue denim jeans\", then \"Wool scarf\") and only one "
        "can be read; delete the wrong one"
    )
    assert (second.record_id, second.field) == ("2", "attributes.color")
    assert (third.record_id, third.field) == (None, "images.0.url")  # written under its line's name, line-3
    assert isinstance(same, Product) and same.title == "Red summer dress"  # one value twice: nothing is lost
    assert isinstance(last, Product) and last.id == "5"


def test_a_csv_json_cell_giving_a_key_two_values_is_an_error_record(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    src.write_text(
        'id,title,attributes\n1,Blue jeans,"{""color"": ""red"", ""color"": ""blue""}"\n'
        '2,Wool scarf,"{""color"": ""grey""}"\n'
    )
    bad, good = read_products(src)
    assert isinstance(bad, RecordError) and (bad.record_id, bad.field, bad.line) == ("1", "attributes.color", 2)
    assert isinstance(good, Product) and good.attributes == {"color": "grey"}


def test_a_gold_record_giving_a_key_two_values_is_an_input_problem_naming_the_product_and_field(
    tmp_path: Path,
) -> None:
    # the gold colour was read as the last of two values: the product was scored against one answer of two
    from tagllm.evaluation.gold import load_gold
    from tagllm.evaluation.harness import load_eval_config
    from tagllm.taxonomy import load_taxonomy

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    (tmp_path / "gold.jsonl").write_text(
        '{"id": "a", "title": "Tee", "gold_category": "Tops", '
        '"gold_attributes": {"Color": "Black", "Color": "White"}}\n'
        + json.dumps({"id": "b", "title": "Mug", "gold_category": "Mugs", "gold_attributes": {"Color": "White"}})
        + "\n"
    )
    (tmp_path / "gold.csv").write_text(
        'id,title,gold_category,gold_attributes\nc,Tee two,Tops,"{""Color"": ""Black"", ""Color"": ""White""}"\n'
        'd,Mug two,Mugs,"{""Color"": ""Black""}"\n'
    )
    for gold, bad, good in [("gold.jsonl", "a", "b"), ("gold.csv", "c", "d")]:
        (tmp_path / "eval.yaml").write_text(
            f"gold: {gold}\ngold_attribute_field: gold_attributes\ntagger:\n  taxonomy: shop.yaml\n"
        )
        cfg = load_eval_config(tmp_path / "eval.yaml")
        loaded = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
        assert [item.id for item in loaded.items] == [good]
        ((problem),) = loaded.unreadable
        assert (problem["product_id"], problem["field"], problem["line"]) == (
            bad, "gold_attributes.Color", 1 if gold == "gold.jsonl" else 2
        )  # fmt: skip
        assert 'field \'gold_attributes.Color\' is given twice ("Black", then "White")' in problem["message"]


def test_a_gold_row_repeating_the_header_is_unreadable_not_a_product_scored(tmp_path: Path) -> None:
    # two gold CSVs joined with cat: product "id" titled "title" was scored, its gold 'gold_category' "not in taxonomy"
    from tagllm.evaluation.gold import load_gold
    from tagllm.evaluation.harness import load_eval_config
    from tagllm.taxonomy import load_taxonomy

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    (tmp_path / "gold.csv").write_text("id,title,gold_category\na,Tee,Tops\nid,title,gold_category\nb,Mug,Mugs\n")
    (tmp_path / "eval.yaml").write_text("gold: gold.csv\ntagger:\n  taxonomy: shop.yaml\n")
    cfg = load_eval_config(tmp_path / "eval.yaml")
    loaded = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    assert [item.id for item in loaded.items] == ["a", "b"]
    assert loaded.unknown == []
    assert [(problem["line"], problem["message"].split("?")[0]) for problem in loaded.unreadable] == [
        (3, f"{tmp_path / 'gold.csv'}:3: the row repeats the header: two files joined (cat a.csv b.csv)")
    ]


def test_a_json_number_id_is_read_as_written_so_no_two_ids_become_one(tmp_path: Path) -> None:
    # read as floats, 1e2 and 100.0 were both the id "100.0", and 12345678901234567890.0 and 12345678901234567891.0
    # both "1.2345678901234567e+19": the second of each pair was never tagged, and no id could be joined back
    ids = ["1", "1.0", "1e2", "100.0", "12345678901234567890.0", "12345678901234567891.0", "-0.5"]
    src = tmp_path / "p.jsonl"
    src.write_text("".join(f'{{"id": {number}, "title": "Wool scarf"}}\n' for number in ids))
    assert [p.id for p in read_products(src)] == ids  # type: ignore[union-attr]


def test_a_json_number_title_or_brand_is_read_as_its_text_and_other_values_are_refused_by_name(
    tmp_path: Path,
) -> None:
    # a book titled 1984 was an error record "field 'title': Input should be a valid string", while a number id is text
    src = tmp_path / "p.jsonl"
    src.write_text(
        '{"id": "b1", "title": 1984}\n'
        '{"id": "b2", "title": 2.50, "brand": 1664, "description": 1e3}\n'
        '{"id": "b3", "title": [1984]}\n'
        '{"id": "b4", "title": true}\n'
        '{"id": "b5", "title": "Lager", "brand": {"name": "Kronenbourg"}}\n'
    )
    b1, b2, b3, b4, b5 = read_products(src)
    assert isinstance(b1, Product) and isinstance(b2, Product)
    assert (b1.title, b2.title, b2.brand, b2.description) == ("1984", "2.50", "1664", "1e3")
    assert [(e.record_id, e.field, e.message) for e in (b3, b4, b5) if isinstance(e, RecordError)] == [
        (
            "b3",
            "title",
            f"{src}:3: record 'b3' field 'title': expected text (a string or a number), got a list ([1984])",
        ),
        (
            "b4",
            "title",
            f"{src}:4: record 'b4' field 'title': expected text (a string or a number), got a boolean (true)",
        ),
        (
            "b5",
            "brand",
            f"{src}:5: record 'b5' field 'brand': expected text (a string or a number), got an object "
            '({"name": "Kronenbourg"})',
        ),
    ]


@pytest.mark.parametrize("name", ["out.jsonl", "out.csv", "out.parquet"])
def test_a_kept_cell_of_bytes_is_written_as_its_text_or_as_base64(tmp_path: Path, name: str) -> None:
    # a Parquet binary column kept with --keep-columns was written as Python's repr: "b'AB-12'", "b'\\xff\\x00\\x01'"
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / name
    writer = ResultWriter(out, facets=["category"], keep_columns=["sku"])
    kept = [{"sku": b"AB-12"}, {"sku": b"\xff\x00\x01"}, {"sku": {"codes": [b"caf\xc3\xa9"]}}]
    writer.write([TagResult(product_id=pid) for pid in ("a", "b", "c")], kept=kept)
    writer.close()
    if name.endswith(".jsonl"):
        cells = [json.loads(line)["input"]["sku"] for line in out.read_text(encoding="utf-8").splitlines()]
    elif name.endswith(".csv"):
        cells = [row["sku"] for row in csv.DictReader(out.open(encoding="utf-8", newline=""))]
    else:
        cells = pq.read_table(out).column("sku").to_pylist()
    nested = {"codes": ["café"]} if name.endswith(".jsonl") else '{"codes": ["café"]}'
    assert cells == ["AB-12", "base64:/wAB", nested]


def test_keeping_a_column_of_bytes_that_are_not_text_is_warned_of_before_the_run(tmp_path: Path) -> None:
    from tagllm.io.column_warnings import column_warnings

    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    table = {"id": ["1", "2"], "title": ["Blue denim jeans", "Wool scarf"], "sku": [b"AB-12", b"\xff\x00\x01"]}
    pq.write_table(pa.table({**table, "code": [b"AB-12", b"CD-34"]}), src)
    records = RecordSource(src)
    warnings = column_warnings(records, ["sku", "code"])
    assert warnings == [  # not of 'code', whose bytes are text
        f"{src}: 2 columns are not product fields, kept in extra: 'sku', 'code' (map one with --columns FIELD=COLUMN)",
        f"--keep-columns sku: {src}'s column 'sku' holds bytes that are not UTF-8 text; such a cell is written as "
        "'base64:' and its base64 (a cell of UTF-8 text as that text)",
    ]


def test_a_lone_surrogate_in_a_text_field_is_read_as_a_replacement_character(tmp_path: Path) -> None:
    # an exporter that cuts text at a fixed number of UTF-16 units (JavaScript's substring) leaves half an emoji, a
    # JSON escape "\ud83d" alone: each such product was an error record "Input should be a valid string, unable to
    # parse raw data as a unicode string", lost for a character no reader can show
    src = tmp_path / "p.jsonl"
    src.write_text(
        '{"id": "1", "title": "Blue jeans \\ud83d", "brand": "Acme\\udc00", "description": "Soft \\ud83d"}\n'
        '{"id": "2", "title": "Wool scarf", "attributes": {"Colour \\ud83d": "Red \\ud83d"}}\n'
        '{"id": "3", "title": "Red dress \\ud83d\\ude00"}\n'
    )
    first, second, third = read_products(src)
    assert isinstance(first, Product) and isinstance(second, Product) and isinstance(third, Product)
    assert (first.title, first.brand, first.description) == ("Blue jeans \ufffd", "Acme\ufffd", "Soft \ufffd")
    assert second.attributes == {"Colour \ufffd": "Red \ufffd"}
    assert third.title == "Red dress \U0001f600"  # a whole pair is the emoji it encodes


def test_a_yes_no_or_whole_number_attribute_is_read_as_a_seller_writes_it(tmp_path: Path) -> None:
    # read as Python's str spelled them, a JSON true was "True" and 2.0 "2.0" in the attribute and the product's text
    src = tmp_path / "p.jsonl"
    src.write_text(
        '{"id": "a", "title": "Rain jacket", "attributes": {"Waterproof": true, "Hood": false, "Pockets": 2.0, '
        '"Sizes": [true, 1.50]}}\n'
    )
    import numpy as np

    (product,) = read_products(src)
    assert isinstance(product, Product)
    assert product.attributes == {"Waterproof": "true", "Hood": "false", "Pockets": "2", "Sizes": "true, 1.5"}
    assert product.text() == "Rain jacket\nWaterproof: true; Hood: false; Pockets: 2; Sizes: true, 1.5"
    # a pandas row of a Parquet file's bool and float columns holds NumPy's
    cells = {"Waterproof": np.bool_(True), "Pockets": np.float64(3.0)}
    assert Product(id="b", title="Rain jacket", attributes=cells).attributes == {"Waterproof": "true", "Pockets": "3"}


def test_a_yes_no_or_whole_number_reads_alike_in_pairs_a_map_column_and_a_mapping(tmp_path: Path) -> None:
    # [key, value] pairs and a Parquet map column read a JSON true as "True" and 2.0 as "2.0", a mapping "true", "2"
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "p.jsonl"
    src.write_text(
        '{"id": "a", "title": "Rain jacket", "attributes": {"Waterproof": true, "Pockets": 2.0, "Sizes": ["S", 1.0]}}\n'
        '{"id": "b", "title": "Rain jacket", "attributes": [["Waterproof", true], ["Pockets", 2.0], '
        '["Sizes", ["S", 1.0]]]}\n'
    )
    mapping, pairs = read_products(src)
    assert isinstance(mapping, Product) and isinstance(pairs, Product)
    assert mapping.attributes == pairs.attributes == {"Waterproof": "true", "Pockets": "2", "Sizes": "S, 1"}
    table = pa.table(
        {
            "id": ["c"],
            "title": ["Rain jacket"],
            "attributes": pa.array([[("Waterproof", True)]], pa.map_(pa.string(), pa.bool_())),
        }
    )
    pq.write_table(table, tmp_path / "p.parquet")
    (column,) = read_products(tmp_path / "p.parquet")
    assert isinstance(column, Product) and column.attributes == {"Waterproof": "true"}


def test_an_attributes_cell_of_json_cut_short_is_an_error_naming_the_field(tmp_path: Path) -> None:
    # split as "Key: Value" tags, '{"Color": "Red", "Size": "M' became the attributes '{"Color"' and '"Size"'
    src = tmp_path / "p.csv"
    src.write_text('id,title,attributes\na,Dress,"{""Color"": ""Red"", ""Size"": ""M"\nb,Mug,[New] Color: Red\n')
    cut, tags = read_products(src)
    assert isinstance(cut, RecordError) and cut.field == "attributes"
    assert cut.message == (
        f'{src}:2: record \'a\' field \'attributes\': \'{{"Color": "Red", "Size": "M\' starts like JSON (an object) '
        "but is not valid JSON: a cell cut short, or a quote not doubled?"
    )
    assert isinstance(tags, Product) and tags.attributes == {"[New] Color": "Red"}  # a word after the bracket: tags
