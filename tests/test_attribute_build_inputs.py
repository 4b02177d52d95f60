"""Building facets from a catalogue team's export: the shapes its attribute cells arrive in, and the keys and values
a build must neither merge, lose nor misreport."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tagllm.attributes import AttributeResolver, learn_attributes, learn_scopes, learn_taxonomy, parse_attribute_tags
from tagllm.models import Product
from tagllm.taxonomy import Facet, Taxonomy, Value, from_paths


def _shop():  # type: ignore[no-untyped-def]
    return from_paths(["Apparel > Tops > T-Shirts", "Kitchen > Mugs"], name="shop")


def test_a_cell_pandas_wrote_from_a_dict_or_list_column_is_read_as_its_tags() -> None:
    # DataFrame.to_csv writes a dict or list cell as its Python repr, in single quotes: no JSON
    assert parse_attribute_tags("{'Color': 'Red', 'Material': 'Cotton'}") == (
        [("Color", "Red"), ("Material", "Cotton")],
        [],
    )
    assert parse_attribute_tags("['Color: Red', \"Fit: Men's\"]") == ([("Color", "Red"), ("Fit", "Men's")], [])
    assert parse_attribute_tags("{'Color': ['Red', 'Blue'], 'Size': None}") == (
        [("Color", "Red"), ("Color", "Blue"), ("Size", "")],  # Size's empty cell, counted as saying nothing
        [],
    )


def test_a_build_from_a_pandas_csv_learns_every_key(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "gold_category", "gold_attribute_tags"])
        for i in range(10):
            tags = {"Color": ["Red", "Blue"][i % 2], "Material": ["Cotton", "Wool"][i % 2]}
            writer.writerow([f"p{i}", f"tee {i}", "Apparel > Tops > T-Shirts", repr(tags)])
    learned = learn_taxonomy(path, _shop())
    assert learned.attributes is not None
    assert {f.name: [v.name for v in f.values] for f in learned.attributes.facets} == {
        "color": ["Blue", "Red"],
        "material": ["Cotton", "Wool"],
    }


def test_a_key_with_an_empty_value_is_counted_as_saying_nothing_not_as_no_key_value() -> None:
    # "Pattern:" and "Pattern: " are the same empty cell of an export: neither is junk
    assert parse_attribute_tags("Color: Red; Pattern:; Size: M") == (
        [("Color", "Red"), ("Pattern", ""), ("Size", "M")],
        [],
    )
    report = learn_attributes([["Color: Red", "Pattern:"], ["Color: Blue", "Pattern: "], ["Color: Red"]])
    assert (report.placeholders, report.unparseable_count) == (2, 0)
    assert AttributeResolver(from_paths(["A > B"], name="t")).resolve(["Pattern:"]) == ({}, [])


def test_a_mapping_with_an_empty_value_or_key_is_counted_not_dropped_unseen(tmp_path: Path) -> None:
    # {"Pattern": ""} was dropped without a word where "Pattern:" counts as saying nothing; {"": "Red"} likewise
    # where ": Red" counts as no "Key: Value"
    assert parse_attribute_tags({"Color": "Red", "Pattern": "", "Fit": None, "Size": [], "": "Blue"}) == (
        [("Color", "Red"), ("Pattern", ""), ("Fit", ""), ("Size", ""), ("", "Blue")],
        [],
    )
    assert parse_attribute_tags([["Pattern", None], ["Color", "Red"]]) == ([("Pattern", ""), ("Color", "Red")], [])
    path = tmp_path / "export.jsonl"
    rows = [
        {"id": f"p{i}", "gold_category": "Apparel > Tops > T-Shirts",
         "gold_attribute_tags": {"Color": ["Red", "Blue"][i % 2], "Pattern": "" if i < 4 else "Solid", "": "x"}}
        for i in range(10)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    learned = learn_taxonomy(path, _shop())
    assert learned.attributes is not None
    assert (learned.attributes.placeholders, learned.attributes.unparseable_count) == (4, 10)
    assert "4 empty or placeholder value(s) such as '', 'NA' or 'Other' ignored" in learned.summary()
    assert "10 item(s) not of the form 'Key: Value', e.g. ': x'" in learned.summary()
    resolver = AttributeResolver(learned.taxonomy)
    assert resolver.resolve({"Color": "Red", "Pattern": ""}) == ({"color": ["color/red"]}, [])
    # a product's attributes given as JSON text or [key, value] pairs keep only what states something, as before
    assert Product(id="p", title="t", attributes='{"Pattern": null, "Color": "Red", "": "x"}').attributes == {
        "Color": "Red"
    }
    assert Product(id="p", title="t", attributes=[["Pattern", None], ["Color", "Red"]]).attributes == {"Color": "Red"}


def _labelled_shop() -> Taxonomy:
    """The tree with a color facet labelled in Chinese, as Shopify's is (颜色, its values 红色, 蓝色)."""
    tree = _shop()
    color = Facet("color", "Color", multi_valued=True, labels=(("zh-CN", "颜色"),))
    values = {
        "color-red": Value("color-red", "Red", "color", labels=(("zh-CN", "红色"),)),
        "color-blue": Value("color-blue", "Blue", "color", labels=(("zh-CN", "蓝色"),)),
    }
    return Taxonomy("shop", {**tree.facets, "color": color}, {**tree.values, **values})


def test_a_key_that_is_a_facets_label_in_another_language_is_that_facet(tmp_path: Path) -> None:
    # '颜色: 红色' tags were learned as a new facet '颜色' (红色, 蓝色, 绿色) beside color, labelled 颜色, whose values
    # are labelled 红色 and 蓝色: the products' colours in two facets, color's scope learned from none of them
    path = tmp_path / "export.jsonl"
    rows = [
        {"id": f"p{i}", "gold_category": "Kitchen > Mugs",
         "gold_attribute_tags": [f"颜色: {['红色', '蓝色', '绿色'][i % 3]}"]}
        for i in range(9)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    learned = learn_taxonomy(path, _labelled_shop())
    assert list(learned.taxonomy.facets) == ["category", "color"]
    assert learned.attributes is not None
    assert [(o.key, o.reason) for o in learned.attributes.left_out] == [("颜色", "a facet of the taxonomy already")]
    assert learned.lacking == {"color": {"绿色": 3}}
    assert learned.taxonomy.scope_roots("color") == ["Kitchen"]
    assert AttributeResolver(_labelled_shop()).resolve(["颜色: 红色"]) == ({"color": ["color-red"]}, [])


def test_facets_learned_from_keys_in_two_languages_are_said_to_be_perhaps_one() -> None:
    # "Color" and "颜色" on the same catalogue made two facets, and the summary listed them as two, no word more
    tags = [[f"Color: {['Red', 'Blue'][i % 2]}"] for i in range(6)] + [
        [f"颜色: {['红色', '蓝色'][i % 2]}"] for i in range(6)
    ]
    report = learn_attributes(tags)
    assert [f.title for f in report.facets] == ["Color", "颜色"]
    assert report.summary()[5] == (
        "keys in two languages: 1 facet(s) from Chinese keys (颜色) beside 1 from other keys (Color): an attribute "
        "written in both is learned as two facets; write its keys in one language to learn it as one (a key that is "
        "a label of a facet of the taxonomy this extends is read as that facet)"
    )
    assert not any("two languages" in line for line in learn_attributes(tags[:6]).summary())


def test_a_list_or_mapping_where_a_value_belongs_is_counted_not_learned_as_its_repr() -> None:
    # {"Size": {"EU": "40"}} made a facet size whose values were named "{'EU': '40'}", "{'EU': '41'}", … and the
    # summary said nothing; AttributeResolver already names such a value "nested"
    tags = [{"Color": ["Red", "Blue"][i % 2], "Size": {"EU": str(40 + i % 3)}} for i in range(12)]
    tags += [{"Color": [["Black"]]}]
    report = learn_attributes(tags)
    assert [f.name for f in report.facets] == ["color"]
    assert [v.name for v in report.facets[0].values] == ["Blue", "Red"]
    assert (report.with_tags, report.nested_count) == (13, 13)
    assert report.summary()[-1] == (
        '13 value(s) left out as a list or mapping where a value belongs, e.g. \'Size: {"EU": "40"}\': write each '
        "value as a string"
    )


def test_a_key_naming_the_category_tree_is_left_out_not_learned_as_a_flat_copy_of_it(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    rows = [
        {"id": f"p{i}", "gold_category": ["Apparel > Tops > T-Shirts", "Kitchen > Mugs"][i >= 6],
         "gold_attribute_tags": [f"Category: {['T-Shirts', 'Mugs'][i >= 6]}", f"Color: {['Red', 'Blue'][i % 2]}"]}
        for i in range(10)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    learned = learn_taxonomy(path, _shop())
    assert list(learned.taxonomy.facets) == ["category", "color"]
    assert learned.attributes is not None
    assert [(o.key, o.reason) for o in learned.attributes.left_out] == [("Category", "a facet of the taxonomy already")]


def test_a_scope_share_given_as_a_percentage_stops_the_build_before_the_products_are_read(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tagllm.cli import app

    tree = tmp_path / "tree.txt"
    tree.write_text("Apparel > Tops > T-Shirts\nKitchen > Mugs\n", encoding="utf-8")
    out = tmp_path / "shop.yaml"
    products = tmp_path / "products.jsonl"
    products.write_text('{"id": "p", "gold_category": "Kitchen > Mugs", "gold_attribute_tags": ["Color: Red"]}\n')
    args = ["taxonomy", "build", str(products), "-t", str(tree), "-o", str(out), "--scope-share", "30"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--scope-share" in result.output and "less than or equal to 1" in result.output
    assert not out.exists()
    with pytest.raises(ValueError, match="min_share"):
        learn_scopes(_shop(), [], min_share=30)


def test_a_facet_every_example_carries_does_not_apply_where_no_example_comes_from() -> None:
    # an apparel team's export over a tree with Kitchen too: all 10 T-shirts carry Fabric, no mug was labelled
    examples = [{"category": ["Apparel > Tops > T-Shirts"], "fabric": ["fabric/x"]}] * 10
    tree = _shop()
    tree = Taxonomy(
        "shop",
        {**tree.facets, "fabric": Facet("fabric")},
        {**tree.values, "fabric/x": Value("fabric/x", "x", "fabric")},
    )
    scopes = learn_scopes(tree, examples)
    assert scopes["fabric"] == {"Apparel", "Apparel > Tops", "Apparel > Tops > T-Shirts"}
    both = [*examples, *[{"category": ["Kitchen > Mugs"], "fabric": ["fabric/x"]}] * 3]
    assert learn_scopes(tree, both)["fabric"] is None  # carried wherever examples come from: everywhere


def test_a_record_whose_category_the_tree_lacks_is_said_to_lose_its_category_not_to_be_skipped(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    rows = [
        {"id": f"p{i}", "gold_category": ["Apparel > Tops > T-Shirts", "Apparel > Tees"][i >= 5],
         "gold_attribute_tags": [f"Color: {['Red', 'Blue'][i % 2]}", f"Neck: {['Round', 'Crew', 'Polo'][i % 3]}"]}
        for i in range(10)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    summary = learn_taxonomy(path, _shop()).summary()
    assert not [line for line in summary if line.startswith("skipped: ")]  # their tags made the facets' values
    left = [line for line in summary if line.startswith("category left out: ")]
    assert len(left) == 5
    assert left[0] == (
        f"category left out: {path}:6: record 'p5' field 'gold_category': category label 'Apparel > Tees' is not a "
        "value of taxonomy 'shop' (its attribute tags are learned from; it counts for no facet's scope)"
    )


def test_a_category_id_written_as_a_number_labels_its_category(tmp_path: Path) -> None:
    # Google's ids are numbers, and a JSON export writes them so (a column of them with an empty cell, as a float):
    # each record was "no tag in 'gold_category'", and every facet applied everywhere
    from tagllm.retrieval.index import read_examples

    google = from_paths([{"id": "2", "path": "Apparel > Shirts"}, {"id": "4", "path": "Home > Mugs"}], name="google")
    path = tmp_path / "export.jsonl"
    labels: list[object] = [2, 4.0, [2], {"category": 4}]
    path.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "title": f"thing {i}", "gold_category": label, "tags": [f"Color: {c}"]}) + "\n"
            for i, (label, c) in enumerate((label, c) for label in labels for c in ("Red", "Blue"))
        )
    )
    learned = learn_taxonomy(path, google, attribute_field="tags", min_products=2)
    assert (learned.with_category, learned.bad_categories) == (8, [])
    examples, errors = read_examples(path, google, label_field="gold_category")
    assert errors == [] and [e.labels["category"] for e in examples[::2]] == [["2"], ["4"], ["2"], ["4"]]


def test_a_build_learning_no_new_facet_still_learns_where_the_taxonomys_facets_apply(tmp_path: Path) -> None:
    # --no-attributes ("learn no new facet, only where the taxonomy's facets apply") read no attribute tag at all: the
    # mugs' colours were not seen, and the taxonomy was written back unchanged, exit 0
    from typer.testing import CliRunner

    from tagllm.cli import app
    from tagllm.taxonomy import load_taxonomy

    base = tmp_path / "shop.yaml"
    base.write_text(
        "name: shop\nfacets:\n"
        "  - {name: category, hierarchical: true, values: [{id: apparel, name: Apparel}, {id: mugs, name: Mugs}]}\n"
        "  - {name: color, applies_to: [apparel], values: [{id: red, name: Red}, {id: blue, name: Blue}]}\n"
    )
    examples = tmp_path / "mugs.jsonl"
    examples.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"m{i}",
                    "title": f"mug {i}",
                    "gold_category": "Mugs",
                    "gold_attribute_tags": [f"Color: {['Red', 'Blue'][i % 2]}", "Material: Ceramic"],
                }
            )
            + "\n"
            for i in range(6)
        )  # fmt: skip
    )
    out = tmp_path / "out.yaml"
    args = ["taxonomy", "build", str(examples), "-t", str(base), "--no-attributes", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "  color: applies everywhere (kept its 1 from before, widened)\n" in result.output
    learned = load_taxonomy(out)
    assert list(learned.facets) == ["category", "color"]  # no material facet
    assert learned.categories_of("color") is None


def test_key_value_pairs_a_cell_separates_by_commas_are_read_as_tags_of_their_own() -> None:
    # "Color: Red, Size: M" was one Color, "Red, Size: M": its facet 'color' was learned with the values Red, Blue,
    # "Size: M", "Size: S", "Material: Cotton" and "Material: Wool", and no size or material facet
    assert parse_attribute_tags("Color: Red, Size: M，材质：棉") == (
        [("Color", "Red"), ("Size", "M"), ("材质", "棉")],
        [],
    )
    # a comma between values, or before a time or a clock, stays in the value
    assert parse_attribute_tags("Occasion: Party, Work; Time: 10:30, 11:30") == (
        [("Occasion", "Party, Work"), ("Time", "10:30, 11:30")],
        [],
    )
    cells = [
        f"Color: {c}, Size: {s}, Material: {m}" for c in ("Red", "Blue") for s in ("S", "M") for m in ("Cotton", "Wool")
    ]
    report = learn_attributes(cells * 2)
    assert {f.name: sorted(v.name for v in f.values) for f in report.facets} == {
        "color": ["Blue", "Red"],
        "size": ["M", "S"],
        "material": ["Cotton", "Wool"],
    }
