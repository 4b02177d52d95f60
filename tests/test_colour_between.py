"""A shade between two colour values (the survey's colour near both, neither clearly nearer): where a title writes
it as the product's colour, the stated finder reads the one of the two whose own colour is nearer; the mapper still
rejects such a string. Titles written for this test."""

from __future__ import annotations

from tagllm.candidates.stated import StatedFinder
from tagllm.candidates.stated.colours import named_shades
from tagllm.candidates.stated.lexicon import wordnet_shades
from tagllm.mapping import Mapper
from tagllm.mapping.colours import placed_shades
from tagllm.mapping.shades_between import between_shades, code_step
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.text import normalize

COLOURS = ("Beige", "Black", "Blue", "Brown", "Gray", "Green", "Navy", "Orange", "Pink", "Purple", "Red", "White")
COLOURS += ("Yellow",)


def _colours() -> Taxonomy:
    values = [Value(n.lower(), n, "color") for n in COLOURS]
    return Taxonomy("colours", {"color": Facet("color", "Color", multi_valued=True)}, {v.id: v for v in values})


def _stated(title: str) -> list[tuple[str, str]]:
    tax = _colours()
    ids = [v.id for v in tax.facet_values("color")]
    finder = StatedFinder(tax, "color", {vid: i for i, vid in enumerate(ids)})
    return [(ids[s.value], s.how) for s in finder(normalize(title), title)]


def test_a_shade_between_two_values_is_the_one_whose_own_colour_is_nearer() -> None:
    values = tuple(_colours().facet_values("color"))
    between = between_shades(values)
    # "sand": a shade of Yellow ("sand yellow") is its nearest, but Beige's own colour is nearer than Yellow's
    assert between["sand"] == "beige"
    assert between["fuchsia"] == "pink" and between["magenta"] == "pink" and between["terracotta"] == "orange"
    assert not between.keys() & placed_shades(values).keys()  # a clear call stays the placed value's
    assert Mapper(_colours(), use_embeddings=False).map(["fuchsia"], facet="color")[0].value is None


def test_a_title_writing_such_a_shade_as_its_colour_states_that_value() -> None:
    assert _stated("Girls Ruffle Swimsuit, Fuchsia, 7-8 Years") == [("pink", "sole, by a shade")]
    assert _stated("Suede Desert Boots - Sand") == [("beige", "sole, by a shade")]
    assert _stated("Waxed Cotton Field Jacket in Terracotta") == [("orange", "sole, by a shade")]


def test_a_value_named_after_such_a_shade_decides() -> None:
    """ "Chestnut Brown", "Taupe Grey" (the survey's spelling of Gray): the shade only says which brown, which grey."""
    assert _stated("Sheepskin Slippers, Chestnut Brown, UK 6") == [("brown", "sole")]
    assert _stated("Suede Ankle Boots, Taupe Grey, UK 5") == [("gray", "sole")]


def test_a_shade_word_before_a_placed_shade_keeps_that_shades_value() -> None:
    """ "Dark tan" is a tan: "dark" says how light, not which hue, though the survey's dark tan lies between Brown
    and Beige; tan alone is a brown."""
    assert between_shades(tuple(_colours().facet_values("color")))["dark tan"] == "brown"
    assert _stated("Suede Chelsea Boots, Dark Tan, UK 8") == [("brown", "sole, by a shade")]
    assert _stated("Leather Card Holder - Tan") == [("brown", "sole, by a shade")]


def test_a_shade_as_near_one_value_as_the_other_within_the_surveys_code_is_not_read() -> None:
    """Indigo's nearest purple and nearest blue differ by less than one step of its code changes it: the survey
    does not say which it is, so the title states no colour rather than a guess; its own value name still decides."""
    values = tuple(_colours().facet_values("color"))
    assert "indigo" not in between_shades(values) and "khaki" not in between_shades(values)
    assert code_step("indigo") > 0
    assert _stated("Selvedge Denim Jacket, Rinsed Indigo, M") == []
    assert _stated("Relaxed Chinos - Khaki") == []
    assert _stated("Block Print Cotton Kurta, Indigo Blue") == [("blue", "sole")]


def test_any_shade_before_a_value_name_leaves_the_value_to_decide() -> None:
    """ "Stone Beige" is a beige, though stone alone is a grey; English puts the word naming the hue last."""
    assert _stated("Canvas Tote Bag, Stone") == [("gray", "sole, by a shade")]
    assert _stated("Canvas Tote Bag, Stone Beige") == [("beige", "sole")]
    assert _stated("Waffle Throw - Lilac Grey") == [("gray", "sole")]
    assert _stated("Waffle Throw - Lilac/Grey") == [("gray", "listed"), ("purple", "listed")]


def test_a_word_wordnet_knows_only_in_a_colours_name_is_a_shade_of_that_colour() -> None:
    """WordNet has "oxblood" only in "oxblood red", a kind of red; no colour survey names it."""
    assert wordnet_shades()["oxblood"] == "red"
    assert "bottle" not in wordnet_shades()  # "bottle green": a bottle is a thing of its own
    assert _stated("Leather Brogues, Oxblood, UK 9") == [("red", "sole, by a shade")]
    assert _stated("Chelsea Boots - Oxblood Red") == [("red", "sole")]


def test_such_a_shade_names_no_value_of_a_facet_that_is_no_colour_facet() -> None:
    """A wine's Red and White are no colour facet: "Oxblood" names none of them."""
    wines = tuple(Value(n.lower(), n, "wine") for n in ("Red", "White", "Rose"))
    assert named_shades(wines) == {}
    assert named_shades(tuple(_colours().facet_values("color")))["oxblood"] == "red"
