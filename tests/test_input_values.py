"""Values an input spells one way that a reader silently dropped or changed: a key given two values in one record."""

from __future__ import annotations

import json
from pathlib import Path

from tagllm.io import read_products
from tagllm.models import Product, RecordError

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


def test_a_json_number_id_is_read_as_written_so_no_two_ids_become_one(tmp_path: Path) -> None:
    # read as floats, 1e2 and 100.0 were both the id "100.0", and 12345678901234567890.0 and 12345678901234567891.0
    # both "1.2345678901234567e+19": the second of each pair was never tagged, and no id could be joined back
    ids = ["1", "1.0", "1e2", "100.0", "12345678901234567890.0", "12345678901234567891.0", "-0.5"]
    src = tmp_path / "p.jsonl"
    src.write_text("".join(f'{{"id": {number}, "title": "Wool scarf"}}\n' for number in ids))
    assert [p.id for p in read_products(src)] == ids  # type: ignore[union-attr]
