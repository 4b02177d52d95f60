"""two_step when the attribute step fails for a product: a partial result (the category of the first step kept, each
facet the attribute step asked for with why in ``facet_errors``), alone, in a batch, in routing mode, and in a file run
that --resume asks again."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.config import TaggerConfig
from tagllm.models import Product, RecordError, TagResult
from tagllm.taxonomy import Taxonomy

FACETS = ["category", "color", "material", "audience"]
OVERLOADED = RecordError(message="HTTP 500: engine overloaded (gave up after 3 attempts)", is_retryable=True)
REPEATING = RecordError(message="the model repeated itself (after 64 tokens)", is_retryable=False)


class StepDown(Backend):
    """An LLM stand-in that answers each facet with its first candidate (or the category ``categories`` names for the
    product), except that a product in ``down`` fails its attribute step (a request without the category) with the
    error given, and one in ``first_down`` fails its category step."""

    name = "stepdown"
    needs_prompt = True
    supports_schema = True

    def __init__(self, categories: dict[str, str] | None = None) -> None:
        self.categories = categories or {}
        self.down: dict[str, RecordError] = {}
        self.first_down: dict[str, RecordError] = {}
        self.calls: list[list[tuple[str, list[str]]]] = []  # per call: (product, facets asked) per request

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        self.calls.append([(r.product.id, list(r.candidates)) for r in requests])
        out = []
        for request in requests:
            pid, first = request.product.id, "category" in request.candidates
            failure = (self.first_down if first else self.down).get(pid)
            if failure is not None:
                out.append(Generation(error=failure))
                continue
            answer = {facet: cands[0].id if cands else None for facet, cands in request.candidates.items()}
            if first and pid in self.categories:
                answer["category"] = self.categories[pid]
            out.append(Generation(text=json.dumps(answer)))
        return out


def _tagger(taxonomy: Taxonomy, backend: Backend, embedder: Any, index_dir: Path | None = None, **config: Any) -> Any:
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger

    index = ExampleIndex.load(index_dir, taxonomy=taxonomy, embedder=embedder.name) if index_dir else None
    settings: dict[str, Any] = {"k": 5, "max_candidates": 20, "threshold": 0.0, "facets": FACETS, **config}
    return Tagger(taxonomy, index=index, embedder=embedder, backend=backend, config=TaggerConfig(**settings))


def _ids(result: TagResult) -> dict[str, list[str]]:
    return {facet: [t.id for t in tags] for facet, tags in result.tags.items()}


PRODUCTS = [
    Product(id="dress", title="Women's red cotton dress"),
    Product(id="earbuds", title="Black earbuds"),
    Product(id="boots", title="Men's brown leather boots"),
]


def test_a_failed_attribute_step_keeps_the_category_and_puts_the_failure_on_the_facets_it_asked_for(
    scoped_taxonomy: Taxonomy, embedder: Any
) -> None:
    """The dress's category was answered and its attribute step failed: the whole product was an error record, the
    category the backend did give lost with it. Its neighbours in the batch keep every tag."""
    backend = StepDown()
    backend.down = {"dress": OVERLOADED, "boots": REPEATING}
    full = _tagger(scoped_taxonomy, StepDown(), embedder).tag(PRODUCTS)  # the same backend, nothing failing
    dress, earbuds, boots = _tagger(scoped_taxonomy, backend, embedder).tag(PRODUCTS)

    asked = dict(backend.calls[1])  # the attribute step: one call for the batch, each product its category's facets
    assert asked == {"dress": ["color", "material", "audience"], "earbuds": ["color"],
                     "boots": ["color", "material", "audience"]}  # fmt: skip
    assert [r.status for r in (dress, earbuds, boots)] == ["ok", "ok", "ok"]
    assert _ids(dress) == {"category": ["apparel-dresses", "apparel"]}
    assert [t.source for t in dress.tags["category"]] == ["llm", "ancestor"]
    assert dress.error is None and dress.facet_errors == {
        facet: RecordError(
            message="attribute step (category chosen: apparel-dresses): HTTP 500: engine overloaded (gave up after "
            "3 attempts)",
            is_retryable=True,
        )
        for facet in ["color", "material", "audience"]
    }
    assert boots.facet_errors is not None and list(boots.facet_errors) == ["color", "material", "audience"]
    (why,) = {e.message for e in boots.facet_errors.values()}
    assert why.endswith(": the model repeated itself (after 64 tokens)")
    assert not any(e.is_retryable for e in boots.facet_errors.values())
    assert _ids(boots) == {f: ids for f, ids in _ids(full[2]).items() if f == "category"}
    # nothing lost in the batch: the product whose steps both answered is tagged as with no failure around it
    assert (earbuds.facet_errors, _ids(earbuds)) == (None, _ids(full[1]))
    assert _ids(earbuds) == {"category": ["electronics-headphones", "electronics"], "color": ["color-black"]}
    # the provenance says what was asked and answered: both templates, the first step's answer alone
    prov = dress.provenance
    assert prov is not None
    assert prov.raw_output == '{"category": "apparel-dresses"}\n'
    assert prov.parsed_output == {"category": "apparel-dresses"}
    assert list(prov.candidates) == ["category", "color", "material", "audience"]
    assert prov.template == "fewshot+attributes-fewshot"


def test_a_failed_category_step_is_still_an_error_record(scoped_taxonomy: Taxonomy, embedder: Any) -> None:
    backend = StepDown()
    backend.first_down = {"dress": OVERLOADED}
    dress, earbuds, _ = _tagger(scoped_taxonomy, backend, embedder).tag(PRODUCTS)
    assert (dress.status, dress.error, dress.tags, dress.facet_errors) == ("error", OVERLOADED, {}, None)
    assert [pid for pid, _ in backend.calls[1]] == ["earbuds", "boots"]  # no attribute step without a category
    assert earbuds.status == "ok" and earbuds.facet_errors is None


def test_routing_keeps_the_llm_category_and_the_default_tags_of_the_facets_whose_step_failed(
    scoped_taxonomy: Taxonomy, scoped_index_dir: Path, embedder: Any
) -> None:
    """Routed, a partial answer is the LLM's category (the product was sent for the LLM's judgement, and it gave
    one), and the default's tags of the facets the failed step asked for, as far as they apply to that category;
    ``facet_errors`` stays, so --resume asks the LLM again."""
    dress = Product(id="dress", title="Women's red floral cotton dress")
    (default,) = _tagger(scoped_taxonomy, StepDown(), embedder, scoped_index_dir, route_threshold=0.0).tag([dress])
    assert default.source == "default"
    assert _ids(default)["category"][0] == "apparel-dresses"
    assert _ids(default)["material"] == ["material-cotton"]

    # the LLM places the dress among the tops: the default's colour and material apply there too
    backend = StepDown(categories={"dress": "apparel-tops"})
    backend.down = {"dress": OVERLOADED}
    (result,) = _tagger(scoped_taxonomy, backend, embedder, scoped_index_dir, route_threshold=1.0).tag([dress])
    assert (result.status, result.source) == ("ok", "llm")
    assert _ids(result)["category"] == ["apparel-tops", "apparel"]
    assert result.tags["category"][0].source == "llm"
    kept = {f: ids for f, ids in _ids(default).items() if f != "category"}
    assert {f: ids for f, ids in _ids(result).items() if f != "category"} == kept
    assert result.routing is not None and result.routing.error is None
    assert result.routing.kept_default == dict.fromkeys(kept, "the LLM's step asking for this facet failed (see "
                                                              "facet_errors)")  # fmt: skip
    assert result.facet_errors is not None and set(result.facet_errors) >= set(kept)
    from tagllm.io.rows import PARTIAL, outcome

    assert outcome(result) == PARTIAL


def test_routing_drops_the_default_tags_that_do_not_apply_to_the_llm_category(
    scoped_taxonomy: Taxonomy, scoped_index_dir: Path, embedder: Any
) -> None:
    """The default's material of a dress does not go with the LLM's fragrance, where material does not apply."""
    dress = Product(id="dress", title="Women's red floral cotton dress")
    backend = StepDown(categories={"dress": "beauty-fragrance"})
    backend.down = {"dress": OVERLOADED}
    (result,) = _tagger(scoped_taxonomy, backend, embedder, scoped_index_dir, route_threshold=1.0).tag([dress])
    assert _ids(result)["category"] == ["beauty-fragrance", "beauty"]
    assert not scoped_taxonomy.applies("material", "beauty-fragrance")
    assert "material" not in result.tags and set(result.tags) > {"category"}  # colour and audience kept
    assert result.facet_errors is not None and "material" not in result.facet_errors  # not asked: not failed
    assert result.routing is not None and "material" not in (result.routing.kept_default or {})


def _input(path: Path) -> Path:
    path.write_text("".join(json.dumps({"id": p.id, "title": p.title}) + "\n" for p in PRODUCTS))
    return path


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    if path.suffix == ".csv":
        rows = list(csv.DictReader(path.open(newline="")))
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = [json.loads(r["result_json"]) | {"error": r["error"]} for r in pq.read_table(path).to_pylist()]
    else:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == len({r["product_id"] for r in rows}), "one row per product"
    return {r["product_id"]: r for r in rows}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_a_file_run_writes_the_partial_row_and_resume_asks_again(
    scoped_taxonomy: Taxonomy, embedder: Any, tmp_path: Path, suffix: str
) -> None:
    from tagllm.cli.run_report import end_lines

    src, out = _input(tmp_path / "in.jsonl"), tmp_path / f"out{suffix}"
    backend = StepDown()
    backend.down = {"dress": OVERLOADED}
    tagger = _tagger(scoped_taxonomy, backend, embedder, batch_size=3)
    first = tagger.tag_file(src, out)
    assert (first.tagged, first.failed, first.partial, first.still_partial, first.exit_code) == (3, 0, 1, 1, 0)
    why = "attribute step (category chosen: apparel-dresses): HTTP 500: engine overloaded (gave up after 3 attempts)"
    assert first.errors == [f"dress: partial result, the category kept: {why}"]
    rows = _rows(out)
    assert sorted(rows) == ["boots", "dress", "earbuds"]
    dress = rows["dress"]
    if suffix == ".csv":
        assert (dress["status"], dress["error"], dress["category_id"]) == (
            "ok", f"partial result, the category kept: {why}", "apparel-dresses")  # fmt: skip
        assert dress["color"] == dress["material"] == dress["audience"] == ""
        assert rows["earbuds"]["error"] == "" and rows["earbuds"]["color_id"] == "color-black"
    else:
        assert (dress["status"], list(dress["tags"]), dress["facet_errors"]["color"]["message"]) == (
            "ok", ["category"], why)  # fmt: skip
        assert "facet_errors" not in rows["earbuds"] and list(rows["earbuds"]["tags"]) == ["category", "color"]
    assert f"{out}: 1 product(s) have their category but not their other facets: the attribute step failed (each " \
        "row's facet_errors says why); run again with --resume to ask for their other facets again" in end_lines(
            first, str(src), str(out))  # fmt: skip

    backend.down.clear()  # the engine is back
    backend.calls.clear()
    again = tagger.tag_file(src, out, resume=True)
    assert backend.calls == [[("dress", ["category"])], [("dress", ["color", "material", "audience"])]]
    assert (again.tagged, again.skipped, again.retried_partial, again.partial, again.still_partial) == (1, 2, 1, 0, 0)
    dress = _rows(out)["dress"]
    if suffix == ".csv":
        assert dress["error"] == "" and dress["color_id"] and dress["material_id"]
    else:
        assert "facet_errors" not in dress and {"color", "material"} <= set(dress["tags"])

    backend.calls.clear()
    done = tagger.tag_file(src, out, resume=True)
    assert (backend.calls, done.skipped, done.retried_partial) == ([], 3, 0)


def test_a_partial_product_whose_retry_fails_whole_keeps_its_category(
    scoped_taxonomy: Taxonomy, embedder: Any, tmp_path: Path
) -> None:
    src, out = _input(tmp_path / "in.jsonl"), tmp_path / "out.jsonl"
    backend = StepDown()
    backend.down = {"dress": OVERLOADED}
    tagger = _tagger(scoped_taxonomy, backend, embedder)
    tagger.tag_file(src, out)
    backend.first_down = {"dress": RecordError(message="timed out after 60 s", is_retryable=True)}
    again = tagger.tag_file(src, out, resume=True)
    assert (again.retried_partial, again.kept_partial, again.failed, again.still_partial, again.exit_code) == (
        1, 1, 0, 1, 0)  # fmt: skip
    assert again.errors == ["dress: tagged again, timed out after 60 s; its earlier category is kept"]
    dress = _rows(out)["dress"]
    assert (dress["status"], [t["id"] for t in dress["tags"]["category"]]) == ("ok", ["apparel-dresses", "apparel"])
    assert dress["facet_errors"]["material"]["message"].endswith(OVERLOADED.message)


@pytest.mark.slow
def test_the_tiny_model_keeps_every_answer_around_a_failed_attribute_step(
    tiny_llama: tuple[Any, Any], scoped_taxonomy: Taxonomy, scoped_index_dir: Path, embedder: Any
) -> None:
    """The tiny random-weight model answers under the constraint; one product's attribute step fails (as an engine
    aborting a request does): that product keeps the model's category, the others every tag the model gave."""
    from tagllm.backends.transformers import TransformersBackend

    class AbortsOne(Backend):
        name, needs_prompt, supports_schema = "transformers", True, True

        def __init__(self, inner: Backend) -> None:
            self.inner, self.model = inner, inner.model

        def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
            answers = iter(self.inner.generate([r for r in requests if not self._aborted(r)]))
            abort = Generation(error=RecordError(message="the engine aborted the request", is_retryable=True))
            return [abort if self._aborted(r) else next(answers) for r in requests]

        @staticmethod
        def _aborted(request: GenerationRequest) -> bool:
            return request.product.id == "dress" and "category" not in request.candidates

    model, tokenizer = tiny_llama
    inner = TransformersBackend.from_model(model, tokenizer)
    tagger = _tagger(scoped_taxonomy, AbortsOne(inner), embedder, scoped_index_dir)
    whole = _tagger(scoped_taxonomy, inner, embedder, scoped_index_dir).tag(PRODUCTS)
    results = tagger.tag(PRODUCTS)
    assert [r.status for r in results] == ["ok"] * 3
    dress = results[0]
    assert dress.tags["category"] == whole[0].tags["category"]  # greedy: the same category as without the failure
    assert set(dress.tags) == {"category"}
    assert dress.facet_errors is not None
    chosen = dress.tags["category"][0].id
    assert {e.message for e in dress.facet_errors.values()} == {
        f"attribute step (category chosen: {chosen}): the engine aborted the request"
    }
    assert all(scoped_taxonomy.applies(facet, chosen) for facet in dress.facet_errors)
    for got, expected in zip(results[1:], whole[1:], strict=True):
        assert (got.tags, got.facet_errors) == (expected.tags, None)
