"""A joined parent named past its part (``tagllm.mapping.parents``): a string that joins the other part of a parent's
"A & B" name to the part a stage found is the parent's ("brush and holder": Toilet Brushes & Holders), and a word that
only sits in the string, or a word of the other part before its head, keeps the part."""

from __future__ import annotations

import pytest

from tagllm.mapping.parents import joined_parent
from tagllm.taxonomy import Taxonomy, Value, load_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy("shopify")


def _value(taxonomy: Taxonomy, path: str) -> Value:
    """The one category value whose path ends with ``path``."""
    (found,) = [v for v in taxonomy.facet_values("category") if (v.path or "").endswith(path)]
    return found


@pytest.mark.parametrize(
    ("path", "text", "parent"),
    [
        (
            "Home & Garden > Bathroom Accessories > Toilet Brushes & Holders > Toilet Brushes",
            "Bamboo Toilet Brush + Holder, Natural",
            "Toilet Brushes & Holders",
        ),
        (
            "Animals & Pet Supplies > Pet Supplies > Pet Grooming Supplies > Pet Combs & Brushes > Combs",
            "Cat comb with brush, 2 in 1",
            "Pet Combs & Brushes",
        ),
        (
            "Craft Organization > Sewing Baskets & Kits > Sewing Baskets",
            "wicker sewing basket and kit for beginners",
            "Sewing Baskets & Kits",
        ),
        ("Tableware > Coffee & Tea Sets > Coffee Sets", "Coffee and Tea Set for 6, Porcelain", "Coffee & Tea Sets"),
    ],
)
def test_the_other_part_joined_to_the_part_names_the_parent(
    taxonomy: Taxonomy, path: str, text: str, parent: str
) -> None:
    assert joined_parent(taxonomy, _value(taxonomy, path), text).name == parent


@pytest.mark.parametrize(
    ("path", "text"),
    [
        # the other part's head only sits in the title: it describes the brush, it is not a second thing
        (
            "Home & Garden > Bathroom Accessories > Toilet Brushes & Holders > Toilet Brushes",
            "Toilet Brush Holder-Free Design",
        ),
        # "baby" is a word of the other part (Baby Bathtubs), not its head
        ("Baby & Toddler > Baby Bathing > Baby Bathtubs & Bath Seats > Bath Seats", "Baby bath seat with suction feet"),
        # the part alone
        (
            "Home & Garden > Bathroom Accessories > Toilet Brushes & Holders > Toilet Brushes",
            "toilet brush and plunger",
        ),
        # the head the part shares with the other ("Coffee & Tea Sets") is the part's own: "set with" joins nothing
        ("Tableware > Coffee & Tea Sets > Coffee Sets", "Porcelain coffee set with 6 cups and saucers"),
        ("Garden Arches, Trellises, Arbors & Pergolas > Arches", "Metal garden arch with gate"),
    ],
)
def test_a_word_that_only_sits_in_the_string_keeps_the_part(taxonomy: Taxonomy, path: str, text: str) -> None:
    value = _value(taxonomy, path)
    assert joined_parent(taxonomy, value, text) is value


def test_a_part_whose_name_holds_a_word_the_parent_lacks_is_kept(taxonomy: Taxonomy) -> None:
    """Anti Colic Bottles is a kind under Baby Bottles, not one part of a joined name."""
    value = _value(
        taxonomy, "Baby & Toddler > Nursing & Feeding > Feeding Essentials > Baby Bottles > Anti Colic Bottles"
    )
    assert joined_parent(taxonomy, value, "anti colic bottle and teat set") is value
