"""The wording stage: a description read by its own words against each value's name and WordNet sense, taken only
when one value covers them all and its head, far ahead of any other, and the embedder agrees."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_mapping_stages import FakeEmbedder

from tagllm.mapping import Mapper
from tagllm.mapping.wording import WordingStage, root_of
from tagllm.taxonomy import Facet, Taxonomy
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the wording stage reads WordNet's senses: tagllm[lexicon]")

AXES = {"toasting": 0, "toasters": 0, "wheels": 1, "wheelchairs": 1, "folds": 2, "folding": 2}
"""The fake embedder's shared words, so that the whole string agrees with the value its words cover."""


def home(*extra: tuple[str, str, str | None, str]) -> Taxonomy:
    tree = [
        ("home", "Home", None, ""),
        ("appliances", "Kitchen Appliances", "home", ""),
        ("toasters", "Toasters", "appliances", ""),
        ("kettles", "Electric Kettles", "appliances", ""),
        ("furniture", "Furniture", None, ""),
        ("chairs", "Chairs", "furniture", ""),
        ("folding", "Folding Chairs", "chairs", ""),
        ("mobility", "Mobility Aids", None, ""),
        ("wheelchairs", "Wheelchairs", "mobility", ""),
        *extra,
    ]
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    return Taxonomy("wording", facets, {v.id: v for v in category_values(tree)})


def read(mapper: Mapper, text: str) -> tuple[str | None, str | None]:
    """What the wording stage alone makes of a string: (value id, method), or (None, None) when it leaves it open."""
    [stage] = [s for s in mapper.stages if isinstance(s, WordingStage)]
    outcome = mapper.lookup([text], "category", [stage]).done.get(text)
    if outcome is None or outcome.mapped.value is None:
        return None, None
    return outcome.mapped.value.id, outcome.mapped.method


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    return Mapper(home(), embedder=FakeEmbedder(AXES), cache_dir=tmp_path_factory.mktemp("wording"))


def test_the_stage_runs_after_the_gloss_stage(mapper: Mapper) -> None:
    names = [s.name for s in mapper.stages]
    assert names.index("wording") == names.index("gloss") + 1


def test_a_description_whose_words_one_value_covers_is_read_as_it(mapper: Mapper) -> None:
    # WordNet: wheelchair, "a movable chair mounted on large wheels" (its hypernym is chair)
    assert read(mapper, "chair on wheels") == ("wheelchairs", "wording")
    # folding chair, "a chair that can be folded flat for storage": "folds" meets "folding" and "folded"
    assert read(mapper, "chair that folds flat") == ("folding", "wording")


def test_a_generic_head_needs_a_made_thing_and_three_words(mapper: Mapper) -> None:
    # toaster, "a kitchen appliance (usually electric) for toasting bread"
    assert read(mapper, "electric kitchen machine for toasting bread") == ("toasters", "wording")
    assert read(mapper, "machine for toasting bread") == (None, None)  # two words say too little with no head


def test_a_word_no_value_covers_decides_nothing(mapper: Mapper) -> None:
    assert read(mapper, "chair that folds and rocks") == (None, None)  # nothing said of Folding Chairs rocks
    assert read(mapper, "wheels for a shopping trolley") == (None, None)  # no value's name or sense holds "wheels"


def test_a_runner_up_that_covers_more_than_half_as_much_decides_nothing(tmp_path: Path) -> None:
    camp = ("camp", "Folding Camp Chairs", "chairs", "")
    mapper = Mapper(home(camp), embedder=FakeEmbedder(AXES), cache_dir=tmp_path)
    assert read(mapper, "chair that folds flat") == (None, None)  # Folding Camp Chairs covers two of its three words


def test_inflected_and_agent_forms_meet_on_one_root() -> None:
    assert root_of("washes") == root_of("washer") == root_of("washing") == root_of("wash")
    assert root_of("folds") == root_of("folding") == root_of("folded") == root_of("fold")
    assert root_of("chopping") == root_of("chop")


def test_the_head_must_be_in_the_values_name_or_kinds_not_only_its_definition(mapper: Mapper) -> None:
    # toaster, "a kitchen appliance (usually electric) for toasting bread": Toasters covers "bread" and "toasting",
    # but a description headed by "bread" is of bread, not of the appliance that toasts it
    assert read(mapper, "bread for toasting") == (None, None)


def test_a_generic_head_takes_no_value_whose_sense_is_not_a_made_thing(tmp_path: Path) -> None:
    # banana, "elongated crescent-shaped yellow fruit with soft sweet flesh": a food, not WordNet's artifact
    fruit = [("food", "Food", None, ""), ("fruits", "Fruits", "food", ""), ("bananas", "Bananas", "fruits", "")]
    mapper = Mapper(home(*fruit), embedder=FakeEmbedder({"flesh": 5, "bananas": 5}), cache_dir=tmp_path)
    assert read(mapper, "thing with soft sweet flesh") == (None, None)


def test_a_value_the_embedder_puts_behind_another_decides_nothing(tmp_path: Path) -> None:
    # the words cover Wheelchairs, but the whole string's embedding is far nearer Chairs (no ancestor of it)
    mapper = Mapper(home(), embedder=FakeEmbedder({"chair": 3, "chairs": 3}), cache_dir=tmp_path)
    assert read(mapper, "chair on wheels") == (None, None)
