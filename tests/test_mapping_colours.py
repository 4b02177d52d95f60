"""Rules of a facet that need no lexicon: colours placed by the xkcd survey in CIELAB, age ranges and one size written
short, imitation materials, the facet's own name, numbers read whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.colours import ciede2000, survey, survey_name
from tagllm.mapping.families import range_spellings
from tagllm.taxonomy import Facet, Taxonomy, Value

COLOURS = ["Red", "Pink", "Purple", "Green", "Blue", "Navy", "Gray", "Brown", "Orange", "Gold", "Black", "White"]
COLOURS += ["Multicolor"]


def shop() -> Taxonomy:
    facets = {
        "color": Facet("color", "Color", multi_valued=True),
        "size": Facet("size", "Size"),
        "fabric": Facet("fabric", "Fabric"),
        "material": Facet("material", "Material"),
    }
    values = [
        *(Value(f"c-{n.lower()}", n, "color") for n in COLOURS),
        *(Value(f"s-{n}", n, "size") for n in ["0", "3", "10", "0-3 months", "3-6 months", "2-3 years", "One size"]),
        Value("leather", "Leather", "fabric"),
        Value("faux-leather", "Faux leather", "fabric"),
        Value("cotton", "Cotton", "fabric"),
        Value("m-leather", "Leather", "material"),
        Value("m-fabric", "Fabric", "material"),
    ]
    return Taxonomy("shop", facets, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    return Mapper(shop(), use_embeddings=False, use_lexicon=False, cache_dir=Path(tmp_path_factory.mktemp("cache")))


def outcome(m: Mapped) -> tuple[str | None, str | None] | str:
    return (m.value.id, m.method) if m.value else str(m.reason)


def test_ciede2000_matches_the_published_test_pairs() -> None:
    # Sharma, Wu and Dalal (2005), table 1, pairs 1 and 7
    assert ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert ciede2000((50, 0, 0), (50, -1, 2)) == pytest.approx(2.3669, abs=1e-4)


def test_survey_names_are_read_in_either_spelling() -> None:
    assert survey_name("Greyish") == "grey"
    assert survey_name("dusty-rose") == "dusty rose"
    assert survey_name("light gray") == "light grey"
    assert survey_name("sofa") is None
    assert len(survey()) == 949


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("burgundy", ("c-red", "colour")),  # the survey's wine red and dark red are its nearest shades
        ("aubergine", ("c-purple", "colour")),
        ("emerald", ("c-green", "colour")),
        ("chocolate", ("c-brown", "colour")),
        ("light grey", ("c-gray", "modifier")),  # the last word names a value: the name decides, not the shade
        ("forest green", ("c-green", "modifier")),  # "forest" is a colour of its own, and a shade of green
        ("copper", "'copper' is a metal finish, and facet 'color' has no value for it"),
        ("golden", "no value of facet 'color' is close enough"),  # a finish word: for the stages that read names
    ],
)
def test_a_colour_the_facet_lacks_goes_to_the_nearest_value(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "color")[0]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("grey marl", "c-gray"),
        ("navy melange", "c-navy"),
        ("heather grey", "c-gray"),
        ("stonewashed blue", "c-blue"),
        ("charcoal heather", "c-gray"),  # "heather" the shade is a purple; after a colour it is the yarn's finish
    ],
)
def test_a_fabrics_finish_written_with_its_colour_is_dropped(mapper: Mapper, text: str, expected: object) -> None:
    found = mapper.map([text], "color")[0]
    assert (found.value.id if found.value else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("multi", "c-multicolor"),
        ("Rainbow", "c-multicolor"),
        ("mixed colours", "c-multicolor"),
        ("tie-dye multi", "c-multicolor"),
        ("multicolour print", "c-multicolor"),
        ("various colours", None),  # a choice of colours, each product of one
        ("multicoloured confetti", None),  # names a thing
        ("multi-pack", None),  # counts items: the modifier stage dropped "pack" and read "multi" (s41)
        ("assorted set", None),
        ("multi colour pack", "c-multicolor"),  # names its colours
    ],
)
def test_words_for_many_colours_name_the_value_for_many_colours(mapper: Mapper, text: str, expected: object) -> None:
    found = mapper.map([text], "color")[0]
    assert (found.value.id if found.value else None) == expected


def test_a_colour_between_two_values_is_rejected_with_both(mapper: Mapper) -> None:
    found = mapper.map(["indigo"], "color")[0]
    assert found.value is None
    assert "lies between" in str(found.reason) and "Blue" in str(found.reason) and "Purple" in str(found.reason)


def test_a_facet_with_few_colour_values_is_no_colour_facet(mapper: Mapper) -> None:
    assert mapper.colour.shades("fabric") == []
    assert outcome(mapper.map(["burgundy"], "fabric")[0]) == "no value of facet 'fabric' is close enough"


def test_age_ranges_have_their_short_spellings() -> None:
    assert {"0-3m", "0-3 mths", "0 to 3 months"} <= set(range_spellings("0-3 months"))
    assert {"2-3y", "2-3 yrs"} <= set(range_spellings("2-3 years"))
    assert range_spellings("Large (L)") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0-3m", ("s-0-3 months", "alias")),
        ("3-6 mths", ("s-3-6 months", "alias")),
        ("2-3 yrs", ("s-2-3 years", "alias")),
        ("one size fits all", ("s-One size", "alias")),
        ("free size", ("s-One size", "alias")),
        # the facet's numbers carry no size system (Shopify's shoe sizes list 7 and 38.5 side by side): the system
        # written with a number is dropped; a taxonomy with a value "UK 10" gets it from the exact stage first
        ("UK 10", ("s-10", "modifier")),
        ("EU 3", ("s-3", "modifier")),
        ("UK", "no value of facet 'size' is close enough"),
    ],
)
def test_sizes_written_short(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "size")[0]) == expected


def test_an_imitation_material_is_never_the_material(mapper: Mapper) -> None:
    assert outcome(mapper.map(["fake leather"], "fabric")[0]) == ("faux-leather", "imitation")
    assert mapper.map(["fake leather"], "material")[0].value is None  # no Faux leather here: no guess


def test_a_number_names_a_value_in_a_facet_of_numbers(mapper: Mapper) -> None:
    assert outcome(mapper.map(["size 10"], "size")[0]) == ("s-10", "modifier")  # the facet's name dropped, not 10
    assert outcome(mapper.map(["100% cotton"], "fabric")[0]) == ("cotton", "modifier")  # no numbered fabric: dropped
