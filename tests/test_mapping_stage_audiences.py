"""Checks that keep two later stages off values a string does not mean: the lexical stage's audience check (a WordNet
compound whose head names a value narrowed to an audience the string does not name, ``LexicalStage._audience_unsaid``)
and the embedding stage's (a label followed by a word that names an act or an offer, no thing:
``EmbeddingStage._no_thing_follows``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.embedding import EmbeddingStage, word_after
from tagllm.taxonomy import Facet, Taxonomy, Value

ROWS = [
    ("animals", "Animals & Pet Supplies", None),
    ("pets", "Pet Supplies", "animals"),
    ("feeders", "Pet Bowls, Feeders & Waterers", "pets"),
    ("bowls", "Bowls", "feeders"),
    ("baby", "Baby & Toddler", None),
    ("diapering", "Diapering", "baby"),
    ("diapers", "Diapers", "diapering"),
    ("arts", "Arts & Entertainment", None),
    ("party", "Party & Celebration", "arts"),
    ("giving", "Gift Giving", "party"),
    ("wrapping", "Gift Wrapping", "giving"),
]


def _taxonomy() -> Taxonomy:
    values: dict[str, Value] = {}
    for vid, name, parent in ROWS:
        path = f"{values[parent].path} > {name}" if parent else name
        values[vid] = Value(vid, name, "category", parent, path)
    return Taxonomy("stage-audiences", {"category": Facet("category", "Category", hierarchical=True)}, values)


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    """Pets' feeding bowls, babies' diapers, gift wrapping; WordNet read, no embedder."""
    mapper = Mapper(_taxonomy(), use_embeddings=False, cache_dir=Path(tmp_path_factory.mktemp("cache")))
    mapper.map(["hoover"], "category")  # WordNet is read when a string first reaches the lexical stage
    return mapper


def test_a_compound_for_no_named_audience_is_not_the_audiences_value(mapper: Mapper) -> None:
    """WordNet's "goldfish bowl" is a kind of bowl, and the lexical stage climbed to the pets' Bowls; "goldfish" is a
    word the pets' path does not hold, so it is no pet's feeding bowl. A word WordNet reads whole as the value's
    synonym ("nappies") has no word beside the name's, and is still the babies' Diapers; "dog bowl" names one."""
    texts = ["goldfish bowl", "nappies", "bowls"]
    got = {text: m.value.id if m.value else None for text, m in zip(texts, mapper.map(texts, "category"), strict=True)}
    assert got == {"goldfish bowl": None, "nappies": "diapers", "bowls": "bowls"}
    stage = mapper.lexical
    assert stage is not None
    assert stage._audience_unsaid("goldfish bowl", "bowls") is True  # type: ignore[attr-defined]
    assert stage._audience_unsaid("dog bowl", "bowls") is False  # type: ignore[attr-defined]
    assert stage._audience_unsaid("nappies", "diapers") is False  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "follows"),
    [
        ("gift wrapping service", True),  # a service: WordNet's first sense is an act
        ("gift wrapping available", True),  # an adjective, no noun: the string offers the label's thing
        ("Gift wrapping available at checkout", True),
        ("gift wrapping paper", False),  # paper is a thing
        ("gift wrapping", False),  # nothing follows the label
        ("paper for gift wrapping", False),
    ],
)
def test_a_label_followed_by_an_act_or_an_offer(mapper: Mapper, text: str, follows: bool) -> None:
    stage = EmbeddingStage.shared(mapper)
    assert stage._no_thing_follows(text, "Gift Wrapping") is follows


def test_the_word_after_a_label() -> None:
    assert word_after("gift wrapping service", "Gift Wrapping") == "service"
    assert word_after("Gift-wrapping services offered", "gift wrapping") == "services"
    assert word_after("gift wrapping", "Gift Wrapping") is None
    assert word_after("wrapping gift", "Gift Wrapping") is None
