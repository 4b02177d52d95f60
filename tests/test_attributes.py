"""Facets learned from labelled data: "Key: Value" tags into facets, spelling variants merged, free text left out,
where each facet applies, the taxonomy written in the own format and read back, examples labelled with both."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tagllm.attributes import (
    AttributeResolver,
    learn_attributes,
    learn_scopes,
    learn_taxonomy,
    parse_attribute_tags,
    value_key,
)
from tagllm.retrieval.index import read_examples
from tagllm.taxonomy import Facet, Taxonomy, Value, from_paths, load_taxonomy, save_own


def test_tags_are_read_from_lists_mappings_and_csv_cells() -> None:
    assert parse_attribute_tags(["Color: Black", "Ideal For: Women's", "junk"]) == (
        [("Color", "Black"), ("Ideal For", "Women's")],
        ["junk"],
    )
    assert parse_attribute_tags({"功效": ["保湿", "滋润"], "材质": "棉", "空": None}) == (
        [("功效", "保湿"), ("功效", "滋润"), ("材质", "棉"), ("空", "")],  # an empty value, counted as saying nothing
        [],
    )
    assert parse_attribute_tags("Color: Red; Fabric:  Cotton  Lycra") == (
        [("Color", "Red"), ("Fabric", "Cotton Lycra")],
        [],
    )
    assert parse_attribute_tags('["风格：日式"]') == ([("风格", "日式")], [])
    assert parse_attribute_tags(None) == ([], [])


def test_a_chinese_cell_separates_its_tags_with_full_width_marks() -> None:
    # typed with a Chinese input method: '；' and '｜' were no separators, so 颜色 got the value "红色；材质：纯棉" and
    # a taxonomy built from 40 such rows had no 材质 facet and three colours named "材质：…"
    assert parse_attribute_tags("颜色：红色；材质：纯棉") == ([("颜色", "红色"), ("材质", "纯棉")], [])
    assert parse_attribute_tags("颜色：红色 ｜ 材质：纯棉") == ([("颜色", "红色"), ("材质", "纯棉")], [])
    # between two values of one key (no key after it) '；' stays a value separator, read as one before
    assert parse_attribute_tags("颜色：红色；蓝色；材质：纯棉") == ([("颜色", "红色；蓝色"), ("材质", "纯棉")], [])


def test_a_semicolon_between_two_values_of_one_key_keeps_both() -> None:
    # "Color: Red; Blue" was split at the ';': Blue, no "Key: Value", was an unparseable item and lost
    assert parse_attribute_tags("Color: Red; Blue; Material: Cotton") == (
        [("Color", "Red; Blue"), ("Material", "Cotton")],
        [],
    )
    assert parse_attribute_tags("Color: Red;Material: Cotton") == ([("Color", "Red"), ("Material", "Cotton")], [])
    from tagllm.attributes.facets import learn_attributes

    report = learn_attributes(["Color: Red; Blue", "Color: Blue; Red", "Color: Red", "Color: Blue"], min_products=2)
    assert report.unparseable_count == 0
    assert {f.name: sorted(v.name for v in f.values) for f in report.facets} == {"color": ["Blue", "Red"]}


def test_a_letter_size_with_a_note_is_that_size_not_a_measurement() -> None:
    # "M (38)" was a number (its "m" read as metres, "L (40)"'s "l" as litres) and left out of the size facet, while
    # "S (36)" was a value of its own
    from tagllm.attributes.facets import learn_attributes
    from tagllm.attributes.kinds import noted_size, value_kind

    assert [value_kind(v) for v in ["M (38)", "L（40）", "3XL (EU 46)", "10 m", "10 m (33 ft)"]] == [
        None,
        None,
        None,
        "number",
        "number",
    ]
    assert [noted_size(v) for v in ["M (38)", "XL（42）", "2XS(30)", "M", "Small (36)", "10 m"]] == [
        "M",
        "XL",
        "2XS",
        None,
        None,
        None,
    ]
    tags = ["Size: M (38)", "Size: M (38)", "Size: M", "Size: L (40)", "Size: L (40)", "Size: L"]
    report = learn_attributes(tags, min_products=2)
    assert [(v.name, v.synonyms) for f in report.facets for v in f.values] == [("L", ["L (40)"]), ("M", ["M (38)"])]


def test_a_latin_value_written_against_chinese_is_stated_by_the_title() -> None:
    # taxonomy build keeps a rare value the product's title states: 'Navy' in '男士Navy纯棉T恤' was not found (the
    # title read as one word, '男士navy纯棉t恤'), so of 12 products Shade: Navy, the one rare value, was left out
    from tagllm.attributes.tags import states

    assert states("男士Navy纯棉T恤", "Navy")
    assert states("Stainless Steel保温杯500ml", "stainless steel")
    assert not states("Goldfish金鱼缸", "Gold")


@pytest.mark.parametrize(
    ("variants", "key"),
    [
        (["Women's", "Womens", "women", "WOMEN", "Woman"], "Ideal For"),
        (["V-Neck", "V Neck", "v neck"], "Neck"),
        (["Round Neck", "Round", "ROUND NECK"], "Neck"),
        (["Grey", "Gray", "grey"], "Colour"),
        (["100% Cotton", "Cotton"], "Fabric"),
        (["T-Shirts", "T Shirt", "tshirt"], "Type"),
    ],
)
def test_spelling_variants_of_a_value_meet(variants: list[str], key: str) -> None:
    assert len({value_key(v, key) for v in variants}) == 1


def test_different_values_stay_apart() -> None:
    keys = [value_key(v, "Sleeve") for v in ("Full Sleeve", "Half Sleeve", "Sleeveless", "3/4 Sleeve", "Short Sleeve")]
    assert len(set(keys)) == 5
    assert value_key("Men", "Ideal For") != value_key("Women", "Ideal For")


def _catalogue() -> list[list[str]]:
    rows: list[list[str]] = []
    for i in range(12):
        gender = ["Women's", "Womens", "Women", "Men", "Men's", "Women, Girls"][i % 6]
        rows.append([
            f"Ideal For: {gender}",
            f"Weight: {100 + 10 * i} g",
            f"Style Code: AB{1000 + i}X",
            f"Year: {2010 + i % 3}",
            f"Note: handmade in a small workshop by artisan number {i}",
            f"Sleeve: {['Full Sleeve', 'Full', 'Half Sleeve', 'NA'][i % 4]}",
            "Color: Black" if i % 3 else "Color: Rare Teal",
        ])  # fmt: skip
    for i in range(6):
        rows.append(["功效: 保湿", "功效: 滋润", f"功效: {['补水', '美白'][i % 2]}"])
    return rows


def test_lists_split_where_their_parts_recur_though_rarely_listed_alone() -> None:
    # a ring's occasions come as lists in varying order; one part only is ever a value alone
    lists = ["Daily, Gifting, Bridal", "Gifting, Bridal, Daily", "Daily, Office, Gifting"]
    rows = [[f"Occasion: {lists[i % 3]}"] for i in range(9)] + [["Occasion: Bridal"], ["Occasion: Bridal"]]
    rows += [["Finish: Matte, smooth to the touch"], ["Finish: Glossy"], ["Finish: Glossy"]] * 2
    facets = {f.name: f for f in learn_attributes(rows).facets}
    occasion = facets["occasion"]
    assert occasion.multi_valued
    assert sorted(v.name for v in occasion.values) == ["Bridal", "Daily", "Gifting", "Office"]
    # a phrase whose comma-separated parts appear nowhere else is one value, not two
    assert sorted(v.name for v in facets["finish"].values) == ["Glossy", "Matte, smooth to the touch"]


def test_facets_are_learned_and_free_text_numbers_codes_and_dates_are_left_out_with_the_reason() -> None:
    report = learn_attributes(_catalogue())
    facets = {f.name: f for f in report.facets}
    assert sorted(facets) == ["color", "ideal-for", "sleeve", "功效"]
    ideal = facets["ideal-for"]
    assert [(v.name, v.count) for v in ideal.values] == [("Women", 8), ("Men", 4), ("Girls", 2)]
    assert ideal.values[0].synonyms == ["Women's", "Womens"] and ideal.values[0].id == "ideal-for/women"
    assert ideal.multi_valued  # "Women, Girls": both are values of their own
    assert [v.name for v in facets["sleeve"].values] == ["Full Sleeve", "Half Sleeve"]
    assert facets["sleeve"].values[0].synonyms == ["Full"]
    assert not facets["sleeve"].multi_valued
    assert [v.name for v in facets["color"].values] == ["Black"] or facets["color"].rare_values == 0
    assert facets["功效"].multi_valued and [v.name for v in facets["功效"].values] == ["保湿", "滋润", "美白", "补水"]
    left = {item.key: item.reason for item in report.left_out}
    assert left == {
        "Weight": "numbers or measurements",
        "Style Code": "codes or model numbers",
        "Year": "years or dates",
        "Note": "free text (long descriptions)",
    }
    assert report.placeholders == 3  # "Sleeve: NA"


def test_a_value_is_named_without_the_punctuation_a_cell_left_around_it() -> None:
    """'Cotton.' (3 products) and 'Cotton' (2) were one value named 'Cotton.'; '(Wool)' and '"Linen"' were value
    names, brackets and quotes and all. Punctuation of the value itself stays."""
    tags = (
        ["Material: Cotton."] * 3 + ["Material: Cotton"] * 2 + ['Material: "Linen"'] * 2 + ["Material: (Wool)"] * 2
        + ["Material: Wool"] + ["Material: Polyester:"] * 2 + ["Material: Cotton (Organic)"] * 2
    )  # fmt: skip
    kept = ["3.5 mm Jack", "T-Shirt", "A-line", "Men's", "U.S.A.", "C++", "No. 5"]
    report = learn_attributes([*tags, *(f"Kind: {k}" for k in kept for _ in range(2))], min_products=2)
    names = {f.name: [(v.name, v.count) for v in f.values] for f in report.facets}
    assert names["material"] == [
        ("Cotton", 5), ("Wool", 3), ("Cotton (Organic)", 2), ("Linen", 2), ("Polyester", 2),
    ]  # fmt: skip
    assert sorted(name for name, _ in names["kind"]) == sorted(kept)
    facet = Facet("material", "Material", "", hierarchical=False)
    values = [Value(v.id, v.name, "material", synonyms=tuple(v.synonyms)) for v in report.facets[0].values]
    resolver = AttributeResolver(Taxonomy("t", {"material": facet}, {v.id: v for v in values}))
    assert resolver.resolve(["Material: Cotton.", "Material: (Wool)"])[0] == {
        "material": ["material/cotton", "material/wool"]
    }


def test_a_value_is_named_without_the_invisible_characters_a_cell_left_at_its_ends() -> None:
    """'Cotton' followed by a zero-width space on 3 products and 'Cotton' on 2 were one value named 'Cotton\u200b',
    which reads as Cotton in the taxonomy file and is not its name; so was a cell's byte-order mark before 'Silk'."""
    tags = ["Material: Cotton\u200b"] * 3 + ["Material: Cotton"] * 2 + ["Material: \ufeffSilk\u00ad"] * 2
    report = learn_attributes(tags, min_products=2)
    assert [(v.name, v.count) for v in report.facets[0].values] == [("Cotton", 5), ("Silk", 2)]


def test_a_key_with_one_value_or_too_few_products_is_no_facet() -> None:
    rows = [["Color: Black", "Barometer: No"]] * 6 + [["Color: White", "Hooded: Yes"]] * 2
    report = learn_attributes(rows)
    assert [(f.name, [v.name for v in f.values]) for f in report.facets] == [("color", ["Black", "White"])]
    assert [(i.key, i.products, i.reason) for i in report.left_out] == [
        ("Barometer", 6, "a single value (nothing to choose)"),
        ("Hooded", 2, "too few products (under 5)"),
    ]


def _tree(*facets: str) -> Taxonomy:
    tree = from_paths(
        ["Apparel > Tops > T-Shirts", "Apparel > Tops > Shirts", "Apparel > Bottoms > Jeans", "Apparel > Socks",
         "Kitchen > Skillets", "Kitchen > Mugs"],
        name="shop",
    )  # fmt: skip
    values = dict(tree.values)
    for f in facets:
        values[f"{f}/x"] = Value(f"{f}/x", "x", f)
    return Taxonomy("shop", {**tree.facets, **{f: Facet(f) for f in facets}}, values)


def test_a_facet_applies_where_its_examples_carry_it() -> None:
    tree = _tree("sleeve", "color", "coating")
    examples = (
        [{"category": ["Apparel > Tops > T-Shirts"], "sleeve": ["sleeve/x"], "color": ["color/x"]}] * 3
        + [{"category": ["Apparel > Tops > Shirts"], "sleeve": ["sleeve/x"], "color": ["color/x"]}]
        + [{"category": ["Apparel > Bottoms > Jeans"], "color": ["color/x"]}] * 10
        + [{"category": ["Kitchen > Skillets"], "color": ["color/x"], "coating": ["coating/x"]}] * 2
        + [{"category": ["Kitchen > Mugs"], "color": ["color/x"]}] * 3
        + [{"category": ["Kitchen > Mugs"]}] * 50  # no attribute at all: says nothing about which apply
    )
    scopes = learn_scopes(tree, examples)
    assert scopes["sleeve"] == {"Apparel > Tops", "Apparel > Tops > T-Shirts", "Apparel > Tops > Shirts"}
    assert scopes["color"] is None  # carried everywhere
    assert scopes["coating"] == {"Kitchen > Skillets"}  # too rare to pass anywhere: where its examples are
    assert tree.categories_of("sleeve") is None  # learn_scopes never changes the taxonomy it reads


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _products(tmp_path: Path) -> Path:
    rows = []
    for i in range(8):
        rows.append({
            "id": f"t{i}", "title": f"Cotton T-shirt {i}", "gold_category": "Apparel > Tops > T-Shirts",
            "gold_attribute_tags": [f"Sleeve: {['Half Sleeve', 'Full Sleeve'][i % 2]}",
                                    "Ideal For: " + ["Women", "Men", "Women's"][i % 3]],
        })  # fmt: skip
    for i in range(6):
        rows.append({
            "id": f"m{i}", "title": f"Ceramic mug {i}", "gold_category": "Kitchen > Mugs",
            "gold_attribute_tags": [f"Material: {['Ceramic', 'Steel'][i % 2]}", f"Capacity: {200 + i} ml"],
        })  # fmt: skip
    return _write(tmp_path / "labelled.jsonl", rows)


def test_a_built_taxonomy_round_trips_through_the_own_format(tmp_path: Path) -> None:
    learned = learn_taxonomy(_products(tmp_path), _tree(), name="shop-attributes")
    tax = learned.taxonomy
    assert list(tax.facets) == ["category", "sleeve", "ideal-for", "material"]
    assert tax.scope_roots("sleeve") == ["Apparel"]  # the only labelled apparel: all T-shirts carry it
    assert tax.scope_roots("material") == ["Kitchen"]
    assert tax.facets_for("Kitchen > Mugs") == ["material"]
    path = save_own(tax, tmp_path / "shop.yaml", header="test")
    assert path.read_text().startswith("# test\nname: shop-attributes\n")
    loaded = load_taxonomy(path)
    assert loaded.version == tax.version
    assert loaded.scope_roots("sleeve") == ["Apparel"]
    assert loaded.values["ideal-for/women"].synonyms == ("Women's",)
    assert [line for line in learned.summary() if "Capacity" in line] == [
        "  'Capacity' (6 products; e.g. '200 ml', '201 ml', '202 ml')"
    ]


def test_attribute_tags_resolve_onto_the_learned_facets(tmp_path: Path) -> None:
    tax = learn_taxonomy(_products(tmp_path), _tree()).taxonomy
    resolver = AttributeResolver(tax)
    labels, unresolved = resolver.resolve(["Ideal For: WOMENS", "sleeve: half", "Sleeve: Cap Sleeve", "Size: L", "NA"])
    assert labels == {"ideal-for": ["ideal-for/women"], "sleeve": ["sleeve/half-sleeve"]}
    assert unresolved == [("", "NA", "not 'Key: Value'"), ("Sleeve", "Cap Sleeve", "not in taxonomy"),
                          ("Size", "L", "unknown facet")]  # fmt: skip
    assert resolver.resolve({"Ideal For": "Women, Men"})[0] == {"ideal-for": ["ideal-for/women", "ideal-for/men"]}


def test_a_facet_carried_with_a_value_the_taxonomy_lacks_is_listed_with_no_value(tmp_path: Path) -> None:
    tax = learn_taxonomy(_products(tmp_path), _tree()).taxonomy
    labels, unresolved = AttributeResolver(tax).resolve(["Sleeve: Cap Sleeve", "Ideal For: NA"])
    assert labels == {"sleeve": []}  # the placeholder says nothing: Ideal For is not carried
    assert unresolved == [("Sleeve", "Cap Sleeve", "not in taxonomy")]


def test_examples_carry_the_category_and_attribute_labels_together(tmp_path: Path) -> None:
    tax = learn_taxonomy(_products(tmp_path), _tree()).taxonomy
    source = _write(tmp_path / "examples.jsonl", [
        {"id": "a", "title": "Half sleeve tee", "gold_category": "Apparel > Tops > T-Shirts",
         "gold_attribute_tags": ["Sleeve: Half Sleeve", "Ideal For: Womens", "Style Code: X1"]},
        {"id": "b", "title": "Mug", "gold_attribute_tags": ["Material: Steel"]},
        {"id": "c", "title": "Unlabelled"},
    ])  # fmt: skip
    examples, errors = read_examples(source, tax, label_field="gold_category", attribute_field="gold_attribute_tags")
    assert [e.labels for e in examples] == [
        {"category": ["Apparel > Tops > T-Shirts"], "sleeve": ["sleeve/half-sleeve"], "ideal-for": ["ideal-for/women"]},
        {"material": ["material/steel"]},
    ]
    assert [e.message for e in errors] == [
        f"{source}:3: record 'c': no 'gold_category' field; a labelled example needs tags, so this record is left out "
        "of the index"
    ]
    plain, _ = read_examples(source, tax, label_field="gold_category")  # without attribute_field: as before
    assert [e.labels for e in plain] == [{"category": ["Apparel > Tops > T-Shirts"]}]


def test_cli_builds_a_taxonomy_and_shows_where_facets_apply(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tagllm.cli import app

    runner = CliRunner()
    tree = _write(tmp_path / "categories.jsonl", [{"path": p} for p in ["Apparel > Tops > T-Shirts", "Kitchen > Mugs"]])
    out = tmp_path / "shop.yaml"
    result = runner.invoke(app, ["taxonomy", "build", str(_products(tmp_path)), "-t", str(tree), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "14 of 14 record(s) carry attribute tags; 3 facet(s):",
        "  sleeve ('Sleeve', single-valued): 2 values from 8 products",
        "    Full Sleeve, Half Sleeve",
        "  ideal-for ('Ideal For', single-valued): 2 values from 8 products",
        "    Women, Men",
        "  material ('Material', single-valued): 2 values from 6 products",
        "    Ceramic, Steel",
        "left out, numbers or measurements: 1 key(s)",
        "  'Capacity' (6 products; e.g. '200 ml', '201 ml', '202 ml')",
        "14 of 14 record(s) have a category of the taxonomy",
        "  sleeve: applies to 3 categories in 1 subtree(s): Apparel",
        "  ideal-for: applies to 3 categories in 1 subtree(s): Apparel",
        "  material: applies to 2 categories in 1 subtree(s): Kitchen",
        f"{out}: 11 values in 4 facets (3 learned)",
    ]
    shown = runner.invoke(app, ["taxonomy", "show", "-t", str(out), "--facet", "material"])
    assert shown.stdout.splitlines() == [
        "material (single-valued, 2 values); applies to 2 categories: Kitchen",
        "  Ceramic [material/ceramic]",
        "  Steel [material/steel]",
    ]
    here = runner.invoke(app, ["taxonomy", "show", "-t", str(out), "--category", "Apparel > Tops > T-Shirts"])
    assert here.stdout.splitlines() == [
        "Apparel > Tops > T-Shirts [Apparel > Tops > T-Shirts]",
        "  sleeve (2 values, applies here)",
        "  ideal-for (2 values, applies here)",
    ]
    missing = runner.invoke(app, ["taxonomy", "show", "-t", str(out), "--category", "Garden"])
    assert (
        str(missing.exception)
        == f"taxonomy {tmp_path.name!r} has no category 'Garden' (give its id, path or unique name)"
    )
    demo = runner.invoke(app, ["taxonomy", "show", "-t", "demo", "--facet", "color"])
    assert demo.stdout.splitlines()[0] == "color (multi-valued, 14 values); applies everywhere"


def test_an_index_built_with_attribute_tags_tags_those_facets(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from tagllm.assembly import build_index
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger

    tax = learn_taxonomy(_products(tmp_path), _tree()).taxonomy
    index = build_index(
        _products(tmp_path), tax, embedder, tmp_path / "index", label_field="gold_category",
        attribute_field="gold_attribute_tags",
    )  # fmt: skip
    assert index.manifest["label_facets"] == ["category", "ideal-for", "material", "sleeve"]
    tagger = Tagger(tax, index=index, embedder=embedder, config=TaggerConfig())
    assert tagger.facets == ["category", "sleeve", "ideal-for", "material"]  # the taxonomy's order
    result = tagger.tag([{"id": "x", "title": "Cotton T-shirt 3"}])[0]
    assert result.best("category") is not None and result.best("category").id == "Apparel > Tops > T-Shirts"


def test_cli_index_build_reads_attribute_tags(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tagllm.cli import app

    taxonomy = save_own(learn_taxonomy(_products(tmp_path), _tree()).taxonomy, tmp_path / "shop.yaml")
    args = ["index", "build", str(_products(tmp_path)), "-i", str(tmp_path / "idx"), "-t", str(taxonomy)]
    result = CliRunner().invoke(
        app, [*args, "--label-field", "gold_category", "--attribute-field", "gold_attribute_tags"]
    )
    assert result.exit_code == 0, result.output
    version = load_taxonomy(taxonomy).version
    assert result.stdout.splitlines()[-1] == (
        f"{tmp_path / 'idx'}: 14 examples (flat search), facets category, ideal-for, material, sleeve, "
        f"taxonomy shop {version}, 0 record(s) skipped"
    )


def test_cli_build_keeps_a_rare_value_that_the_named_text_field_states(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tagllm.cli import app

    def mugs(material: str, n: int) -> list[dict[str, object]]:
        row = {"gold_category": "Kitchen > Mugs", "gold_attribute_tags": [f"Material: {material}"]}
        return [{"name": f"{material} mug {i}", **row} for i in range(n)]

    rows = mugs("Ceramic", 5) + mugs("Steel", 3) + mugs("Bamboo", 1)
    source = _write(tmp_path / "labelled.jsonl", rows)
    tree = _write(tmp_path / "categories.jsonl", [{"path": "Kitchen > Mugs"}])
    runner = CliRunner()

    def values(*flags: str) -> list[str]:
        out = tmp_path / "shop.yaml"
        built = runner.invoke(app, ["taxonomy", "build", str(source), "-t", str(tree), "-o", str(out), *flags])
        assert built.exit_code == 0, built.output
        shown = runner.invoke(app, ["taxonomy", "show", "-t", str(out), "--facet", "material"])
        return [line.strip().split(" [")[0] for line in shown.stdout.splitlines()[1:]]

    assert values("--text-field", "name") == ["Ceramic", "Steel", "Bamboo"]  # seen once, but its product's name says it
    assert values("--text-field", "") == ["Ceramic", "Steel"]  # no text: a value seen once is left out
    assert values() == ["Ceramic", "Steel"]  # the default field, 'title', is not in these records


def test_keys_with_no_word_are_no_facet() -> None:
    # " : Red" (a list item with a blank key), "-: Blue", "%%: Green" folded to one empty key, learned as a facet named
    # 'x' titled ' ' whose values came from all three
    rows = [["Color: Black", " : Red", "-: Blue", "%%: Green"], ["Color: White", " : Blue", "-: Red"]] * 4
    report = learn_attributes(rows)
    assert [(f.name, [v.name for v in f.values]) for f in report.facets] == [("color", ["Black", "White"])]
    assert report.unparseable[:4] == [" : Red", "-: Blue", "%%: Green", " : Blue"]


def test_the_summary_counts_every_item_not_of_the_form_key_value() -> None:
    # the summary said '20 item(s)' however many there were: it counted the examples it kept
    report = learn_attributes([["Color: Black", "junk", "more junk"]] * 15)
    assert report.summary()[-1] == "30 item(s) not of the form 'Key: Value', e.g. 'junk'"


def test_a_learned_facet_is_not_named_as_a_column_of_a_csv_output(tmp_path: Path) -> None:
    # a 'Status: New / Refurbished' key was learned as the facet 'status', which a CSV or Parquet output cannot hold
    # beside its own status column: it is 'status-attribute', as a 'Category' key is 'category-attribute'
    rows = [
        {"id": str(i), "title": f"Phone {i}", "gold_category": "Kitchen > Mugs",
         "gold_attribute_tags": [f"Status: {['New', 'Refurbished'][i % 2]}"]}
        for i in range(6)
    ]  # fmt: skip
    learned = learn_taxonomy(_write(tmp_path / "p.jsonl", rows), _tree())
    assert [(f.name, f.title) for f in learned.attributes.facets] == [("status-attribute", "Status")]  # type: ignore[union-attr]
    assert AttributeResolver(learned.taxonomy).resolve(["Status: New"])[0] == {
        "status-attribute": ["status-attribute/new"]
    }


def test_a_learned_facet_is_not_named_as_the_source_column_of_a_routed_runs_csv(tmp_path: Path) -> None:
    # a 'Source: Imported' key was learned as the facet 'source': `generate --route-threshold` writing CSV, whose rows
    # say in their source column which path tagged them, then refused the taxonomy before the first product
    rows = [
        {"id": str(i), "title": f"Mug {i}", "gold_category": "Kitchen > Mugs",
         "gold_attribute_tags": [f"Source: {['Imported', 'Local'][i % 2]}"]}
        for i in range(6)
    ]  # fmt: skip
    learned = learn_taxonomy(_write(tmp_path / "p.jsonl", rows), _tree())
    assert [(f.name, f.title) for f in learned.attributes.facets] == [("source-attribute", "Source")]  # type: ignore[union-attr]


def test_a_key_naming_a_facet_of_the_tree_is_read_as_that_facet_not_learned_again(tmp_path: Path) -> None:
    # built over a taxonomy that has a 'color' facet, 'Colour: …' tags were learned again as 'colour' ('Color: …' as
    # 'color-attribute'): a tag 'Color: x' then named two facets, resolved onto neither, and every example lost it
    rows = [
        {"id": str(i), "title": f"Tee {i}", "gold_category": "Apparel > Tops > T-Shirts",
         "gold_attribute_tags": [f"Colour: {['x', 'y'][i % 2]}", f"Fit: {['Slim', 'Regular'][i % 2]}"]}
        for i in range(6)
    ]  # fmt: skip
    learned = learn_taxonomy(_write(tmp_path / "p.jsonl", rows), _tree("color"))
    assert [f.name for f in learned.attributes.facets] == ["fit"]  # type: ignore[union-attr]
    assert [(i.key, i.reason) for i in learned.attributes.left_out] == [("Colour", "a facet of the taxonomy already")]  # type: ignore[union-attr]
    assert AttributeResolver(learned.taxonomy).resolve(["Color: x"])[0] == {"color": ["color/x"]}


def test_the_summary_says_when_no_record_has_the_attribute_field(tmp_path: Path) -> None:
    # tags kept under 'attributes' and built with the default --attribute-field: the summary read '0 of 6 record(s)
    # carry attribute tags; 0 facet(s):', as for products with no tags, and the taxonomy was written without a facet
    rows = [
        {"id": str(i), "title": f"Tee {i}", "gold_category": "Kitchen > Mugs", "attributes": [f"Fit: {i}"]}
        for i in range(6)
    ]
    learned = learn_taxonomy(_write(tmp_path / "p.jsonl", rows), _tree())
    assert learned.summary()[:2] == [
        "0 of 6 record(s) carry attribute tags; 0 facet(s):",
        "no record has the field 'gold_attribute_tags' (their fields: attributes, gold_category, id, title): "
        "no facet was learned; name the field that holds the tags",
    ]


def test_cli_build_refuses_a_taxonomy_its_file_could_not_load(tmp_path: Path) -> None:
    """A path list holding 'Apparel > ---' was extended and written, exit 0, into a YAML file that did not load (the
    own format refuses a name with no letters or digits); the build now stops before reading the products."""
    from typer.testing import CliRunner

    from tagllm.cli import app
    from tagllm.errors import TaxonomyError

    tree = tmp_path / "paths.txt"
    tree.write_text("Apparel\nApparel > Tops\nApparel > Tops > T-Shirts\nApparel > ---\nKitchen\nKitchen > Mugs\n")
    out = tmp_path / "shop.yaml"
    result = CliRunner().invoke(app, ["taxonomy", "build", str(_products(tmp_path)), "-t", str(tree), "-o", str(out)])
    assert isinstance(result.exception, TaxonomyError)  # exit 2 from `tagllm`
    assert str(result.exception) == (
        f"{tree}: 1 problem(s) the taxonomy file this writes would refuse to load, the first: value 'Apparel > ---' "
        "has no letters or digits in its name '---', so nothing but that exact string maps to it; fix them in "
        f"{tree} first (`tagllm taxonomy check -t {tree}` lists them); nothing was written"
    )
    assert result.stdout == "" and not out.exists()


def test_cli_build_refuses_a_taxonomy_its_own_format_cannot_write_before_reading_the_products(tmp_path: Path) -> None:
    """taxonomy build -t shopify read and learned from every product (11 s for 400), then stopped on 'facet
    'absorbent-hygiene-product-features' applies to categories that are not whole subtrees', which said neither that
    Shopify's taxonomy cannot be extended nor what to extend instead."""
    from typer.testing import CliRunner

    from tagllm.cli import app
    from tagllm.errors import TaxonomyError

    shop = tmp_path / "shop"
    shop.mkdir()
    _write(shop / "categories.jsonl", [
        {"id": "aa", "name": "Apparel", "path": "Apparel", "parent_id": None, "attribute_ids": [1]},
        {"id": "aa-1", "name": "Shirts", "path": "Apparel > Shirts", "parent_id": "aa", "attribute_ids": []},
    ])  # fmt: skip
    _write(shop / "attributes.jsonl", [
        {"id": 1, "name": "Color", "handle": "color", "values": ["Red"], "value_ids": ["1"], "value_handles": ["red"]}
    ])  # fmt: skip
    missing = tmp_path / "not-read.jsonl"  # the products are not read: a file that is not there is not said
    result = CliRunner().invoke(
        app, ["taxonomy", "build", str(missing), "-t", str(shop), "-o", str(tmp_path / "o.yaml")]
    )
    assert isinstance(result.exception, TaxonomyError)  # main() prints it and exits 2
    assert str(result.exception) == (
        f"taxonomy 'shopify' ({shop}): facet 'color' applies to categories that are not whole subtrees (as Shopify "
        "lists attributes on each category), which the own format's applies_to cannot say, so a taxonomy built from "
        "it cannot be written; extend a category tree instead (-t categories.jsonl, a list of paths, or a taxonomy "
        "of the own format)"
    )
    assert result.stdout == ""


def test_the_build_summary_counts_the_skipped_records_it_does_not_list(tmp_path: Path) -> None:
    """15 records not valid JSON among 400: the summary listed 10 and said nothing of the other 5 ('400 of 400
    record(s) carry attribute tags'), which were left out of the learning unnamed and uncounted."""
    source = _products(tmp_path)
    lines = source.read_text().splitlines()
    broken = ['{"id": "bad", "title": "Broken row",'] * 15
    source.write_text("\n".join(lines[:4] + broken + lines[4:]) + "\n")
    summary = learn_taxonomy(source, _tree()).summary()
    skipped = [line for line in summary if line.startswith("skipped: ")]
    assert len(skipped) == 11
    assert skipped[0].startswith(f"skipped: {source}:5: not valid JSON")
    assert skipped[10] == "skipped: … and 5 more (not listed: fix these and run again)"


def test_a_build_extending_learned_facets_names_the_values_they_lack(tmp_path: Path) -> None:
    """Built again from new products on a taxonomy it had built, a key that is a facet already was left out whole,
    its values the facet lacks with it (fashion: Teal on 4 products, Grey Melange, Skin, Turquoise Blue on 2 each…),
    and the summary said only "'Colour' (400 products; …)" under "a facet of the taxonomy already"."""
    first = learn_taxonomy(_products(tmp_path), _tree()).taxonomy
    rows = [
        {"id": f"n{i}", "title": f"Mug {i}", "gold_category": "Kitchen > Mugs",
         "gold_attribute_tags": [f"Material: {['Glass', 'Ceramic', 'Glass', 'Bamboo'][i]}"]}
        for i in range(4)
    ]  # fmt: skip
    again = learn_taxonomy(_write(tmp_path / "more.jsonl", rows), first)
    summary = again.summary()
    assert "values the taxonomy's facets lack, left out: 2 value(s) on 3 product(s)" in summary
    assert "  material: 'Glass' (2), 'Bamboo' (1)" in summary
    plain = learn_taxonomy(_products(tmp_path), _tree()).summary()  # its own rare values are said as before
    assert not any(line.startswith("values the taxonomy's facets lack") for line in plain)


def _mugs_and_socks(tmp_path: Path, mugs: int, socks: int, tees: int = 0) -> Path:
    rows = [
        {"id": f"n{i}", "title": f"Item {i}", "gold_category": "Kitchen > Mugs" if i < mugs else "Apparel > Socks",
         "gold_attribute_tags": [f"Material: {['Steel', 'Ceramic'][i < mugs]}"]}
        for i in range(mugs + socks)
    ] + [
        {"id": f"t{i}", "title": f"Tee {i}", "gold_category": "Apparel > Tops > T-Shirts",
         "gold_attribute_tags": ["Sleeve: Half Sleeve"]}
        for i in range(tees)
    ]  # fmt: skip
    return _write(tmp_path / "new.jsonl", rows)


def test_a_second_build_keeps_a_learned_facets_scope_and_widens_it_by_the_new_records(tmp_path: Path) -> None:
    # extended with four mugs, all carrying material, material (learned on Kitchen) applied everywhere: its scope was
    # learned again from the new batch alone, and the products it had been learned from no longer counted
    base = load_taxonomy(str(save_own(learn_taxonomy(_products(tmp_path), _tree()).taxonomy, tmp_path / "shop.yaml")))
    assert base.scope_roots("material") == ["Kitchen"]
    mugs = learn_taxonomy(_mugs_and_socks(tmp_path, 4, 0), base)
    assert mugs.taxonomy.scope_roots("material") == ["Kitchen"]
    assert mugs.summary()[-1] == "  material: applies to 3 categories in 1 subtree(s): Kitchen"
    socks = learn_taxonomy(_mugs_and_socks(tmp_path, 1, 3, tees=10), base)
    assert [base.path_of(r) for r in socks.taxonomy.scope_roots("material") or []] == ["Kitchen", "Apparel > Socks"]
    widened = "Kitchen; Apparel > Socks (kept its 3 from before, widened)"
    assert f"  material: applies to 4 categories in 2 subtree(s): {widened}" in socks.summary()


def test_a_build_that_scopes_a_facet_the_tree_applied_everywhere_says_so(tmp_path: Path) -> None:
    # the summary read as for a facet learned here: that the build narrowed a facet of the tree went unsaid
    rows = [
        {"id": str(i), "title": f"Mug {i}", "gold_category": "Kitchen > Mugs", "gold_attribute_tags": ["Color: x"]}
        for i in range(4)
    ] + [
        {"id": f"s{i}", "title": f"Sock {i}", "gold_category": "Apparel > Socks", "gold_attribute_tags": ["Sleeve: x"]}
        for i in range(2)
    ]
    learned = learn_taxonomy(_write(tmp_path / "p.jsonl", rows), _tree("color", "sleeve"))
    assert learned.taxonomy.scope_roots("color") == ["Kitchen"]
    assert "  color: applies to 3 categories in 1 subtree(s): Kitchen (was everywhere)" in learned.summary()


def test_taxonomy_build_shows_its_stages_on_a_terminal(tmp_path: Path, on_a_terminal: Callable[[str], None]) -> None:
    """`taxonomy build` of a large catalogue printed nothing on a terminal until its summary, however long it read
    and learned (a progress line was shown by index build, not by this)."""
    from typer.testing import CliRunner

    from tagllm.cli import app

    tree = _write(tmp_path / "categories.jsonl", [{"path": p} for p in ["Apparel > Tops > T-Shirts", "Kitchen > Mugs"]])
    build = ["taxonomy", "build", str(_products(tmp_path)), "-t", str(tree), "-o", str(tmp_path / "shop.yaml")]
    on_a_terminal("tagllm.cli.taxonomy")
    built = CliRunner().invoke(app, build)
    assert built.exit_code == 0, built.output
    shown = [line.split("\r")[-1].rstrip() for line in built.stderr.split("\n")]
    assert shown[:2] == ["loading the taxonomy", "reading the examples 14"]
    assert shown[2:] == [
        "learning facets from the attribute tags",
        "reading the labels 14/14",
        "learning where each facet applies",
        "",
    ]


def test_taxonomy_build_takes_the_input_format_its_error_asks_for(tmp_path: Path) -> None:
    """Examples named products.txt stopped with "cannot tell the format from the extension; pass --input-format",
    and `taxonomy build` had no such option: "No such option: --input-format"."""
    from typer.testing import CliRunner

    from tagllm.cli import app
    from tagllm.errors import InputError

    examples = tmp_path / "products.txt"
    examples.write_text(_products(tmp_path).read_text())
    tree = _write(tmp_path / "categories.jsonl", [{"path": p} for p in ["Apparel > Tops > T-Shirts", "Kitchen > Mugs"]])
    build = ["taxonomy", "build", str(examples), "-t", str(tree), "-o", str(tmp_path / "shop.yaml")]
    asked = CliRunner().invoke(app, build)
    assert isinstance(asked.exception, InputError)
    assert str(asked.exception) == (
        f"{examples}: cannot tell the format from the extension; pass --input-format (jsonl, csv, parquet)"
    )
    built = CliRunner().invoke(app, [*build, "--input-format", "jsonl"])
    assert built.exit_code == 0, built.output
    assert list(load_taxonomy(tmp_path / "shop.yaml").facets) == ["category", "sleeve", "ideal-for", "material"]


def test_taxonomy_build_counts_the_records_it_skipped_and_exits_1(tmp_path: Path) -> None:
    """A record not valid JSON was named in the summary and the build exited 0, as if every record had been learned
    from, where `index build` of the same file counts it and exits 1."""
    from typer.testing import CliRunner

    from tagllm.cli import app

    source = _products(tmp_path)
    lines = source.read_text().splitlines()
    source.write_text("\n".join([*lines[:4], '{"id": "bad", "title": "Broken row",', *lines[4:]]) + "\n")
    tree = _write(tmp_path / "categories.jsonl", [{"path": p} for p in ["Apparel > Tops > T-Shirts", "Kitchen > Mugs"]])
    out = tmp_path / "shop.yaml"
    result = CliRunner().invoke(app, ["taxonomy", "build", str(source), "-t", str(tree), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == f"{out}: 11 values in 4 facets (3 learned), 1 record(s) skipped"
    assert load_taxonomy(out).version == learn_taxonomy(source, load_taxonomy(tree)).taxonomy.version  # written


@pytest.mark.parametrize("option", [["--min-products", "-3"], ["--min-value-count", "0"], ["--scope-support", "-1"]])
def test_taxonomy_build_refuses_a_count_below_one(tmp_path: Path, option: list[str]) -> None:
    """A count below one ran with exit 0 and meant nothing the help says (every key a facet, every value kept)."""
    from typer.testing import CliRunner

    from tagllm.cli import app

    tree = _write(tmp_path / "categories.jsonl", [{"path": p} for p in ["Apparel > Tops > T-Shirts", "Kitchen > Mugs"]])
    build = ["taxonomy", "build", str(_products(tmp_path)), "-t", str(tree), "-o", str(tmp_path / "shop.yaml")]
    refused = CliRunner().invoke(app, [*build, *option])
    assert refused.exit_code == 2 and option[0] in refused.output
    assert not (tmp_path / "shop.yaml").exists()


def test_taxonomy_show_refuses_a_depth_below_one() -> None:
    """`--depth 0` printed the facet's heading alone, with no word of why."""
    from typer.testing import CliRunner

    from tagllm.cli import app

    shown = CliRunner().invoke(app, ["taxonomy", "show", "-t", "demo", "--depth", "0"])
    assert shown.exit_code == 2 and "--depth" in shown.output


def test_a_clothing_size_counted_in_xs_is_a_value_not_a_code() -> None:
    # "3XL" and "2XS" were left out as "codes or model numbers" beside XL and XXL: a product of size 3XL had no size
    sizes = ["S", "M", "L", "XL", "XXL", "3XL", "4XL", "2XS", "5 XL"]
    report = learn_attributes([[f"Size: {size}", "Style Code: AB1001X"] for size in sizes for _ in range(2)])
    [size] = report.facets
    assert sorted(v.name for v in size.values) == sorted(sizes) and size.odd_values == 0
    assert {item.key: item.reason for item in report.left_out} == {"Style Code": "codes or model numbers"}


def test_a_build_names_a_record_with_only_blank_category_tags_without_an_index(tmp_path: Path) -> None:
    """learn_taxonomy builds no index, yet said such a record "is left out of the index" beside its own "(its
    attribute tags are learned from…)"."""
    source = _products(tmp_path)
    with source.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "blank", "title": "Tee", "gold_category": ["", " "],
                            "gold_attribute_tags": ["Sleeve: Half Sleeve"]}) + "\n")  # fmt: skip
    learned = learn_taxonomy(source, _tree())
    said = [m for m in learned.bad_categories if "no tag" in m]
    assert len(said) == 1 and said[0].endswith("no tag in 'gold_category'; this record counts for no category")
