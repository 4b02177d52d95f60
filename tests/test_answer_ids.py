"""Answers given as value ids (the retrieval backend's): checked against the taxonomy and the candidates like a
parsed answer, without the JSON round trip through the mapper; nothing off the taxonomy leaves as a tag."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from tagllm.backends.base import Generation, GenerationRequest
from tagllm.backends.retrieval import RetrievalBackend
from tagllm.config import TaggerConfig
from tagllm.mapping import Mapper
from tagllm.mapping.answers import answer_from_ids
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger
from tagllm.taxonomy import Taxonomy, load_taxonomy

FACETS = ["category", "color", "material", "audience"]


@pytest.fixture(scope="module")
def demo() -> Taxonomy:
    return load_taxonomy("demo")


def tags_of(answer: object) -> dict[str, list[tuple[str, str, str, float]]]:
    return {f: [(v.id, i.raw, i.method, i.score) for v, i in vals] for f, vals in answer.tags.items()}  # type: ignore[attr-defined]


def test_ids_give_what_the_mapper_gives_for_the_same_answer_as_json(demo: Taxonomy) -> None:
    ids = {"category": ["apparel-tshirts"], "color": ["color-red", "color-blue"], "material": [], "audience": []}
    written = {"category": "apparel-tshirts", "color": ["color-red", "color-blue"], "material": None, "audience": None}
    mapped = Mapper(demo, use_embeddings=False).map_answer(json.dumps(written), FACETS)
    answer = answer_from_ids(demo, ids, FACETS, parsed=written)
    assert (
        tags_of(answer)
        == tags_of(mapped)
        == {
            "category": [("apparel-tshirts", "apparel-tshirts", "id", 1.0)],
            "color": [("color-red", "color-red", "id", 1.0), ("color-blue", "color-blue", "id", 1.0)],
        }
    )
    assert (answer.rejected, answer.parsed) == (mapped.rejected, mapped.parsed)
    assert (answer.raw_strings, answer.off_taxonomy) == (mapped.raw_strings, mapped.off_taxonomy) == (3, 0)


def test_ids_off_the_taxonomy_another_facet_or_not_allowed_are_rejected(demo: Taxonomy) -> None:
    ids = {
        "category": ["no-such-value", "apparel-tshirts"],
        "color": ["material-cotton", "color-red", "color-blue"],
        "audience": ["audience-women"],
    }
    allowed = {"color": {"color-red"}}
    answer = answer_from_ids(demo, ids, ["category", "color"], allowed=allowed)
    assert {f: [v.id for v, _ in vals] for f, vals in answer.tags.items()} == {
        "category": ["apparel-tshirts"],
        "color": ["color-red"],
    }
    assert [(r.facet, r.text) for r in answer.rejected] == [
        ("category", "no-such-value"),
        ("color", "material-cotton"),
        ("color", "color-blue"),
        ("audience", "audience-women"),
    ]
    assert "not among the allowed values" in answer.rejected[2].reason
    assert "not asked for" in answer.rejected[3].reason


def test_single_valued_facet_keeps_one_and_a_path_folds_into_its_leaf(demo: Taxonomy) -> None:
    answer = answer_from_ids(demo, {"category": ["apparel", "apparel-tshirts"]}, ["category"])
    assert [v.id for v, _ in answer.tags["category"]] == ["apparel-tshirts"]


class _OffTaxonomy(RetrievalBackend):
    """The retrieval backend, with one id that is no value slipped into each answer."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        generations = super().generate(requests)
        for generation in generations:
            assert generation.ids is not None
            generation.ids["category"] = ["made-up-category", *generation.ids["category"]]
        return generations


def test_tagger_lets_no_off_taxonomy_id_out(demo_taxonomy, demo_index_dir, embedder) -> None:  # type: ignore[no-untyped-def]
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    config = TaggerConfig(k=5)
    plain = Tagger(demo_taxonomy, index=index, embedder=embedder, config=config)
    tampered = Tagger(demo_taxonomy, index=index, embedder=embedder, backend=_OffTaxonomy(demo_taxonomy), config=config)
    products = [{"id": "p1", "title": "Men's cotton crew neck t-shirt"}, {"id": "p2", "title": "Steel frying pan"}]
    for expected, result in zip(plain.tag(products), tampered.tag(products), strict=True):
        assert all(t.id in demo_taxonomy.values for tags in result.tags.values() for t in tags)
        assert result.tags == expected.tags
        assert [(r.facet, r.text) for r in result.rejected] == [("category", "made-up-category")]
