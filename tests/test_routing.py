"""Routing mode: the default tags every product, the products under a threshold go to the LLM backend with the
default's candidates, each result says which path made it, and an LLM failure keeps the default's tags."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.config import TaggerConfig, load_config
from tagllm.errors import ConfigError, RetryableBackendError
from tagllm.models import Candidate, Product, Provenance, RecordError, Rejection, Tag, TagResult
from tagllm.routing import facet_confidence, parse_threshold
from tagllm.taxonomy import Taxonomy

PRODUCTS = [
    Product(id="dress", title="Women's red floral cotton dress"),
    Product(id="earbuds", title="Wireless bluetooth earbuds, black"),
    Product(id="case", title="Clear plastic phone case"),
    Product(id="boots", title="Leather boots", brand="Dr. Martens"),
    Product(id="thing", title="Thing"),
]


class LastCandidate(Backend):
    """An LLM stand-in: answers each facet with its last candidate (never the default's pick when there are
    several), or fails the products named in ``fail``; keeps every batch it was given."""

    name = "scripted"
    needs_prompt = True
    supports_schema = True

    def __init__(self, fail: dict[str, RecordError] | None = None, raises: Exception | None = None) -> None:
        self.fail = fail or {}
        self.raises = raises
        self.calls: list[list[GenerationRequest]] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        self.calls.append(list(requests))
        if self.raises is not None:
            raise self.raises
        out = []
        for request in requests:
            if request.product.id in self.fail:
                out.append(Generation(error=self.fail[request.product.id]))
                continue
            answer = {facet: cands[-1].id if cands else None for facet, cands in request.candidates.items()}
            out.append(Generation(text=json.dumps(answer)))
        return out


def _tagger(taxonomy: Taxonomy, embedder: Any, index_dir: Path, backend: Backend | None = None, **config: Any) -> Any:
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger

    index = ExampleIndex.load(index_dir, taxonomy=taxonomy, embedder=embedder.name)
    settings: dict[str, Any] = {"k": 5, "max_candidates": 4, "facets": ["category"], **config}
    return Tagger(taxonomy, index=index, embedder=embedder, backend=backend, config=TaggerConfig(**settings))


@pytest.fixture(scope="module")
def plain(demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path) -> dict[str, TagResult]:
    """What the default alone answers for the products (category only)."""
    return {r.product_id: r for r in _tagger(demo_taxonomy, embedder, demo_index_dir).tag(PRODUCTS)}


def _between_lowest_two(plain: dict[str, TagResult], facet: str = "category") -> tuple[float, str]:
    """A threshold under which exactly one product falls (the one the default is least sure of), and that id."""
    ranked = sorted(plain.values(), key=lambda r: facet_confidence(r, facet))
    low, next_low = (facet_confidence(r, facet) for r in ranked[:2])
    assert low < next_low
    return (low + next_low) / 2, ranked[0].product_id


def test_only_the_products_under_the_threshold_go_to_the_llm_with_the_default_candidates(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path, plain: dict[str, TagResult]
) -> None:
    threshold, unsure = _between_lowest_two(plain)
    assert unsure == "thing"  # a title that says nothing is what the default is least sure of
    backend = LastCandidate()
    results = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, route_threshold=threshold).tag(PRODUCTS)
    assert [r.product_id for r in results] == [p.id for p in PRODUCTS]
    assert [[r.product.id for r in call] for call in backend.calls] == [["thing"]]  # one batch call
    request = backend.calls[0][0]
    default = plain["thing"]
    assert default.provenance is not None
    assert request.candidates == {"category": default.provenance.candidates["category"]}
    assert request.messages and request.schema  # the LLM path's prompt and constraint
    by_id = {r.product_id: r for r in results}
    routed = by_id["thing"]
    assert (routed.status, routed.source) == ("ok", "llm")
    assert routed.provenance is not None and routed.provenance.backend == "scripted"
    best = routed.best("category")
    assert best is not None and best.id == request.candidates["category"][-1].id and best.source == "llm"
    assert routed.routing is not None
    assert routed.routing.below == ["category"]
    assert routed.routing.confidence == {"category": facet_confidence(default, "category")}
    assert routed.routing.error is None
    for pid in ("dress", "earbuds", "case", "boots"):
        kept = by_id[pid]
        assert kept.source == "default" and kept.provenance is not None and kept.provenance.backend == "retrieval"
        assert kept.tags == plain[pid].tags  # exactly the default's answer
        assert kept.routing is not None and kept.routing.below == [] and kept.routing.error is None
        assert {t.source for t in kept.tags["category"]} <= {"retrieval", "ancestor"}


def test_nothing_is_routed_under_threshold_zero_and_everything_under_one(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path, plain: dict[str, TagResult]
) -> None:
    backend = LastCandidate()
    results = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, route_threshold=0.0).tag(PRODUCTS)
    assert backend.calls == [] and {r.source for r in results} == {"default"}
    backend = LastCandidate()
    results = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, route_threshold=1.0).tag(PRODUCTS)
    # every confidence is under 1 (a stacker never says certain), so every product goes, in one batch
    assert [[r.product.id for r in call] for call in backend.calls] == [[p.id for p in PRODUCTS]]
    assert {r.source for r in results} == {"llm"}


def test_a_failed_llm_answer_keeps_the_default_tags_and_records_the_failure(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path, plain: dict[str, TagResult]
) -> None:
    failure = RecordError(message="HTTP 500: engine overloaded (gave up after 3 attempts)", is_retryable=True)
    backend = LastCandidate(fail={"thing": failure})
    results = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, route_threshold=1.0).tag(PRODUCTS)
    thing = next(r for r in results if r.product_id == "thing")
    assert (thing.status, thing.source, thing.error) == ("ok", "default", None)
    assert thing.tags == plain["thing"].tags
    assert thing.routing is not None and thing.routing.below == ["category"]
    assert thing.routing.error == failure
    assert [r.source for r in results if r.product_id != "thing"] == ["llm"] * 4


class OffTaxonomy(LastCandidate):
    """Answers "Spaceships" for the products named in ``odd``: a value no candidate, nor the taxonomy, has."""

    def __init__(self, odd: set[str]) -> None:
        super().__init__()
        self.odd = odd

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        answers = super().generate(requests)
        return [
            Generation(text='{"category": "Spaceships"}') if r.product.id in self.odd else a
            for r, a in zip(requests, answers, strict=True)
        ]


def test_an_llm_answer_that_maps_to_nothing_keeps_the_default_tags_and_says_so(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path, plain: dict[str, TagResult]
) -> None:
    """The product came out 'ok' from the LLM with no tags at all: the default's were dropped, and nothing but a
    rejection in the result said so; --resume never sent it again."""
    backend = OffTaxonomy(odd={"thing"})
    results = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, route_threshold=1.0).tag(PRODUCTS)
    thing = next(r for r in results if r.product_id == "thing")
    assert (thing.status, thing.source) == ("ok", "default")
    assert thing.tags == plain["thing"].tags and thing.tags
    assert thing.routing is not None and thing.routing.error is not None
    assert thing.routing.error.message == (
        "the LLM's answer mapped to no value of the taxonomy: category: 'Spaceships' (no value of facet 'category' "
        "is close enough)"
    )
    assert [r.source for r in results if r.product_id != "thing"] == ["llm"] * 4


def test_a_backend_that_raises_for_the_batch_leaves_every_routed_product_its_default_tags(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path, plain: dict[str, TagResult]
) -> None:
    backend = LastCandidate(raises=RetryableBackendError("connection refused"))
    results = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, route_threshold=1.0).tag(PRODUCTS)
    assert [(r.status, r.source) for r in results] == [("ok", "default")] * len(PRODUCTS)
    assert [r.tags for r in results] == [plain[p.id].tags for p in PRODUCTS]
    for result in results:
        assert result.routing is not None and result.routing.error is not None
        assert result.routing.error.message == "backend scripted: connection refused"
        assert result.routing.error.is_retryable is True


def test_a_per_facet_map_routes_on_the_facets_it_names_only(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path
) -> None:
    facets = ["category", "color"]
    # two colours stated: each one less likely right than wrong, the one colour the default is unsure of
    products = [*PRODUCTS, Product(id="scarf", title="Black and white striped scarf")]
    default = {r.product_id: r for r in _tagger(demo_taxonomy, embedder, demo_index_dir, facets=facets).tag(products)}
    threshold, unsure = _between_lowest_two(default, "color")
    assert unsure == "scarf"
    backend = LastCandidate()
    tagger = _tagger(
        demo_taxonomy, embedder, demo_index_dir, backend, facets=facets, route_threshold={"color": threshold}
    )
    results = {r.product_id: r for r in tagger.tag(products)}
    assert [[r.product.id for r in call] for call in backend.calls] == [[unsure]]
    routing = results[unsure].routing
    assert routing is not None and routing.below == ["color"]
    assert list(routing.confidence) == ["color"]  # the category is not routed on: the map leaves it out


def test_a_map_naming_a_facet_not_tagged_stops_the_setup(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path
) -> None:
    with pytest.raises(ConfigError) as info:
        _tagger(demo_taxonomy, embedder, demo_index_dir, LastCandidate(), route_threshold={"colour": 0.5})
    assert str(info.value) == "route_threshold names facet 'colour', which is not tagged; the facets tagged: category"


def test_an_empty_map_stops_the_setup(demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path) -> None:
    # `route_threshold: {}` routed no product: the LLM backend was started and never asked, and the summary said
    # only "5 tagged, 0 failed"
    with pytest.raises(ConfigError) as info:
        _tagger(demo_taxonomy, embedder, demo_index_dir, LastCandidate(), route_threshold={})
    assert str(info.value) == (
        "route_threshold is an empty map, which routes no product to the LLM backend: give one number for every "
        "facet (0.9) or a number per facet ({category: 0.9}), or remove it to send every product to the backend"
    )


def test_routing_with_the_no_llm_backend_stops_the_run_before_the_index_is_loaded(tmp_path: Path) -> None:
    from tagllm.tagger import Tagger

    config = TaggerConfig(route_threshold=0.5, index=str(tmp_path / "not-built"))
    with pytest.raises(ConfigError) as info:
        Tagger.from_config(config)
    assert str(info.value) == (
        "route_threshold sends the products the no-LLM default is unsure of to an LLM backend, but the backend is "
        "'retrieval'; choose one with --backend transformers, vllm or openai"
    )


@pytest.mark.parametrize(
    ("threshold", "facets", "message"),
    [
        (
            {"colour": 0.5},
            None,
            "route_threshold names facet 'colour', which the taxonomy does not have; its facets: category, color, "
            "material, audience",
        ),
        (
            {"color": 0.5},
            ["category"],
            "route_threshold names facet 'color', which is not tagged; the facets tagged: category",
        ),
    ],
)
def test_a_map_naming_a_facet_that_is_not_tagged_stops_the_run_before_the_index_is_built(
    tmp_path: Path, threshold: dict[str, float], facets: list[str] | None, message: str
) -> None:
    """`--route-threshold colour=0.5 -f category --examples …` built the example index (3 min 50 s with Flipkart's
    examples) and only then said that colour is not tagged."""
    from tagllm.tagger import Tagger

    index = tmp_path / "index"
    config = TaggerConfig(
        backend="openai", base_url="http://127.0.0.1:9/v1", model="m", route_threshold=threshold, facets=facets,
        examples=str(Path(__file__).parent / "data" / "demo_examples.jsonl"), index=str(index), taxonomy="demo",
    )  # fmt: skip
    with pytest.raises(ConfigError) as info:
        Tagger.from_config(config)
    assert str(info.value) == message
    assert not index.exists()


def test_the_flag_takes_one_number_or_facet_pairs_and_names_itself_when_wrong() -> None:
    assert parse_threshold("0.7") == 0.7
    assert parse_threshold("category=0.7, color=0.5") == {"category": 0.7, "color": 0.5}
    with pytest.raises(ConfigError) as info:
        parse_threshold("category=high")
    assert str(info.value) == (
        "--route-threshold 'category=high': write one number (0.7) or facet=number pairs (category=0.7,color=0.5)"
    )
    with pytest.raises(ConfigError) as twice:  # the last one silently won: category routed under 0.3, not 0.9
        parse_threshold("category=0.9,color=0.5,category=0.3")
    assert str(twice.value) == (
        "--route-threshold 'category=0.9,color=0.5,category=0.3': facet 'category' is given twice; give each facet once"
    )
    with pytest.raises(ConfigError) as bad:
        load_config(None, from_flags=True, route_threshold={"category": 1.5})
    assert "--route-threshold {'category': 1.5}: Input should be less than or equal to 1" in str(bad.value)


def test_the_variable_and_a_config_file_take_the_facet_pairs_the_flag_takes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """TAGLLM_ROUTE_THRESHOLD=category=0.7,color=0.5 was refused ("Input should be a valid number" and "Input should
    be a valid dictionary") although --route-threshold takes it, and so was the same text in a config file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TAGLLM_ROUTE_THRESHOLD", "category=0.7, color=0.5")
    assert load_config().route_threshold == {"category": 0.7, "color": 0.5}
    monkeypatch.setenv("TAGLLM_ROUTE_THRESHOLD", "0.7")
    assert load_config().route_threshold == 0.7
    monkeypatch.delenv("TAGLLM_ROUTE_THRESHOLD")
    (tmp_path / "tagllm.yaml").write_text("route_threshold: category=0.9\n")
    assert load_config().route_threshold == {"category": 0.9}
    monkeypatch.setenv("TAGLLM_ROUTE_THRESHOLD", "category=0.9,category=0.3")
    with pytest.raises(ConfigError) as twice:
        load_config()
    assert str(twice.value) == (
        "invalid configuration:\n  TAGLLM_ROUTE_THRESHOLD=category=0.9,category=0.3 (environment variable): facet "
        "'category' is given twice; give each facet once"
    )
    monkeypatch.setenv("TAGLLM_ROUTE_THRESHOLD", "high")
    with pytest.raises(ConfigError) as bad:
        load_config()
    assert str(bad.value) == (
        "invalid configuration:\n  TAGLLM_ROUTE_THRESHOLD=high (environment variable): write one number (0.7) or "
        "facet=number pairs (category=0.7,color=0.5)"
    )


def _result(parsed: Any, candidates: list[tuple[str, float]], tags: list[Tag] | None = None) -> TagResult:
    cands = [Candidate(id=vid, name=vid, score=score) for vid, score in candidates]
    prov = Provenance(backend="retrieval", taxonomy_version="v", candidates={"color": cands}, parsed_output=parsed)
    return TagResult(product_id="p", tags={"color": tags or []}, provenance=prov)


def test_the_default_confidence_of_a_facet_is_its_least_sure_decision() -> None:
    candidates = [("red", 0.9), ("pink", 0.6), ("blue", 0.2)]
    assert facet_confidence(_result({"color": "red"}, candidates), "color") == 0.9
    assert facet_confidence(_result({"color": ["red", "pink"]}, candidates), "color") == 0.6
    # nothing chosen: the chance that leaving the facet empty is right
    assert facet_confidence(_result({"color": None}, [("red", 0.3)]), "color") == 0.7
    assert facet_confidence(_result({"color": []}, []), "color") == 1.0  # nothing an LLM could choose either
    tag = Tag(facet="color", id="red", name="Red", confidence=0.4, source="retrieval")
    no_provenance = TagResult(product_id="p", tags={"color": [tag]})
    assert facet_confidence(no_provenance, "color") == 0.4
    assert facet_confidence(TagResult(product_id="p"), "color") == 0.0  # nothing known: worth routing


class OffTaxonomyColour(LastCandidate):
    """Answers the last candidate for the category and ``colour`` for the colour (a string that maps to no value, or
    None)."""

    def __init__(self, colour: str | None) -> None:
        super().__init__()
        self.colour = colour

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        answers = super().generate(requests)
        out = []
        for answer in answers:
            parsed = json.loads(answer.text or "{}")
            out.append(Generation(text=json.dumps({**parsed, "color": self.colour})))
        return out


def test_a_facet_whose_llm_answer_maps_to_nothing_keeps_the_default_tags_of_that_facet(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path
) -> None:
    """The colour of each product came out empty (source llm): the default's colour tags were dropped, and only a
    rejection in the result said so."""
    facets = ["category", "color"]
    products = [PRODUCTS[0], PRODUCTS[1]]  # a red dress, black earbuds: the default tags a colour for each
    plain = {r.product_id: r for r in _tagger(demo_taxonomy, embedder, demo_index_dir, facets=facets).tag(products)}
    assert all(plain[p.id].tags.get("color") for p in products)
    backend = OffTaxonomyColour("Spaceships")
    tagger = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, facets=facets, route_threshold=1.0)
    for result in tagger.tag(products):
        assert (result.status, result.source) == ("ok", "llm")
        assert result.tags["color"] == plain[result.product_id].tags["color"]  # the default's, tag source retrieval
        assert {t.source for t in result.tags["category"]} <= {"llm", "ancestor"}  # the LLM's category stands
        assert result.routing is not None and result.routing.error is None
        assert result.routing.kept_default == {
            "color": "the LLM's answer mapped to no value of the taxonomy: 'Spaceships' (no value of facet 'color' is "
            "close enough)"
        }
        assert [r.text for r in result.rejected] == ["Spaceships"]


def test_a_facet_the_llm_left_empty_on_purpose_stays_empty(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path
) -> None:
    backend = OffTaxonomyColour(None)  # colour is optional: null is an answer
    tagger = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, facets=["category", "color"], route_threshold=1)
    dress = tagger.tag([PRODUCTS[0]])[0]
    assert (dress.status, dress.source, dress.tags.get("color", []), dress.rejected) == ("ok", "llm", [], [])
    assert dress.routing is not None and dress.routing.kept_default is None


class NoCategory(LastCandidate):
    """An LLM of one's own that answers the colour and leaves the category key out (no schema holds it to one)."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        out = []
        for answer in super().generate(requests):
            parsed = json.loads(answer.text)
            out.append(Generation(text=json.dumps({"color": parsed["color"]})))
        return out


def test_a_required_facet_the_llm_answer_leaves_out_keeps_the_default_tags_and_is_named(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path
) -> None:
    """The dress came out with no category at all (source llm, nothing rejected): the default's category was dropped
    without a word, as if the model had abstained on a facet that requires a value."""
    facets = ["category", "color"]
    (plain,) = _tagger(demo_taxonomy, embedder, demo_index_dir, facets=facets).tag([PRODUCTS[0]])
    assert plain.tags["category"]
    tagger = _tagger(demo_taxonomy, embedder, demo_index_dir, NoCategory(), facets=facets, route_threshold=1.0)
    (dress,) = tagger.tag([PRODUCTS[0]])
    assert (dress.status, dress.source) == ("ok", "llm")
    assert dress.tags["category"] == plain.tags["category"]  # the default's
    missing = "the answer has no 'category' key; the facet is required"
    assert dress.rejected == [Rejection(facet="category", text="", reason=missing)]
    assert dress.routing is not None
    kept = f"the LLM's answer mapped to no value of the taxonomy: '' ({missing})"
    assert dress.routing.kept_default == {"category": kept}
    # without routing the result says what is missing
    (alone,) = _tagger(demo_taxonomy, embedder, demo_index_dir, NoCategory(), facets=facets).tag([PRODUCTS[0]])
    assert "category" not in alone.tags and alone.rejected == [Rejection(facet="category", text="", reason=missing)]


def test_a_csv_row_says_which_facets_kept_the_default_tags_in_an_llm_answer(
    demo_taxonomy: Taxonomy, embedder: Any, demo_index_dir: Path, tmp_path: Path
) -> None:
    """A CSV row of a product the LLM tagged, whose colour answer mapped to nothing, said source llm and colour Red
    (the default's), with an empty error cell: nothing told a spreadsheet that the colour was not the LLM's, where
    the JSONL row says so in routing.kept_default. Its error cell says so now; the row stays ok, not retried."""
    import csv

    backend = OffTaxonomyColour("Spaceships")
    tagger = _tagger(demo_taxonomy, embedder, demo_index_dir, backend, facets=["category", "color"], route_threshold=1)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.csv"
    src.write_text(json.dumps({"id": "dress", "title": PRODUCTS[0].title}) + "\n")
    tagger.tag_file(src, out)
    (row,) = csv.DictReader(out.open(newline=""))
    assert (row["status"], row["source"], row["color_id"]) == ("ok", "llm", "color-red")
    assert row["error"] == (
        "the default's tags were kept in color: the LLM's answer mapped to no value of the taxonomy: 'Spaceships' "
        "(no value of facet 'color' is close enough)"
    )
    again = tagger.tag_file(src, out, resume=True)
    assert (again.skipped, again.tagged) == (1, 0)
