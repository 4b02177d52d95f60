"""Where a category string's head is: the longest tail naming a value ("king size duvet cover"), no head after a
phrase that follows it ("pot for making tea"), none in a WordNet compound that is no kind of its last word ("couch
potato"); WordNet synonyms through a lemma's rare sense ("blusher" is a rare "paint"); a description's rewrites that
keep its object outrank one that drops it ("rack for drying dishes")."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from test_mapping_stages import FakeEmbedder

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.compounds import other_kind, postmodified
from tagllm.mapping.fuzzy import compound_splits
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the lexical stage needs tagllm[lexicon]")

CACHE = Path(tempfile.mkdtemp(prefix="tagllm-compounds-"))


def shop() -> Taxonomy:
    tree = [
        ("home", "Home", None),
        ("bedding", "Bedding", "home"),
        ("duvet", "Duvet Covers", "bedding"),
        ("tableware", "Tableware", "home"),
        ("teapots", "Teapots", "tableware"),
        ("food", "Food", None),
        ("tea", "Tea", "food"),
        ("potatoes", "Potatoes", "food"),
        ("hardware", "Hardware", None),
        ("paint", "Paint", "hardware"),
        ("covers", "Covers", "hardware"),
        ("kitchen", "Kitchen Tools", "home"),
        ("dish-racks", "Dish Racks", "kitchen"),
        ("laundry", "Laundry Supplies", "home"),
        ("drying-racks", "Drying Racks", "laundry"),
        ("sheets", "Bed Sheets", "bedding"),
        ("chopsticks", "Chopsticks", "tableware"),
        ("wine-racks", "Wine Racks", "kitchen"),
        ("lunch-boxes", "Lunch Boxes & Totes", "kitchen"),
        ("primers", "Primers", "hardware"),
    ]
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    return Taxonomy("shop", facets, {v.id: v for v in category_values(tree)})


AXES = {
    **{"duvet": 0, "cover": 0, "covers": 0, "tea": 1, "potato": 2, "potatoes": 2, "blusher": 3, "paint": 3},
    **{"rack": 4, "racks": 4, "dish": 4, "dishes": 4, "drying": 5, "sheet": 6, "sheets": 6, "teapot": 7, "teapots": 7},
    **{"primer": 8, "primers": 8},
}


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(shop(), embedder=FakeEmbedder(AXES), embedding_threshold=1.5, cache_dir=CACHE)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pot for making tea", True),
        ("bed of roses", True),
        ("mug with a lid", True),
        ("jacket for men", False),  # an audience: every word after "for" describes
        ("pack of socks", False),  # a quantity: the word before "of" is one
        ("king size duvet cover", False),
        ("kick the bucket", True),  # a determiner after the first word: a clause, not a name
        ("light you carry in your hand", True),
        ("the north face jacket", False),  # a determiner that opens the string says nothing
        ("it belongs to the category vacuums", False),  # a determiner before the facet's name: an answer
    ],
)
def test_a_phrase_after_the_head(text: str, expected: bool) -> None:
    assert postmodified(text.split(), frozenset({"category"})) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("king size duvet cover", ("duvet", "modifier")),  # the longest tail naming a value, not Covers
        ("pot for making tea", None),  # "tea" is not the head; "tea pot" names nothing here
        ("couch potato", None),  # WordNet: a person, no kind of potato
        ("blusher", None),  # WordNet's rouge is a rare sense of "paint", and Paint's path is no cosmetic
        # "dish rack" (the object kept) names Dish Racks, which the embedder does not back; "drying rack" drops the
        # dishes and decides nothing
        ("rack for drying dishes", None),
        ("foundation and primer", None),  # two things joined: the last word is neither's head
        ("exterior primer", ("primers", "modifier")),  # the head the word before it describes
        # a noun far from the path before a homonym head (a primer is a book, a paint, a detonator): a building's
        # base or a cosmetic says which primer, and Hardware's is neither (``homonym_far_from_path``)
        ("foundation primer", None),
    ],
)
def test_where_the_head_is(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bath sheet", None),  # "sheet" is WordNet's bed sheet, but Bed Sheets puts "bed" where the string puts "bath"
        ("china teapot", ("teapots", "modifier")),  # a bare name says nothing against the word before the head
        ("light sheet", None),  # a shade word before no colour makes a compound with the noun: no Bed Sheets
        ("soft covers", None),  # the same before a bare name: "soft toy" is no kind the head alone names
        ("glossy paint", ("paint", "modifier")),  # a finish describes the head; it makes no compound with it
    ],
)
def test_a_head_whose_value_names_another_kind(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected


@pytest.mark.parametrize(
    ("text", "kept", "name", "expected"),
    [
        ("bath sheet", ["bath", "sheet"], "Bed Sheets", True),
        ("flannelette sheets", ["flannelette", "sheets"], "Bed Sheets", True),  # the cost: a fabric the strip missed
        ("king size fitted sheet", ["king", "sheet"], "Bed Sheets", False),  # "fitted" (dropped) is before the head
        ("kids lunch box", ["lunch", "box"], "Lunch Boxes & Totes", False),  # the part of the name with the head
        ("bed sheets", ["bed", "sheets"], "Bed Sheets", False),
        ("wireless earphones", ["wireless", "earphones"], "Headphones", False),  # no word of the name: a synonym
        ("china teapot", ["china", "teapot"], "Teapots", False),
    ],
)
def test_other_kind(text: str, kept: list[str], name: str, expected: bool) -> None:
    assert other_kind(text.split(), kept, Value("v", name, "category")) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("chapstick", None),  # chap + stick: another compound than chop + sticks, no typo of it
        ("chopstiks", ("chopsticks", "fuzzy")),  # a typo: no split into two real words
        ("teaspots", ("teapots", "fuzzy")),  # teas + pots, but one edit from the name: the common typo
        ("winerack", ("wine-racks", "fuzzy")),  # wine + rack, the value's own words run together
    ],
)
def test_a_word_run_together_is_no_typo_of_another_compound(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected


def test_compound_splits() -> None:
    known = {"chap", "stick", "chaps", "tick"}.__contains__
    assert compound_splits("chapstick", known) == [("chap", "stick"), ("chaps", "tick")]
    assert compound_splits("teacup", known) == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("light lantern", True),  # a shade word before a noun names a thing with it
        ("hot plate warmer", True),
        ("light blue lantern", False),  # before a colour it says the colour's shade
        ("pale lilac duvet cover", False),
        ("dark navy sheet", False),
        ("deep dark sheet", False),  # before another shade word
    ],
)
def test_a_shade_word_is_stripped_only_before_a_colour(mapper: Mapper, text: str, kept: bool) -> None:
    stage = next(s for s in mapper.stages if s.name == "modifier")
    words = text.split()
    assert (words[0] in stage.stripper.strip(words, "category")) is kept


def fabric_shop() -> Taxonomy:
    """A fabric that is a category of its own (crafting fabric) and a value of a describing facet."""
    tree = [("crafts", "Crafts", None), ("fabric", "Fabric", "crafts"), ("cotton", "Cotton", "fabric")]
    tree += [("clothing", "Clothing", None), ("shirts", "T-Shirts", "clothing")]
    values = [*category_values(tree), Value("f-cotton", "Cotton", "fabric"), Value("f-silk", "Silk", "fabric")]
    facets = {"category": Facet("category", "Category", hierarchical=True), "fabric": Facet("fabric", "Fabric")}
    return Taxonomy("fabrics", facets, {v.id: v for v in values})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100% cotton", None),  # a share of a material says what a thing is made of, not what it is
        ("100% organic cotton", None),
        ("organic cotton", ("cotton", "modifier")),  # no share stated: the crafting fabric may be meant
        ("100% cotton t-shirts", ("shirts", "modifier")),  # the head is a thing
    ],
)
def test_a_share_of_a_material_is_no_category(text: str, expected: object) -> None:
    m = Mapper(fabric_shop(), use_embeddings=False, cache_dir=CACHE)
    assert outcome(m.map([text], "category")[0]) == expected
