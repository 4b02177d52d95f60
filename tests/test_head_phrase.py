"""Which segment of a title is its head phrase when no segment has three words: the one naming a product, never a
complement ("…, with 20 Laminating Pouches") while another names one, and "&" or "and" is no word of a phrase."""

from __future__ import annotations

import pytest

from tagllm.candidates.head_words import head_finder
from tagllm.candidates.title_head import HeadFinder
from tagllm.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def find() -> HeadFinder:
    return head_finder(load_taxonomy("shopify"), "category")


@pytest.mark.parametrize(
    ("title", "phrase", "word"),
    [
        # "Hot & Cold" counted three words, "and" among them, and was taken over the product's two
        ("A4 Laminator Machine, Hot & Cold, with 20 Laminating Pouches", "a4 laminator machine", "machine"),
        # a brand and a material, then the product: the longest segment was the first of two
        ("Voylla Metal, Alloy Necklace", "alloy necklace", "necklace"),
        ("barbarik Wayfarer, Aviator Sunglasses", "aviator sunglasses", "sunglass"),
        # a complement is still read where no other segment names a product
        ("REDMOMD RF-510 1600W, compact, with cool air shot Hair Dryer", "with cool air shot hair dryer", "dryer"),
        # a segment of three words is taken first, as before: a brand and an occasion do not stop it
        ("Membooz Casual, Party Sleeveless Women's Top", "party sleeveless women s top", "top"),
    ],
)
def test_the_segment_naming_the_product_is_the_head_phrase(
    find: HeadFinder, title: str, phrase: str, word: str
) -> None:
    head = find(title)
    assert (" ".join(find.phrase_words(title)), head.word) == (phrase, word)


@pytest.mark.parametrize(
    ("title", "phrase", "word"),
    [
        # "in" starts a complement: where the product is kept was read as the product (box, jar)
        ("Cufflinks in Gift Box", "cufflinks", "cufflink"),
        ("Candle in Amber Glass Jar", "candle", "candle"),
        # but not joined by a hyphen to the word before it (a particle: the phrase was cut at "plug", head "wall")
        ("Wall Chime Plug-In", "wall chime plugin", "chime"),
        # nor capitalised after a word that takes "in" as a particle, in a title that writes its prepositions in
        # lower case ("for"): the phrase was cut at "plug", head "plug", and the night light read as a bulb
        ("Plug In Night Light for Kids Bedroom", "plugin night light", "light"),
        # a word that takes no particle "in" keeps it a preposition, capitalised or not
        ("Scented Candle In Glass Jar for Her", "scented candle", "candle"),
        # and a title that capitalises every word says nothing by its case: "in" starts a complement, as before
        ("Plug In Night Light Dusk To Dawn", "plug", "plug"),
        # after a noun other words modify, a capitalised "In" is a seller's preposition, though WordNet has the noun
        # as a verb that takes "in" ("glass in", "frame in"): it read "crystal wine glassin gift box", a box
        ("Crystal Wine Glass In Gift Box for Her", "crystal wine glass", "glass"),
        ("Picture Frame In Oak for 5x7 Photos", "picture frame", "frame"),
        # nor in a count ("3 in 1")
        ("Cable 3 in 1 Charging Lead", "cable 3 in 1 charging lead", "lead"),
        # nor after a number, where it is inches: "Lodge Cast Iron 10 in" was the phrase, head "iron"
        ("Lodge Cast Iron 10 in Skillet", "lodge cast iron 10 in skillet", "skillet"),
        ("Round Wall Mirror 24.5 in Brass Frame", "round wall mirror 24 5 in brass frame", "mirror"),
    ],
)
def test_in_starts_a_complement_unless_a_particle_a_count_or_inches(
    find: HeadFinder, title: str, phrase: str, word: str
) -> None:
    assert (" ".join(find.phrase_words(title)), find(title).word) == (phrase, word)


@pytest.mark.parametrize(
    ("title", "word"),
    [
        # no category's name holds "pyjama" or "nappy": WordNet's pajama and diaper, their most frequent senses, do
        ("Girls Long Sleeve Cotton Pyjama Set, Unicorn Print, Age 7-8", "pyjama"),
        ("Pampers Baby-Dry Nappies Size 4, 174 Nappies Monthly Pack", "nappy"),
        ("Ladies Cotton Nightdress Short Sleeve Lace Trim Nightie", "nighty"),
    ],
)
def test_a_word_whose_usual_sense_another_name_heads_is_a_head(find: HeadFinder, title: str, word: str) -> None:
    assert find(title).word == word


def test_a_word_naming_a_made_thing_only_in_a_rarer_sense_is_no_head(find: HeadFinder) -> None:
    # WordNet's "wireless" is a radio and "silver" flatware, but neither is the word's most frequent sense
    assert {"pyjama", "nappy"} <= find.known
    assert not {"wireless", "silver"} & find.known


def test_a_compound_written_apart_is_read_as_the_closed_name() -> None:
    # "Shoelaces" is one word in the taxonomy; read apart, "shoe" heads the shoes' names as well as "lace" the laces'
    finder = HeadFinder({"shoelace", "sho", "lace", "flat"})
    assert finder("Flat Shoe Laces for Trainers, 2 Pairs").word == "shoelace"
    # a value's own two-word name stays two words, and halves shorter than three letters are never joined
    assert HeadFinder({"shoelace", "sho", "lace"}, {("lace", "sho")})("Shoe Laces").word == "lace"
    assert HeadFinder({"ttop", "top"})("Women T Top").word == "top"


def test_a_compound_whose_first_half_is_written_in_the_plural_closes_in_the_singular() -> None:
    # "Dolls House" (the British "dolls' house") is Shopify's "Dollhouses": read apart, "house" headed the title
    finder = HeadFinder({"dollhouse", "doll", "house", "wooden"})
    assert finder("Wooden Dolls House with 20 Pieces of Furniture").word == "dollhouse"
    # the singular is tried only after the words as written, and only where the first half looks plural
    assert HeadFinder({"dollshouse", "dollhouse", "house"})("Dolls House").word == "dollshouse"
    assert HeadFinder({"dollhouse", "house"})("Doll House").word == "dollhouse"
    assert HeadFinder({"dollhouse", "house"})("Dollz House").word == "house"


def test_the_shopify_keychain_is_read_from_key_chain(find: HeadFinder) -> None:
    assert find("Men's Leather Keyring Key Chain with Detachable Key Ring").word == "keychain"
