"""Taxonomy loaders (own YAML, Shopify, Google, path lists), hierarchy helpers, version hash, checks, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.errors import TaxonomyError
from tagllm.taxonomy import from_paths, load_taxonomy, save_own

REPO = Path(__file__).resolve().parents[1]


def test_demo_taxonomy_is_bilingual_with_analyst_synonyms(demo_taxonomy) -> None:  # type: ignore[no-untyped-def]
    assert list(demo_taxonomy.facets) == ["category", "color", "material", "audience"]
    dresses = demo_taxonomy["apparel-dresses"]
    assert (dresses.path, dresses.label("zh-CN")) == ("Apparel > Dresses", "连衣裙")
    assert "tshirt" in demo_taxonomy["apparel-tshirts"].synonyms  # from taxonomy/demo-synonyms.yaml
    assert demo_taxonomy.lineage("apparel-tshirts") == ["apparel", "apparel-tops", "apparel-tshirts"]
    assert demo_taxonomy.check() == []


def test_shopify_categories_and_attributes_share_ids_across_languages() -> None:
    tax = load_taxonomy("shopify")
    assert len(tax.facet_values("category")) == 10595
    assert sum(len(tax.facet_values(f)) for f in tax.facets if f != "category") == 20635
    assert tax["aa-1-1"].path == "Apparel & Accessories > Clothing > Activewear"
    assert tax["aa-1-1"].label("zh-CN") == "运动服装"
    black = next(v for v in tax.facet_values("color") if v.name == "Black")
    assert black.label("zh-CN") == "黑色"  # the zh-CN file lists values in another order: matched by id


def test_shopify_colours_translated_in_the_wine_sense_read_as_colours() -> None:
    """Shopify's zh-CN file labels the colours Blue, Red and Orange 蓝酒, 红酒, 橙酒 (its one translation of each
    English name is the wine variety's): `taxonomy map -f color 蓝色` was rejected and 蓝酒 mapped to Blue."""
    tax = load_taxonomy("shopify")

    def zh(facet: str, name: str) -> str | None:
        return next(v for v in tax.facet_values(facet) if v.name == name).label("zh-CN")

    assert [zh("color", n) for n in ("Blue", "Red", "Orange")] == ["蓝色", "红色", "橙色"]
    assert zh("hair-color-shade", "Red") == "红色"
    assert [zh("wine-variety", n) for n in ("Blue", "Red", "Orange")] == ["蓝酒", "红酒", "橙酒"]  # right there
    assert zh("baby-food-flavor", "Orange") is None  # an orange flavour is no wine, and no colour word either
    assert zh("color", "Black") == "黑色"  # the other labels as Shopify wrote them


def test_google_and_path_list_loaders(tmp_path: Path) -> None:
    google = tmp_path / "taxonomy-with-ids.en-US.txt"
    google.write_text("# Google_Product_Taxonomy_Version: 2021-09-21\n1 - Animals\n3237 - Animals > Live Animals\n")
    tax = load_taxonomy(google)
    assert tax["3237"].parent_id == "1" and tax["3237"].path == "Animals > Live Animals"
    paths = tmp_path / "categories.txt"
    paths.write_text("Shoes > Running\nShoes > Boots\n")
    tax = load_taxonomy(paths)
    assert sorted(tax.values) == ["Shoes", "Shoes > Boots", "Shoes > Running"]
    flipkart = load_taxonomy(REPO / "eval/data/flipkart/categories.jsonl")
    assert flipkart["fk-00001"].path == "Automation & Robotics > Smart Door Locks"


def test_version_changes_with_content_only() -> None:
    a = from_paths(["A > B", "A > C"])
    assert a.version == from_paths(["A > B", "A > C"]).version
    assert a.version != from_paths(["A > B", "A > D"]).version


def test_unknown_keys_and_unknown_names_fail_with_what_to_do(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("name: t\nfacets:\n  - name: color\n    valuez: []\n")
    with pytest.raises(TaxonomyError, match=r"facets\.0\.valuez \(facet 'color'\): Extra inputs are not permitted"):
        load_taxonomy(bad)
    with pytest.raises(TaxonomyError, match="unknown taxonomy 'nope'"):
        load_taxonomy("nope")
    with pytest.raises(TaxonomyError, match="has no facet 'size'; its facets are: category, color, material, audience"):
        load_taxonomy("demo").facet_values("size")


def test_a_facet_a_large_taxonomy_lacks_is_named_with_the_closest_facets_not_all_of_them() -> None:
    # -f colour with Shopify's taxonomy printed every one of its facets, a page of names the right one was lost in
    tax = load_taxonomy("shopify")
    said = (
        f"taxonomy 'shopify' has no facet 'colour'; did you mean 'color'? (it has {len(tax.facets):,} facets: "
        "`tagllm taxonomy show` prints them)"
    )
    with pytest.raises(TaxonomyError) as error:
        tax.facet_values("colour")
    assert str(error.value) == said
    from tagllm.mapping import Mapper

    with pytest.raises(TaxonomyError) as mapped:
        Mapper(tax).map_one("Red", facet="colour")
    assert str(mapped.value) == said


def test_shopify_facets_apply_to_the_categories_that_list_them() -> None:
    tax = load_taxonomy("shopify")
    clothing = tax["aa-1"]  # Apparel & Accessories > Clothing lists color, fabric, pattern, target gender
    assert {"color", "fabric", "pattern", "target-gender"} <= set(tax.facets_for(clothing.id))
    skillets = next(v for v in tax.facet_values("category") if v.name == "Skillets")
    assert tax.applies("color", skillets.id)
    assert not tax.applies("sleeve-length-type", skillets.id)
    assert tax.applies("sleeve-length-type", next(v.id for v in tax.facet_values("category") if v.name == "T-Shirts"))
    assert not tax.applies("color", None)  # an unknown category gets only the facets that apply everywhere


def test_own_format_scopes_a_facet_to_subtrees(tmp_path: Path) -> None:
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n"
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel, children: [{id: a1, name: Shirts}]},"
        " {id: k, name: Kitchen}]}\n"
        "  - {name: sleeve, applies_to: [a], values: [{id: s1, name: Long Sleeve}]}\n"
        "  - {name: color, values: [{id: c1, name: Red}]}\n"
    )
    tax = load_taxonomy(spec)
    assert tax.categories_of("sleeve") == {"a", "a1"}
    assert tax.facets_for("a1") == ["sleeve", "color"]
    assert tax.facets_for("k") == ["color"]
    assert tax.categories_of("color") is None
    unscoped = tax.with_scopes({"sleeve": None})
    assert unscoped.facets_for("k") == ["sleeve", "color"] and unscoped.version != tax.version
    assert tax.categories_of("sleeve") == {"a", "a1"}  # the cached taxonomy is left as it was


def test_a_facet_scoped_to_an_unknown_category_names_it(tmp_path: Path) -> None:
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n"
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel}]}\n"
        "  - {name: sleeve, applies_to: [apparel], values: [{id: s1, name: Long Sleeve}]}\n"
    )
    with pytest.raises(TaxonomyError, match="facet 'sleeve' applies_to 'apparel': not category ids"):
        load_taxonomy(spec)


def test_a_facet_that_applies_to_no_category_is_refused_naming_it(tmp_path: Path) -> None:
    # `applies_to: []` loaded, `taxonomy check` found no problem, and `generate -f color` gave no product a colour
    # (3 of 3 'ok' with none, where demo.yaml without it gives 2 of them one), exit 0
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel}]}\n"
        "  - {name: color, applies_to: [], values: [{id: red, name: Red}]}\n",
    )
    assert error == (
        f"{spec}: facet 'color' applies_to lists no category, so no product can be tagged in it; list the ids of "
        "the categories whose subtrees it applies to, or leave applies_to out for every category"
    )


def test_a_facet_with_an_empty_name_is_refused_naming_the_file_and_facet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # it loaded: results had tags under the key '' and a CSV output the columns '' and '_id'
    from tagllm.cli import main

    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n"
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel}]}\n"
        "  - {name: '  ', values: [{id: red, name: Red}, {id: blue, name: Blue}]}\n"
    )
    monkeypatch.setattr("sys.argv", ["tagllm", "taxonomy", "check", "-t", str(spec)])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        f"error: {spec}: facet 2 (values 'red', 'blue') has an empty name '  '; give it one: it is the facet's tag "
        "key in results and its column in CSV\n"
    )


def test_a_facet_with_no_values_is_refused_naming_it(tmp_path: Path) -> None:
    # it loaded, and `tagllm generate -f style` tagged every product 'ok' with no style tag, exit 0: nothing said that
    # the facet (its values left under another key, or not written yet) could never hold one
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel}]}\n  - {name: style, values: []}\n",
    )
    assert error == (
        f"{spec}: facet 'style' has no values, so no product can be tagged in it; give it values "
        "({id: …, name: …}) or remove the facet"
    )


@pytest.mark.parametrize("blank", ["''", "'  '"])
def test_a_value_with_a_blank_id_is_refused_naming_it(tmp_path: Path, blank: str) -> None:
    # it loaded and was tagged: a CSV row had 'Teal' under color and nothing under color_id, as if untagged, and
    # `taxonomy map Teal` counted it among the strings not mapped
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel}]}\n"
        f"  - {{name: color, values: [{{id: red, name: Red}}, {{id: {blank}, name: Teal}}]}}\n",
    )
    assert error == (
        f"{spec}: facet 'color': value 'Teal' has an empty id {blank}; give it a stable id: results, examples' labels "
        "and indexes name a value by it"
    )


def test_a_name_or_id_yaml_reads_as_a_number_or_null_names_the_value_and_says_to_quote_it(tmp_path: Path) -> None:
    # sizes written as numbers (name: 42), 'No' read as false and a name left empty were refused with only their
    # place ("facets.1.values.0.name: Input should be a valid string"): the analyst had to count list items
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: A, children: [{id: 7, name: Seven}]}]}\n"
        "  - {name: size, values: [{id: size-42, name: 42}, {id: size-s, name: S}, {id: size-x, name: null}]}\n"
        "  - {name: hood, values: [{id: hood-no, name: No}]}\n",
    )
    assert error == (
        f"{spec}: not a valid taxonomy file:\n"
        "  facets.0.values.0.children.0.id (facet 'category', value named 'Seven'): Input should be a valid string; "
        "7 is a number here, not text: quote it ('7') so it keeps its spelling\n"
        "  facets.1.values.0.name (facet 'size', value 'size-42'): Input should be a valid string; 42 is a number "
        "here, not text: quote it ('42') so it keeps its spelling\n"
        "  facets.1.values.2.name (facet 'size', value 'size-x'): Input should be a valid string; it is empty (null): "
        "give it one\n"
        "  facets.2.values.0.name (facet 'hood', value 'hood-no'): Input should be a valid string; it was read as "
        "False (YAML reads yes/no, on/off and true/false so): quote it"
    )


def test_values_sharing_a_name_under_one_parent_are_refused_naming_both(tmp_path: Path) -> None:
    # they loaded (only `taxonomy check` named them): 'Red cotton T-shirt for men' stated Red, its evidence was split
    # between the two values (0.45 each, against 0.95 for one) and the product came out with no colour at all, exit 0
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel, children: [{id: a1, name: Tops},"
        " {id: a2, name: tops}]}, {id: k, name: Kitchen, children: [{id: k1, name: Tops}]}]}\n"
        "  - {name: color, values: [{id: red, name: Red}, {id: blue, name: Blue}, {id: red2, name: ' RED'}]}\n",
    )
    assert error == (
        f"{spec}: values that share a name where the mapper cannot tell them apart: facet 'category': 'a1' and 'a2' "
        "('tops' under 'a'); facet 'color': 'red' and 'red2' (' RED' at the top of the facet). A product naming one "
        "has its evidence split between them and may get neither: rename one, or make it a synonym of the other"
    )


@pytest.mark.parametrize("name", ["''", "'  '", "'---'", "'()'", "'…'"])
def test_a_value_whose_name_has_no_letters_or_digits_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    # it loaded and `taxonomy check` said 0 problems ('---', '()', '…'): the mapper compares normalised names, so a
    # product saying '--- cotton T-shirt' got no color tag and only the exact string '---' mapped to it
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel}]}\n"
        f"  - {{name: color, values: [{{id: red, name: Red}}, {{id: dashes, name: {name}}}]}}\n",
    )
    assert error == (
        f"{spec}: facet 'color': value 'dashes' has no letters or digits in its name {name}, so nothing but that "
        "exact string maps to it; give it the name products state it by"
    )


def test_a_value_whose_name_has_no_letters_or_digits_stops_the_cli_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tagllm.cli import main

    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n"
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel, children: [{id: b, name: '()'}]}]}\n"
    )
    monkeypatch.setattr("sys.argv", ["tagllm", "taxonomy", "check", "-t", str(spec)])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        f"error: {spec}: facet 'category': value 'b' has no letters or digits in its name '()', so nothing but that "
        "exact string maps to it; give it the name products state it by\n"
    )


def test_check_reports_a_category_whose_name_has_no_letters_or_digits() -> None:
    # a path list (or Shopify or Google taxonomy) with 'Apparel > ---' loaded and `taxonomy check` said 0 problems
    taxonomy = from_paths(["Apparel > T-Shirts", "Apparel > ---"])
    assert taxonomy.check() == [
        "value 'Apparel > ---' has no letters or digits in its name '---', so nothing but that exact string maps to it"
    ]


def test_a_parent_cycle_is_refused_when_the_taxonomy_loads(tmp_path: Path) -> None:
    # a value whose parents lead back to it loaded, 'taxonomy check' listed it, and 'tagllm generate' hung for ever
    # before its first product, walking up from it to a root that never came
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: A, parent: b}, {id: b, name: B, parent: a},"
        " {id: c, name: C}]}\n",
    )
    # the message named no file: a user checking several taxonomies could not tell which one held the loop
    assert error == (
        f"{spec} (taxonomy 't'): the parents of value 'a' lead back to it ('a' -> 'b' -> 'a'); a value's parent must "
        "lie above it: fix one of these parents"
    )
    spec.write_text("name: t\nfacets:\n  - {name: category, hierarchical: true, values: [{id: a, name: A, parent: a}]}")
    with pytest.raises(TaxonomyError, match=r"the parents of value 'a' lead back to it \('a' -> 'a'\)"):
        load_taxonomy(spec)


def test_a_value_declared_before_its_parent_has_the_parent_in_its_path(tmp_path: Path) -> None:
    # a flat list whose child came before its parent (parent: names a value further down) gave the child the path
    # 'Shirts', not 'Apparel > Shirts', in every tag of it, CSV cell and embedded label, while its ancestor was Apparel
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n"
        "  - {name: category, hierarchical: true, values: [{id: a1, name: Shirts, parent: a}, {id: a, name: Apparel},"
        " {id: k, name: Kitchen, children: [{id: k1, name: Pans, parent: a}]}]}\n"
    )
    tax = load_taxonomy(spec)
    assert [tax.path_of(v) for v in ("a1", "a", "k", "k1")] == [
        "Apparel > Shirts",
        "Apparel",
        "Kitchen",
        "Apparel > Pans",
    ]
    assert tax.lineage("k1") == ["a", "k1"]


def test_check_reports_children_in_a_facet_not_declared_hierarchical(tmp_path: Path) -> None:
    # a facet whose values were nested under others without 'hierarchical: true' loaded with 0 problems, and a product
    # tagged with a child was not tagged with its parent, nor given its path: nothing said the tree was not read
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n"
        "  - {name: color, values: [{id: blue, name: Blue, children: [{id: navy, name: Navy}, {id: sky, name: Sky}]},"
        " {id: red, name: Red}]}\n"
    )
    assert load_taxonomy(spec).check() == [
        "facet 'color' is not hierarchical, yet 2 of its values have a parent (first: 'navy' under 'blue'): a product "
        "tagged with one is not tagged with its parent; add hierarchical: true to the facet, or list its values flat"
    ]


def test_a_repeated_value_id_is_refused_naming_both_places(tmp_path: Path) -> None:
    # "value id 'a' appears twice" named neither facet nor value: in a long file the user had to search for both
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel}, {id: b, name: Bags, children:"
        " [{id: a, name: Backpacks}]}]}\n",
    )
    assert error == (
        f"{spec}: value id 'a' appears twice (facet 'category', value 'Apparel'; and facet 'category', value "
        "'Backpacks' under 'b'); ids must be unique: give one another id"
    )
    spec, error = _refused(
        tmp_path,
        "  - {name: category, values: [{id: a, name: Apparel}]}\n  - {name: color, values: [{id: a, name: Red}]}\n",
    )
    assert error == (
        f"{spec}: value id 'a' appears twice (facet 'category', value 'Apparel'; and facet 'color', value 'Red'); ids "
        "must be unique: give one another id"
    )


def _refused(tmp_path: Path, facets: str) -> tuple[Path, str]:
    """The path of a taxonomy file of these facets (YAML lines under ``facets:``) and the message refusing it."""
    spec = tmp_path / "t.yaml"
    spec.write_text("name: t\nfacets:\n" + facets)
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(spec)
    return spec, str(error.value)


def test_taxonomy_show_refuses_a_language_the_taxonomy_has_no_labels_in_and_names_those_it_has() -> None:
    """`taxonomy show -t shopify --language zh` printed the tree without a Chinese label, as if Shopify had none (its
    labels are 'zh-CN')."""
    from typer.testing import CliRunner

    from tagllm.cli import app
    from tagllm.errors import InputError

    result = CliRunner().invoke(app, ["taxonomy", "show", "-t", "shopify", "--facet", "color", "--language", "zh"])
    assert isinstance(result.exception, InputError)  # main() prints it and exits 2
    assert str(result.exception) == (
        "--language 'zh': taxonomy 'shopify' has no labels in it; its languages are en, zh-CN"
    )
    shown = CliRunner().invoke(app, ["taxonomy", "show", "-t", "shopify", "--facet", "color", "--language", "zh-CN"])
    assert shown.exit_code == 0 and "Black [1] / 黑色" in shown.stdout


def test_a_taxonomy_with_no_facets_is_refused(tmp_path: Path) -> None:
    # it loaded, and `tagllm generate` tagged every product 'ok' with no tag at all, exit 0
    spec = tmp_path / "t.yaml"
    spec.write_text("name: t\nfacets: []\n")
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(spec)
    assert str(error.value) == (
        f"{spec}: lists no facets, so no product can be tagged; give it facets under facets: (a category tree with "
        "hierarchical: true, flat facets such as color)"
    )


def test_a_parent_in_another_facet_is_refused_naming_it_and_applies_to(tmp_path: Path) -> None:
    # it loaded with the category among Red's ancestors, and `taxonomy build` wrote a taxonomy without Red
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: dresses, name: Dresses}, {id: mugs, name: Mugs}]}\n"
        "  - {name: color, values: [{id: red, name: Red, parent: dresses}, {id: blue, name: Blue}]}\n",
    )
    assert error == (
        f"{spec}: facet 'color': value 'red' has parent 'dresses', a value of facet 'category'; a parent is a value "
        "of the same facet: to have facet 'color' apply to 'dresses' and below only, list 'dresses' in its applies_to"
    )


def test_a_directory_holding_a_path_list_as_categories_jsonl_is_a_taxonomy(tmp_path: Path) -> None:
    # it was told to be a path list, then read as a file: "eval/data/flipkart: cannot read: Is a directory"
    from typer.testing import CliRunner

    from tagllm.cli import app

    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "categories.jsonl").write_text(
        '{"id": "c1", "path": "Home > Mugs"}\n{"id": "c2", "path": "Home > Lamps"}\n'
    )
    tax = load_taxonomy(folder)
    assert (tax.name, tax["c1"].path, sorted(tax.values)) == ("shop", "Home > Mugs", ["Home", "c1", "c2"])
    shown = CliRunner().invoke(app, ["taxonomy", "show", "-t", str(folder)])
    assert shown.exit_code == 0 and shown.stdout == (
        "category (hierarchical, 3 values)\n  Home [Home]\n    Mugs [c1]\n    Lamps [c2]\n"
    )


def test_a_taxonomy_is_loaded_again_when_a_file_it_was_read_from_changes(tmp_path: Path) -> None:
    # in a notebook, a synonym file or a directory's categories.jsonl edited after a first load was not read: the
    # cache was keyed by the taxonomy file's (or directory's) own modification time
    (tmp_path / "syn.yaml").write_text("red: [scarlet]\n")
    spec = tmp_path / "t.yaml"
    spec.write_text("name: t\nsynonym_files: [syn.yaml]\nfacets:\n  - {name: color, values: [{id: red, name: Red}]}\n")
    before = load_taxonomy(spec)
    assert load_taxonomy(spec) is before  # unchanged: not read again
    (tmp_path / "syn.yaml").write_text("red: [scarlet, crimson]\n")
    after = load_taxonomy(spec)
    assert after["red"].synonyms == ("scarlet", "crimson") and after.version != before.version
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "categories.jsonl").write_text('{"path": "Home > Mugs"}\n')
    assert len(load_taxonomy(folder, format="paths")) == 2
    (folder / "categories.jsonl").write_text('{"path": "Home > Mugs"}\n{"path": "Home > Lamps"}\n')
    assert sorted(load_taxonomy(folder, format="paths").values) == ["Home", "Home > Lamps", "Home > Mugs"]


def test_check_reports_a_synonym_two_values_share_or_another_value_is_named(tmp_path: Path) -> None:
    # 'dark blue' on Navy and on Ink: the mapper gave neither ("ambiguous"), and `taxonomy check` said 0 problems
    from typer.testing import CliRunner

    from tagllm.cli import app

    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n  - name: color\n    values:\n"
        "      - {id: red, name: Red, synonyms: [Blue, scarlet]}\n      - {id: blue, name: Blue}\n"
        "      - {id: navy, name: Navy, synonyms: [dark blue]}\n      - {id: ink, name: Ink, synonyms: [Dark Blue]}\n"
    )
    result = CliRunner().invoke(app, ["taxonomy", "check", "-t", str(spec)])
    assert result.exit_code == 1
    assert result.stdout == (
        "facet 'color': synonym 'Blue' of 'red' is the name of 'blue', which the mapper gives it: it maps nothing "
        "to 'red'\n"
        "facet 'color': values 'navy' and 'ink' share the synonym 'Dark Blue' under the same parent; the mapper "
        "cannot tell which a product stating it means, and gives neither\n"
        "t: 4 values in 1 facets, 2 problem(s)\n"
    )
    assert load_taxonomy(spec).check(synonyms=False) == []  # it loads, and a build may extend it


def test_check_reports_an_empty_synonym_in_the_file_or_a_synonym_file(tmp_path: Path) -> None:
    # an empty synonym loaded without a word: two were reported as "share the synonym '  '", and one alone made an
    # attribute label of no letters ("Color: -") in examples or gold read as that value
    from typer.testing import CliRunner

    from tagllm.attributes import AttributeResolver
    from tagllm.cli import app

    (tmp_path / "syn.yaml").write_text("green: ['-']\n")
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nsynonym_files: [syn.yaml]\nfacets:\n  - name: color\n    values:\n"
        "      - {id: navy, name: Navy, synonyms: ['', dark blue]}\n      - {id: red, name: Red, synonyms: ['  ']}\n"
        "      - {id: green, name: Green}\n"
    )
    result = CliRunner().invoke(app, ["taxonomy", "check", "-t", str(spec)])
    assert result.exit_code == 1
    said = "with no letters or digits: it names nothing; remove it"
    empty = [("navy", ""), ("red", "  "), ("green", "-")]
    problems = "".join(f"facet 'color': value {value!r} has the synonym {text!r}, {said}\n" for value, text in empty)
    assert result.stdout == problems + "t: 3 values in 1 facets, 3 problem(s)\n"
    resolver = AttributeResolver(load_taxonomy(spec))
    assert [resolver.value("color", text) for text in ("-", "", "dark blue")] == [
        ([], ["-"]),
        ([], [""]),
        (["navy"], []),
    ]


def test_one_empty_synonym_alone_gives_its_value_to_no_label_of_no_letters(tmp_path: Path) -> None:
    # keyed as '', one empty synonym read every attribute label of no letters ("Color: -", "Color: ") as its value;
    # two or more were keyed alike and cancelled out, so the test above cannot show it
    from tagllm.attributes import AttributeResolver

    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n  - name: color\n    values:\n"
        "      - {id: navy, name: Navy, synonyms: ['-']}\n      - {id: red, name: Red}\n"
    )
    resolver = AttributeResolver(load_taxonomy(spec))
    assert [resolver.value("color", text) for text in ("-", "", "Navy")] == [([], ["-"]), ([], [""]), (["navy"], [])]


def test_check_reports_a_label_two_values_share_in_another_language(tmp_path: Path) -> None:
    # Shopify's zh-CN labels Racquetball and Squash both 壁球: the mapper gives neither for it, and `taxonomy check`
    # reported only English names two values share
    from typer.testing import CliRunner

    from tagllm.cli import app

    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nlanguages: [en, zh-CN]\nfacets:\n  - name: sport\n    values:\n"
        "      - {id: racquetball, name: Racquetball, labels: {zh-CN: 壁球}}\n"
        "      - {id: squash, name: Squash, labels: {zh-CN: ' 壁球'}}\n"
        "      - {id: tennis, name: Tennis, labels: {zh-CN: 网球}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["taxonomy", "check", "-t", str(spec)])
    assert result.exit_code == 1
    assert result.stdout == (
        "facet 'sport': values 'racquetball' and 'squash' share the zh-CN label ' 壁球' under the same parent; the "
        "mapper cannot tell them apart in that language\n"
        "t: 3 values in 1 facets, 1 problem(s)\n"
    )
    assert load_taxonomy(spec).check(labels=False) == []  # it loads, and a build may extend it
    # two values whose names clash are reported once, for their names
    from tagllm.taxonomy import Facet, Taxonomy, Value

    go = (("zh-CN", "围棋"),)
    values = [Value("1", "Go", "game", labels=go), Value("2", "go", "game", labels=go)]
    assert Taxonomy("t", {"game": Facet("game", "Game")}, {v.id: v for v in values}).check() == [
        "facet 'game': values '1' and '2' share the name 'go' under the same parent; the mapper cannot tell them apart"
    ]


def test_values_whose_names_differ_only_in_unicode_form_are_refused_naming_both(tmp_path: Path) -> None:
    # 'Café' with its accent as a character of its own (as macOS and some PDFs write it) beside 'Café', and 'Ｒｅｄ' in
    # full-width letters beside 'Red', loaded with 0 problems; the mapper read 'café' and 'red' as ambiguous
    spec, error = _refused(
        tmp_path,
        '  - {name: color, values: [{id: cafe, name: "Caf\\u00e9"}, {id: cafe2, name: "Cafe\\u0301"},'
        ' {id: red, name: Red}, {id: red2, name: "\\uff32\\uff45\\uff44"}]}\n',
    )
    assert error == (
        f"{spec}: values that share a name where the mapper cannot tell them apart: facet 'color': 'cafe' and 'cafe2' "
        "('Cafe\u0301' at the top of the facet); facet 'color': 'red' and 'red2' ('Ｒｅｄ' at the top of the facet). A "
        "product naming one has its evidence split between them and may get neither: rename one, or make it a synonym "
        "of the other"
    )


def test_a_taxonomy_named_in_a_taxonomy_directory_may_be_a_yml_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `taxonomy build -o taxonomy/shop.yml` wrote it, and `-t shop` said "unknown taxonomy 'shop' … (known: demo,
    # shopify)"
    (tmp_path / "taxonomy").mkdir()
    save_own(from_paths(["Home > Mugs"], name="shop"), tmp_path / "taxonomy" / "shop.yml")
    monkeypatch.chdir(tmp_path)
    assert load_taxonomy("shop")["Home > Mugs"].path == "Home > Mugs"
    with pytest.raises(TaxonomyError, match=r"\(known: demo, shop, shopify\)"):
        load_taxonomy("shoe")


def test_a_path_list_may_give_each_path_as_a_list_of_its_names(tmp_path: Path) -> None:
    # {"path": ["Clothing", "Women"]} (as gold_tags lists a path) was read as its repr: one category named
    # "['Clothing', 'Women']" at the top of the tree
    paths = tmp_path / "categories.jsonl"
    paths.write_text('{"path": ["Clothing", "Women"]}\n{"id": "m", "path": ["Clothing", " Men "]}\n')
    tax = load_taxonomy(paths)
    assert sorted(tax.values) == ["Clothing", "Clothing > Women", "m"]
    assert (tax["m"].path, tax["m"].parent_id) == ("Clothing > Men", "Clothing")


def test_a_synonym_file_that_is_missing_or_keys_an_unknown_value_is_named_with_the_taxonomy(tmp_path: Path) -> None:
    # a taxonomy copied without its synonym file stopped with "/…/syn.yaml: cannot read: No such file or directory",
    # and a key naming no value with "synonyms for 'rde': it matches no value", neither naming a file
    spec = tmp_path / "t.yaml"
    spec.write_text("name: t\nsynonym_files: [syn.yaml]\nfacets:\n  - {name: color, values: [{id: red, name: Red}]}\n")
    with pytest.raises(TaxonomyError) as missing:
        load_taxonomy(spec)
    assert str(missing.value) == (
        f"{spec}: synonym_files names 'syn.yaml', which is not a file ({tmp_path / 'syn.yaml'}); synonym files are "
        "looked for beside the taxonomy file: put it there, or fix the name"
    )
    (tmp_path / "syn.yaml").write_text("rde: [scarlet]\n")
    with pytest.raises(TaxonomyError) as unknown:
        load_taxonomy(spec)
    assert str(unknown.value) == (
        f"{tmp_path / 'syn.yaml'}: synonyms for 'rde': it matches no value of taxonomy 't'; key synonyms by value id"
    )


@pytest.mark.parametrize(
    ("items", "read"),
    [
        ("\n  - all genders\n  -\n", "an empty item (null)"),
        (" [yes]\n", "True (YAML reads yes/no, on/off and true/false so)"),
    ],
)
def test_a_synonym_yaml_reads_as_null_or_true_is_refused_naming_it(tmp_path: Path, items: str, read: str) -> None:
    # a blank item became the synonym 'None' and 'yes' 'True': a model answering "none" for the facet was given Unisex
    (tmp_path / "syn.yaml").write_text(f"unisex:{items}")
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nsynonym_files: [syn.yaml]\nfacets:\n  - {name: audience, values: [{id: unisex, name: Unisex}]}\n"
    )
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(spec)
    assert str(error.value) == (
        f"{tmp_path / 'syn.yaml'}: synonyms for 'unisex': {read} is no synonym; write each synonym as text, quoted "
        "where YAML would read it otherwise ('no'), and leave no item empty"
    )
    (tmp_path / "syn.yaml").write_text("# synonyms to come\n")
    assert load_taxonomy(spec)["unisex"].synonyms == ()  # a file of comments only has none


def test_a_shopify_directory_line_without_a_field_is_named_not_a_crash(tmp_path: Path) -> None:
    # a directory of one's own beside Shopify's file names stopped with a traceback, KeyError: 'name', and "tagllm
    # crashed (a bug, not a problem with your input)", exit 3
    (tmp_path / "categories.jsonl").write_text('{"id": "1", "path": "A > B"}\n')
    (tmp_path / "attributes.jsonl").write_text('{"name": "Color", "values": ["Red", "Blue"]}\n')
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / 'categories.jsonl'}:1: no 'name'; a Shopify taxonomy directory's categories.jsonl gives each "
        "line id, name, path, as Shopify's dist/en files do. A category tree of your own is a list of paths: a "
        "directory holding categories.jsonl alone, or a file of 'A > B > C' lines"
    )


def test_a_path_list_may_list_a_child_before_its_parent(tmp_path: Path) -> None:
    # the child made its parent with the path as id, and the parent's own line was refused: "path 'Home' has two ids"
    paths = tmp_path / "categories.jsonl"
    paths.write_text('{"id": "c2", "path": "Home > Mugs"}\n{"id": "c1", "path": "Home"}\n{"id": 3, "path": "Home"}\n')
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(paths)
    assert str(error.value) == f"{paths}: path 'Home' has two ids ('c1', '3')"
    paths.write_text('{"id": "c2", "path": "Home > Mugs"}\n{"id": "c1", "path": "Home"}\n')
    tax = load_taxonomy(paths)
    assert sorted(tax.values) == ["c1", "c2"] and tax["c2"].parent_id == "c1"


def test_a_taxonomy_file_with_an_upper_case_extension_is_written_and_read_by_it(tmp_path: Path) -> None:
    # `taxonomy build -o SHOP.JSON` wrote YAML under that name, and every -t SHOP.JSON (or CATS.TXT) stopped with
    # "cannot tell the taxonomy format; pass format=", an option no command has
    tree = from_paths(["Home > Mugs", "Home > Lamps"], name="shop")
    written = save_own(tree, tmp_path / "SHOP.JSON")
    assert written.read_text().startswith("{\n")
    assert load_taxonomy(written).version == tree.version
    (tmp_path / "CATS.TXT").write_text("Home > Mugs\nHome > Lamps\n")
    assert load_taxonomy(tmp_path / "CATS.TXT").version == tree.version


@pytest.mark.parametrize("vid", [" red", "red | dark", "red "])
def test_a_value_id_a_csv_cell_cannot_give_back_is_refused(tmp_path: Path, vid: str) -> None:
    # a CSV output joins a facet's ids with " | " and splits and strips them when read back (--resume, eval): such an
    # id came back as other ids
    spec, error = _refused(
        tmp_path, f"  - {{name: color, values: [{{id: '{vid}', name: Red}}, {{id: b, name: Blue}}]}}\n"
    )
    assert error == (
        f"{spec}: facet 'color': value id {vid!r} has spaces around it or holds ' | ', which CSV outputs join ids "
        "with; give it an id without"
    )


def test_two_facets_whose_names_differ_in_case_alone_are_refused(tmp_path: Path) -> None:
    # both loaded: a gold file's "Category" key and a CSV's columns could mean either
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: mugs, name: Mugs}]}\n"
        "  - {name: Category, values: [{id: c1, name: One}]}\n",
    )
    assert error == f"{spec}: facet 'Category' is declared twice (as 'category')"


def test_a_key_given_twice_in_a_taxonomy_or_synonym_file_is_refused_naming_its_lines(tmp_path: Path) -> None:
    # YAML and JSON readers keep a key's last value: a second facets: appended to a taxonomy lost every facet above
    # it, and a synonym file keying navy twice its first synonyms, each loaded with no word said
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nfacets:\n  - {name: color, values: [{id: red, name: Red}, {id: navy, name: Navy}]}\n"
        "facets:\n  - {name: size, values: [{id: s, name: S}, {id: m, name: M}]}\n"
    )
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(spec)
    assert str(error.value) == (
        f"{spec}:4: 'facets' is given twice in one mapping (first on line 2); a reader keeps the last and drops the "
        "first without a word: merge the two into one"
    )
    spec.write_text(
        "name: t\nsynonym_files: [syn.yaml]\n"
        "facets:\n  - {name: color, values: [{id: red, name: Red}, {id: navy, name: Navy}]}\n"
    )
    (tmp_path / "syn.yaml").write_text("navy: [dark blue]\nred: [scarlet]\nnavy: [midnight]\n")
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(spec)
    assert str(error.value).startswith(f"{tmp_path / 'syn.yaml'}:3: 'navy' is given twice in one mapping (first on ")
    as_json = tmp_path / "t.json"
    as_json.write_text('{"name": "t", "facets": [{"name": "c", "values": [{"id": "r", "name": "R", "name": "Q"}]}]}')
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(as_json)
    assert str(error.value) == (
        f"{as_json}: 'name' is given twice in one object; a reader keeps the last and drops the first without a word: "
        "merge the two into one"
    )
    spec.write_text(  # a merge's keys may be given again: that is what a merge is for
        "name: t\nfacets:\n  - &flat {name: color, multi_valued: true, values: [{id: red, name: Red}]}\n"
        "  - <<: *flat\n    name: size\n    values: [{id: s, name: S}]\n"
    )
    assert {n: f.multi_valued for n, f in load_taxonomy(spec).facets.items()} == {"color": True, "size": True}


def test_a_value_list_or_mapping_of_the_wrong_shape_says_what_belongs_there(tmp_path: Path) -> None:
    # values: [Red, Blue] said "Input should be a valid dictionary or instance of _ValueSpec", a class of tagllm's,
    # and synonyms: navy "Input should be a valid list", neither what to write
    spec, error = _refused(
        tmp_path,
        "  - {name: category, hierarchical: true, values: [{id: a, name: Apparel}]}\n"
        "  - {name: color, applies_to: a, values: [Red, {id: navy, name: Navy, synonyms: navy blue, labels: 藏青}]}\n",
    )
    assert error == (
        f"{spec}: not a valid taxonomy file:\n"
        "  facets.1.applies_to (facet 'color'): a list belongs here ([…]), not 'a': write [a]\n"
        "  facets.1.values.0 (facet 'color'): a value is a mapping with its id and name: {id: red, name: Red}, not "
        "'Red'\n"
        "  facets.1.values.1.synonyms (facet 'color', value 'navy'): a list belongs here ([…]), not 'navy blue': "
        "write [navy blue]\n"
        "  facets.1.values.1.labels (facet 'color', value 'navy'): labels map a language to the name in it: "
        "{zh-CN: 红色}, not '藏青'"
    )
    spec.write_text("")
    with pytest.raises(TaxonomyError) as refused:
        load_taxonomy(spec)
    assert str(refused.value) == (
        f"{spec}: not a valid taxonomy file:\n  the file: a taxonomy file is a mapping: name: …, facets: [{{name: "
        "color, values: [{id: red, name: Red}]}] (see taxonomy/demo.yaml), it is empty"
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "name: t\nfacets:\n  - name: color\n    values:\n      - id: red\n      name: Red\n",
            "6:7: not valid YAML: expected <block end>, but found '?' (while parsing a block collection from line 5)",
        ),
        (
            "name: t\nfacets:\n\t- {name: color, values: [{id: red, name: Red}]}\n",
            "3:1: not valid YAML: found character '\\t' that cannot start any token; YAML indents with spaces, not "
            "tabs",
        ),
        (
            "name: t\nfacets:\n  - {name: color, values: [{id: red, name: R\x00ed}]}\n",
            "3:45: not valid YAML: the character U+0000 is not allowed: remove it",
        ),
    ],
    ids=["a key out of line", "a tab", "a NUL byte"],
)
def test_a_taxonomy_file_that_is_not_yaml_is_named_at_its_line(tmp_path: Path, text: str, said: str) -> None:
    # PyYAML's message placed the mistake 'in "<unicode string>", line 6, column 7' (a NUL byte: 'position 69'),
    # naming no file
    spec = tmp_path / "t.yaml"
    spec.write_text(text)
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(spec)
    assert str(error.value) == f"{spec}:{said}"


def test_a_parent_that_is_no_value_names_the_file_the_facet_and_what_a_parent_is(tmp_path: Path) -> None:
    # "taxonomy 't': value 'tees' has parent 'Tops', which does not exist": no file, and a parent written by its name
    spec, error = _refused(
        tmp_path,
        "  - name: category\n    hierarchical: true\n    values:\n      - {id: tops, name: Tops}\n"
        "      - {id: tees, name: T-Shirts, parent: Tops}\n",
    )
    assert error == (
        f"{spec} (taxonomy 't'): facet 'category': value 'tees' has parent 'Tops', which is no value's id; a parent "
        "is named by its id (not its name): fix it, or leave parent out for a value at the top of its facet"
    )


def test_applies_to_naming_categories_by_name_or_path_says_their_ids(tmp_path: Path) -> None:
    # an analyst writes applies_to: [Apparel] as often as [apparel]: refused as "not category ids", no id named
    spec, error = _refused(
        tmp_path,
        "  - name: category\n    hierarchical: true\n    values:\n"
        "      - {id: apparel, name: Apparel, children: [{id: apparel-tops, name: Tops}]}\n"
        "      - {id: home, name: Home, children: [{id: home-tops, name: Tops}]}\n"
        "  - {name: sleeve, applies_to: [Apparel, Apparel > Tops, Tops, Shoes], values: [{id: s1, name: Long}]}\n",
    )
    assert error == (
        f"{spec}: facet 'sleeve' applies_to 'Apparel', 'Apparel > Tops', 'Tops', 'Shoes': not category ids of this "
        "taxonomy (applies_to lists the ids of the categories whose subtrees the facet applies to); 'Apparel' names "
        "'apparel', 'Apparel > Tops' names 'apparel-tops', 'Tops' names 'apparel-tops' and 'home-tops': list the ids"
    )


def test_a_taxonomy_file_of_another_extension_says_which_files_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # -t categories.csv said "cannot tell the taxonomy format; pass format=", an option no command has
    from typer.testing import CliRunner

    from tagllm.cli import app

    monkeypatch.chdir(tmp_path)
    Path("categories.csv").write_text("path\nApparel > Tops\n")
    result = CliRunner().invoke(app, ["taxonomy", "show", "-t", "categories.csv"])
    assert isinstance(result.exception, TaxonomyError)
    assert str(result.exception) == (
        "categories.csv: cannot tell the taxonomy format from its name: a taxonomy is the own format (.yaml, .yml, "
        '.json), a list of category paths (.txt, one \'A > B > C\' per line, or .jsonl, {"path": "A > B > C"} per '
        "line), Google's taxonomy-with-ids .txt or a Shopify taxonomy directory; save it as one of these (in Python, "
        "load_taxonomy's format= names the format: own, shopify, google, paths)"
    )


def test_a_synonym_file_key_whose_synonyms_are_not_a_list_is_named(tmp_path: Path) -> None:
    # one 'navy: dark blue' among a file's keys was said of the whole file: "a synonym file maps a value id or name to
    # a list of synonyms", no key named
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nsynonym_files: [syn.yaml]\n"
        "facets:\n  - {name: color, values: [{id: red, name: Red}, {id: navy, name: Navy}]}\n"
    )
    (tmp_path / "syn.yaml").write_text("red: [scarlet]\nnavy: dark blue\n")
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(spec)
    assert str(error.value) == (
        f"{tmp_path / 'syn.yaml'}: synonyms for 'navy': 'dark blue' is not a list; a synonym file maps a value id or "
        "name to a list of synonyms: write navy: [dark blue]"
    )


def test_a_name_yaml_reads_as_another_number_is_said_back_as_the_file_writes_it(tmp_path: Path) -> None:
    # YAML reads 16:9 as 969 (base 60) and 3.10 as 3.1: the analyst was told "quote it ('969')", a name nobody wrote
    spec, error = _refused(
        tmp_path,
        "  - {name: aspect-ratio, values: [{id: ar-16-9, name: 16:9}, {id: v310, name: 3.10}, {id: s42, name: 42}]}\n",
    )
    assert error == (
        f"{spec}: not a valid taxonomy file:\n"
        "  facets.0.values.0.name (facet 'aspect-ratio', value 'ar-16-9'): Input should be a valid string; 16:9 is "
        "read as the number 969, not text: quote it ('16:9') so it keeps its spelling\n"
        "  facets.0.values.1.name (facet 'aspect-ratio', value 'v310'): Input should be a valid string; 3.10 is read "
        "as the number 3.1, not text: quote it ('3.10') so it keeps its spelling\n"
        "  facets.0.values.2.name (facet 'aspect-ratio', value 's42'): Input should be a valid string; 42 is a number "
        "here, not text: quote it ('42') so it keeps its spelling"
    )


def test_a_synonym_yaml_reads_as_another_number_is_refused_saying_to_quote_it(tmp_path: Path) -> None:
    # '16:9' became the synonym '969' (YAML reads it in base 60) and 3.10 '3.1', with no word said
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\nsynonym_files: [syn.yaml]\n"
        "facets:\n  - {name: ratio, values: [{id: wide, name: Widescreen}, {id: v3, name: Version Three}]}\n"
    )
    (tmp_path / "syn.yaml").write_text("v3: [3, v3]\nwide: [wide screen, 16:9]\n")
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(spec)
    assert str(error.value) == (
        f"{tmp_path / 'syn.yaml'}: synonyms for 'wide': 16:9 is read as the number 969, not text: quote it ('16:9') "
        "so it keeps its spelling"
    )
    (tmp_path / "syn.yaml").write_text("v3: [3, v3]\nwide: [wide screen, '16:9']\n")
    assert load_taxonomy(spec)["wide"].synonyms == ("wide screen", "16:9")
    assert load_taxonomy(spec)["v3"].synonyms == ("3", "v3")  # a number written as it reads is its text


def test_a_categories_jsonl_named_from_its_own_directory_is_named_for_that_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `tagllm taxonomy build products.jsonl -t categories.jsonl` (README) wrote `name: ''`: a relative path's parent
    # is '.', whose name is empty
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "categories.jsonl").write_text('{"id": "c1", "path": "Home > Mugs"}\n')
    monkeypatch.chdir(folder)
    assert load_taxonomy("categories.jsonl").name == "shop"
