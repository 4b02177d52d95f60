"""The checks that keep rules from guessing (the embedder's agreement with a WordNet landing or a stripped phrase) and
the word rules added with them: a facet's kind words, a value named inside a phrase, units after numbers, materials
written before a category."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from test_mapping_stages import FakeEmbedder

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.agreement import modifier_rivals
from tagllm.mapping.keys import keys
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the lexical stage needs tagllm[lexicon]")

CACHE = Path(tempfile.mkdtemp(prefix="tagllm-agreement-"))


def store() -> Taxonomy:
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "closure-type": Facet("closure-type", "Closure type"),
        "heel-height-type": Facet("heel-height-type", "Heel height type"),
        "fabric": Facet("fabric", "Fabric"),
    }
    tree = [
        ("home", "Home", None),
        ("heat", "Furnaces & Boilers", "home"),
        ("boilers", "Boilers", "heat"),
        ("kitchen", "Kitchen Appliances", "home"),
        ("kettles", "Electric Kettles", "kitchen"),
        ("furniture", "Furniture", None),
        ("sofas", "Sofas", "furniture"),
        ("crafts", "Crafts", None),
        ("velvet", "Velvet", "crafts"),
        ("electronics", "Electronics", None),
        ("laptops", "Laptops", "electronics"),
        ("toys", "Toys", None),
        ("spinning-tops", "Spinning Tops", "toys"),
        ("apparel", "Apparel", None),
        ("clothing-tops", "Clothing Tops", "apparel"),
    ]
    values = category_values(tree)
    values += [Value(f"c-{n.lower()}", n, "closure-type") for n in ["Zipper", "Buttons", "Buckles", "Toggle", "Snap"]]
    values += [Value(f"h-{n.lower()}", n, "heel-height-type") for n in ["Flat", "High", "Very high", "Low"]]
    values += [Value(f"f-{n.lower()}", n, "fabric") for n in ["Velvet", "Cotton"]]
    return Taxonomy("store", facets, {v.id: v for v in values})


def outcome(m: Mapped) -> tuple[str | None, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    embedder = FakeEmbedder(
        {"kettle": 0, "kettles": 0, "sofa": 1, "sofas": 1, "laptop": 2, "laptops": 2, "tops": 3, "spinning": 4}
    )
    return Mapper(store(), embedder=embedder, embedding_threshold=1.5, cache_dir=CACHE)


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("category", "kettle", None),  # WordNet's kettle is a boiler; the taxonomy's Electric Kettles is far nearer
        ("category", "velvet sofa", ("sofas", "modifier")),  # a material before the head, though Velvet is a category
        ("category", "14 inch laptop", ("laptops", "modifier")),  # a unit after a number measures the thing
        ("closure-type", "toggle fastening", ("c-toggle", "lead")),  # the value first, a class word after it
        ("heel-height-type", "very high heels", ("h-very high", "lead")),  # the value named by the first words
    ],
)
def test_rules_checked_and_word_rules(mapper: Mapper, facet: str, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], facet)[0]) == expected


def test_a_wordnet_landing_gives_way_to_the_taxonomys_own_word(mapper: Mapper) -> None:
    assert mapper.lexical is not None
    assert mapper.lexical.land("kettle", "category") == ["boilers"]  # what WordNet alone says: the rule proposes
    assert mapper.map(["kettle"], "category")[0].value is None  # Electric Kettles is nearer: the landing is dropped


def test_a_wordnet_landing_on_one_of_the_values_sharing_the_word_must_be_the_nearest(mapper: Mapper) -> None:
    assert mapper.lexical is not None
    # WordNet's spinning top is a sense of "tops"; Clothing Tops holds the word as well and is nearer the string
    assert mapper.lexical.land("tops", "category") == ["spinning-tops"]
    assert mapper.map(["tops"], "category")[0].value is None


def test_a_value_that_narrows_the_word_or_uses_it_as_a_modifier_is_no_rival() -> None:
    tree = [
        ("apparel", "Apparel", None),
        ("tops", "Clothing Tops", "apparel"),
        ("sweaters", "Sweaters", "tops"),
        ("baby", "Baby Gear", None),
        ("baby-jumpers", "Baby Jumpers", "baby"),
        ("vehicles", "Vehicle Tools", None),
        ("cables", "Vehicle Jumper Cables", "vehicles"),
    ]
    taxonomy = Taxonomy(
        "jumpers",
        {"category": Facet("category", "Category", hierarchical=True)},
        {v.id: v for v in category_values(tree)},
    )
    embedder = FakeEmbedder({"jumper": 0, "jumpers": 0})  # the string is nearest the values that write its word
    mapper = Mapper(taxonomy, embedder=embedder, embedding_threshold=1.5, cache_dir=CACHE / "jumpers")
    assert mapper.lexical is not None and mapper.lexical.land("jumper", "category") == ["sweaters"]
    # Baby Jumpers narrows the word to an audience the string does not say; Jumper Cables are cables
    assert outcome(mapper.map(["jumper"], "category")[0]) == ("sweaters", "lexical")
    assert outcome(mapper.map(["baby jumper"], "category")[0]) != ("sweaters", "lexical")


def test_a_rare_words_climb_is_checked_by_its_senses_names_and_definition() -> None:
    tree = [
        ("home", "Home", None),
        ("bedding", "Bedding", "home"),
        ("quilts", "Quilts & Comforters", "bedding"),
        ("media", "Media", None),
        ("ebooks", "E-Books", "media"),
        ("apparel", "Apparel", None),
        ("coats", "Coats", "apparel"),
        ("raincoats", "Raincoats", "coats"),
        ("computers", "Computers", None),
        ("macs", "Mac Computers", "computers"),
    ]
    taxonomy = Taxonomy(
        "rare", {"category": Facet("category", "Category", hierarchical=True)}, {v.id: v for v in category_values(tree)}
    )
    # the words' own embeddings point at the wrong shelves; WordNet's definitions name the kinds
    axes = {"eiderdown": 0, "e-books": 0, "quilt": 1, "quilts": 1, "mac": 2, "raincoat": 3, "raincoats": 3}
    mapper = Mapper(taxonomy, embedder=FakeEmbedder(axes), embedding_threshold=1.5, cache_dir=CACHE / "rare")
    assert mapper.lexical is not None and mapper.lexical.land("eiderdown", "category") == ["quilts"]
    # "eiderdown, duvet, continental quilt: a soft quilt ..." is nearest Quilts & Comforters
    assert outcome(mapper.map(["eiderdown"], "category")[0]) == ("quilts", "lexical")
    # "mac" is a clipping of mackintosh, its sense's other name: as often a computer, so its definition decides nothing
    assert mapper.lexical.land("mac", "category") == ["raincoats"]
    assert mapper.map(["mac"], "category")[0].value is None


def test_values_one_sense_names_together_are_told_apart_by_its_definition() -> None:
    tree = [
        ("health", "Health", None),
        ("hair-care", "Hair Care", "health"),
        ("hair-dryers", "Hair Dryers", "hair-care"),
        ("home", "Home", None),
        ("bathroom", "Bathroom", "home"),
        ("hand-dryers", "Hand Dryers", "bathroom"),
    ]
    taxonomy = Taxonomy(
        "dryers",
        {"category": Facet("category", "Category", hierarchical=True)},
        {v.id: v for v in category_values(tree)},
    )
    axes = {"dryer": 0, "dryers": 0, "hair": 1, "hand": 2}  # "blow dryer" is as near the one as the other
    mapper = Mapper(taxonomy, embedder=FakeEmbedder(axes), embedding_threshold=1.5, cache_dir=CACHE / "dryers")
    assert mapper.lexical is not None
    assert sorted(mapper.lexical.land("blow dryer", "category")) == ["hair-dryers", "hand-dryers"]
    # WordNet's one sense, "hand blower, blow dryer, …, hair dryer: … blow warm air onto the hair", says which
    assert outcome(mapper.map(["blow dryer"], "category")[0]) == ("hair-dryers", "lexical")


def test_namesakes_off_the_senses_shelves_are_left_out_before_the_plain_one_is_chosen() -> None:
    tree = [
        ("apparel", "Apparel & Accessories", None),
        ("clothing", "Clothing", "apparel"),
        ("outerwear", "Outerwear", "clothing"),
        ("vests", "Vests", "outerwear"),
        ("activewear", "Activewear", "clothing"),
        ("active-vests", "Vests", "activewear"),
        ("animals", "Animals & Pet Supplies", None),
        ("harnesses", "Pet Collars & Harnesses", "animals"),
        ("pet-vests", "Vests", "harnesses"),
    ]
    taxonomy = Taxonomy(
        "vests",
        {"category": Facet("category", "Category", hierarchical=True)},
        {v.id: v for v in category_values(tree)},
    )
    mapper = Mapper(taxonomy, embedder=FakeEmbedder({}), embedding_threshold=1.5, cache_dir=CACHE / "vests")
    # WordNet's waistcoat is a garment: the clothing shelves agree, the pets' does not; of the two left, the plain one
    assert outcome(mapper.map(["waistcoat"], "category")[0]) == ("vests", "lexical")


def test_a_compound_whose_modifier_names_a_nearer_value_is_not_the_landing_with_another_modifier() -> None:
    """WordNet's one synset holds "fire alarm" and "smoke alarm", so the lexical stage lands "smoke alarm" on Fire
    Alarms; the taxonomy tells the two apart, and Smoke Detectors, which names "smoke", is nearer the string: the
    landing is left open. "fire alarm" is the value's own name; a value that gives the head no other word of its
    own (Alarms) or one the string holds has no such rivals."""
    tree = [
        ("home", "Home & Garden", None),
        ("safety", "Fire Safety", "home"),
        ("fire-alarms", "Fire Alarms", "safety"),
        ("smoke-detectors", "Smoke Detectors", "safety"),
        ("alarms", "Alarms", "home"),
    ]
    taxonomy = Taxonomy(
        "alarms",
        {"category": Facet("category", "Category", hierarchical=True)},
        {v.id: v for v in category_values(tree)},
    )
    axes = {"smoke": 0, "alarm": 0}  # the string is nearest the value that writes its modifier
    mapper = Mapper(taxonomy, embedder=FakeEmbedder(axes), embedding_threshold=1.5, cache_dir=CACHE / "alarms")
    assert mapper.lexical is not None
    assert mapper.lexical.land("smoke alarm", "category") == ["fire-alarms"]
    assert mapper.map(["smoke alarm"], "category")[0].value is None
    assert outcome(mapper.map(["fire alarm"], "category")[0]) == ("fire-alarms", "normalized")
    assert modifier_rivals(mapper, "smoke alarm", "fire-alarms", "category", frozenset()) == {"smoke-detectors"}
    assert modifier_rivals(mapper, "smoke alarm", "alarms", "category", frozenset()) == frozenset()
    assert modifier_rivals(mapper, "fire smoke alarm", "fire-alarms", "category", frozenset()) == frozenset()
    smoke = frozenset({keys("smoke")[1]})  # "smoke" as a describing facet's value (a colour, say) is no kind
    assert modifier_rivals(mapper, "smoke alarm", "fire-alarms", "category", smoke) == frozenset()
