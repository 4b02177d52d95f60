"""The modifier stage's audience check: a value in a branch narrowed to an audience (a pet's, a baby's) that the string
does not name is not taken when a word beside the head is a word WordNet knows that the value's path does not hold
(``modifier_checks.audience_unsaid``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.modifier_checks import audience_unsaid
from tagllm.mapping.modifiers import ModifierStage
from tagllm.taxonomy import Facet, Taxonomy, Value

ROWS = [
    ("animals", "Animals & Pet Supplies", None),
    ("pets", "Pet Supplies", "animals"),
    ("agility", "Pet Agility Equipment", "pets"),
    ("poles", "Poles", "agility"),
    ("leashes", "Leashes", "pets"),
    ("grooming", "Pet Grooming Supplies", "pets"),
    ("perfumes", "Perfumes", "grooming"),
    ("baby", "Baby & Toddler", None),
    ("feeding", "Nursing & Feeding", "baby"),
    ("sterilizers", "Bottle Warmers & Sterilizers", "feeding"),
    ("diapering", "Diapering", "baby"),
    ("diapers", "Diapers", "diapering"),
    ("home", "Home & Garden", None),
    ("kitchen", "Kitchen & Dining", "home"),
    ("teapots", "Teapots", "kitchen"),
]


def _taxonomy() -> Taxonomy:
    values: dict[str, Value] = {}
    for vid, name, parent in ROWS:
        path = f"{values[parent].path} > {name}" if parent else name
        values[vid] = Value(vid, name, "category", parent, path)
    return Taxonomy("audiences", {"category": Facet("category", "Category", hierarchical=True)}, values)


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    """A small tree with WordNet read (no embedder): pets' poles and perfumes, babies' bottles and diapers, teapots."""
    mapper = Mapper(_taxonomy(), use_embeddings=False, cache_dir=Path(tmp_path_factory.mktemp("cache")))
    mapper.map(["hoover"], "category")  # WordNet is read when a string first reaches the lexical stage
    return mapper


@pytest.mark.parametrize(
    ("words", "beside", "value", "unsaid"),
    [
        (["car", "perfume"], ["car"], "perfumes", True),  # a car's perfume: nothing on the pets' path says car
        (["trekking", "poles"], ["trekking"], "poles", True),  # WordNet knows "trek", the root
        (["dog", "perfume"], ["dog"], "perfumes", False),  # an audience named: the audience checks' to judge
        (["pack", "of", "diapers"], ["pack", "of"], "diapers", False),  # a count and a link say no other thing
        (["bottle", "sterilizers"], ["bottle"], "sterilizers", False),  # the path holds Bottle
        (["gp", "poles"], ["gp"], "poles", False),  # two letters are a code, no noun
        (["wooden", "teapot"], ["wooden"], "teapots", False),  # Home & Garden is narrowed to no audience
        (["retractable", "leash"], ["retractable"], "leashes", False),  # an adjective describes the leash itself
        (["western", "poles"], ["western"], "poles", False),  # a noun too ("a western"), but an adjective first
    ],
)
def test_a_word_the_narrowed_path_does_not_hold(
    mapper: Mapper, words: list[str], beside: list[str], value: str, unsaid: bool
) -> None:
    stage = next(s for s in mapper.stages if isinstance(s, ModifierStage))
    assert audience_unsaid(mapper, stage.vocab, words, beside, value) is unsaid


def test_the_modifier_stage_leaves_another_audiences_thing_unmapped(embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With the embedder judging heads (it takes "trekking poles" without the check), it is not the pets'
    Poles; the plain names, "dog perfume" (an audience named), "pack of diapers" (a count) and "retractable
    leash" (an adjective describing the leash) still are named."""
    mapper = Mapper(_taxonomy(), embedder=embedder, cache_dir=tmp_path)
    texts = ["trekking poles", "perfumes", "poles", "dog perfume", "pack of diapers", "retractable leash"]
    got = {text: m.value.id if m.value else None for text, m in zip(texts, mapper.map(texts, "category"), strict=True)}
    assert got == {
        "trekking poles": None,
        "perfumes": "perfumes",
        "poles": "poles",
        "dog perfume": "perfumes",
        "pack of diapers": "diapers",
        "retractable leash": "leashes",
    }
