"""Rare values of learned facets: a rare typo of a common value is merged into it as a synonym; a neighbour that
differs by a meaningful word or letter (a size, a gender, a shade, a Chinese character) stays a value of its own; a
value seen once is kept when its product's text states it, or when its product lists it beside recurring values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagllm.attributes import AttributeResolver, learn_attributes, learn_taxonomy, with_attribute_facets
from tagllm.attributes.variants import is_typo
from tagllm.taxonomy import Taxonomy, from_paths
from tagllm.text import normalize


def _rows(key: str, counts: dict[str, int]) -> list[list[str]]:
    return [[f"{key}: {value}"] for value, n in counts.items() for _ in range(n)]


def _values(key: str, counts: dict[str, int]) -> dict[str, tuple[int, list[str]]]:
    (facet,) = learn_attributes(_rows(key, counts)).facets
    return {v.name: (v.count, v.synonyms) for v in facet.values}


def test_a_rare_misspelling_counts_for_the_value_it_misspells_and_maps_to_it() -> None:
    rows = _rows("Fabric", {"Polyester": 10, "Polyster": 2, "Cotton": 6})
    report = learn_attributes(rows)
    (fabric,) = report.facets
    assert {v.name: (v.count, v.synonyms) for v in fabric.values} == {
        "Polyester": (12, ["Polyster"]),
        "Cotton": (6, []),
    }
    assert fabric.merged == [("Polyster", "Polyester")]
    assert "1 misspelling(s) merged, e.g. 'Polyster' -> 'Polyester'" in "\n".join(report.summary())
    taxonomy = with_attribute_facets(Taxonomy("t", {}, {}), report)
    assert AttributeResolver(taxonomy).resolve(["Fabric: Polyster"])[0] == {"fabric": ["fabric/polyester"]}


def test_a_misspelling_seen_once_is_merged_not_dropped() -> None:
    assert _values("Material", {"Stainless Steel": 8, "Stainles Steel": 1, "Plastic": 5}) == {
        "Stainless Steel": (9, ["Stainles Steel"]),
        "Plastic": (5, []),
    }


@pytest.mark.parametrize(
    ("key", "common", "rare"),
    [
        ("Ideal For", "Women", "Men"),  # short words: one letter or two make another word
        ("Color", "Blue", "Light Blue"),  # a word added is another value
        ("Color", "Light Blue", "Light Blues Navy"),
        ("Size", "S", "XS"),
        ("Size", "XXL", "XXXL"),
        ("Type", "Kurta", "Kurti"),  # five letters: one edit is another garment
        ("Occasion", "Formal", "Normal"),  # another first letter
        ("颜色", "红色", "橙色"),  # one Chinese character is another colour
        ("Fabric", "Polyester", "Polyester Blend"),
    ],
)
def test_a_meaningful_neighbour_stays_a_value_of_its_own(key: str, common: str, rare: str) -> None:
    assert set(_values(key, {common: 20, rare: 2})) == {common, rare}


def test_a_variant_as_common_as_its_neighbour_is_a_value_not_a_typo() -> None:
    # one edit apart, but both common: two materials, not a slip of the keyboard
    assert set(_values("Material", {"Silicone": 10, "Silicon": 4})) == {"Silicone", "Silicon"}


def test_a_variant_between_two_common_values_stays_apart() -> None:
    values = _values("Finish", {"Matted": 2, "Marted": 20, "Matter": 20})
    assert set(values) == {"Matted", "Marted", "Matter"}


@pytest.mark.parametrize(
    ("rare", "frequent", "expected"),
    [
        ("Polyster", "Polyester", True),
        ("Cotten", "Cotton", True),
        ("Casaul Wear", "Casual Wear", True),  # a swapped pair is one edit
        ("Polyster Blend", "Polyester", False),
        ("Shirt", "Shift", False),
        ("Wood", "Wool", False),
        ("Georgete", "Georgette", True),
        ("Acrylc Wool", "Acrylic Woll", False),  # two words differ
        ("3XL", "XXL", False),
        ("真丝", "丝绸", False),
    ],
)
def test_what_counts_as_a_typo(rare: str, frequent: str, expected: bool) -> None:
    assert is_typo(normalize(rare).split(), normalize(frequent).split()) is expected


def test_a_rare_value_its_products_text_states_is_kept_and_an_unstated_one_dropped() -> None:
    rows = _rows("Sleeve", {"Full Sleeve": 6, "Half Sleeve": 4, "Cape Sleeve": 1, "Bell Sleeve": 1})
    titles = ["Women's Printed Top"] * 10 + ["Cape Sleeves Party Top", "Floral Top"]
    (kept,) = learn_attributes(rows, texts=titles).facets
    assert [(v.name, v.count) for v in kept.values] == [("Full Sleeve", 6), ("Half Sleeve", 4), ("Cape Sleeve", 1)]
    assert kept.rare_values == 1 and kept.rare_examples == ["Bell Sleeve"]
    (without_texts,) = learn_attributes(rows).facets
    assert [v.name for v in without_texts.values] == ["Full Sleeve", "Half Sleeve"]


def test_a_rare_value_listed_beside_recurring_values_is_kept_and_a_lone_one_dropped() -> None:
    rows = _rows("Occasion", {"Casual": 6, "Party": 3})
    rows += [["Occasion: Everyday, Work, Casual"], ["Occasion: Everyday, Party"]]  # Everyday twice, Work once
    rows += [["Occasion: Beach, Lounge"]]  # parts seen nowhere else: one value, seen once
    (facet,) = learn_attributes(rows).facets
    assert [(v.name, v.count) for v in facet.values] == [("Casual", 7), ("Party", 4), ("Everyday", 2), ("Work", 1)]
    assert facet.rare_values == 1 and facet.rare_examples == ["Beach, Lounge"]


def test_a_rare_chinese_value_is_stated_as_a_substring() -> None:
    rows = _rows("款式", {"单肩包": 5, "双肩包": 3, "斜挎包": 1, "手拿包": 1})
    titles = ["包"] * 8 + ["新款女士斜挎包小方包", "真皮女包"]
    (facet,) = learn_attributes(rows, texts=titles).facets
    assert [v.name for v in facet.values] == ["单肩包", "双肩包", "斜挎包"]


def test_learn_taxonomy_keeps_a_rare_value_its_products_title_states(tmp_path: Path) -> None:
    rows = [("Printed Top", "Full Sleeve")] * 6 + [("Plain Top", "Half Sleeve")] * 4
    rows += [("Cape Sleeve Party Top", "Cape Sleeve"), ("Floral Top", "Bell Sleeve")]
    source = tmp_path / "products.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": str(i), "title": title, "gold_category": "Tops", "gold_attribute_tags": [f"Sleeve: {v}"]})
            + "\n"
            for i, (title, v) in enumerate(rows)
        )
    )
    tree = from_paths(["Tops"], name="shop")
    stated = learn_taxonomy(source, tree).taxonomy.facet_values("sleeve")
    assert [v.name for v in stated] == ["Full Sleeve", "Half Sleeve", "Cape Sleeve"]
    unread = learn_taxonomy(source, tree, text_field=None).taxonomy.facet_values("sleeve")
    assert [v.name for v in unread] == ["Full Sleeve", "Half Sleeve"]


def test_values_are_compared_only_with_values_common_enough_to_take_them() -> None:
    # each value was compared with every commoner one: a key of tens of thousands of values seen once or twice (model
    # names, free text) made `taxonomy build` on a large catalogue run for hours
    from collections import Counter

    from tagllm.attributes.variants import merge_variants

    class Counted(Counter[str]):
        lookups = 0

        def __getitem__(self, key: str) -> int:
            Counted.lookups += 1
            return super().__getitem__(key)

    names = [f"model {i:05d}" for i in range(3000)]
    support = Counted({name: 1 + i % 2 for i, name in enumerate(names)})
    support.update({"polyester": 40, "cotton blend": 30})
    words = {name: name.split() for name in support}
    words.update({"polyster": ["polyster"]})
    support["polyster"] = 2
    assert merge_variants(support, words) == {"polyster": "polyester"}
    assert Counted.lookups < 10 * len(support)
