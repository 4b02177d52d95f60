"""A colour written with the thing it colours, or listed with other colours: the colour words name the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.colour_nouns import colour_before_noun, first_listed, survey_words
from tagllm.taxonomy import Facet, Taxonomy, Value

COLOURS = ["Red", "Pink", "Purple", "Green", "Blue", "Navy", "Gray", "Brown", "Orange", "Black", "White", "Multicolor"]


def shop() -> Taxonomy:
    facets = {"color": Facet("color", "Color", multi_valued=True), "size": Facet("size", "Size")}
    values = [
        *(Value(f"c-{n.lower()}", n, "color") for n in COLOURS),
        *(Value(f"s-{n.lower()}", n, "size") for n in ["Small", "Large"]),
    ]
    return Taxonomy("shop", facets, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    return Mapper(shop(), use_embeddings=False, use_lexicon=False, cache_dir=Path(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("burgundy cushion cover", "c-red"),  # the survey places burgundy on Red; "cushion cover" names the thing
        ("emerald green kettle", "c-green"),
        ("light grey hoodie", "c-gray"),
        ("white/navy", "c-white"),  # colours listed: the first files the product
        ("pink / grey / black", "c-pink"),
        ("orange juice", None),  # a compound: the product, not its colour
        ("earth tones", None),  # speaks of colours in general
        ("hoodie", None),
    ],
)
def test_the_colour_words_before_a_thing_or_first_in_a_list_name_the_value(
    mapper: Mapper, text: str, expected: str | None
) -> None:
    found = mapper.map([text], "color")[0]
    assert (found.value.id if found.value else None) == expected
    if expected is not None:
        assert found.method == "colour_noun"


def test_only_the_words_after_the_last_colour_word_are_cut() -> None:
    words = survey_words() | {"navy", "gray"}
    assert colour_before_noun("Forest Green Two-Man Tent", words) == "forest green"
    assert colour_before_noun("forest green", words) is None  # nothing to cut: the other stages read it whole
    assert colour_before_noun("neutral tones", words) is None
    assert colour_before_noun("Red; Zorg", words) is None  # two items: the cell's splitting reads each
    assert first_listed("Navy/White", words) == "navy"
    assert first_listed("navy", words) is None
    assert first_listed("grey/large", words) is None  # a colour and a size: no list of colours
