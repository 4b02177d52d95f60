"""Routing end to end with real LLM backends: the tiny random-weight model in process, and `tagllm generate`
against the OpenAI-compatible test server (only the products the default is unsure of reach it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tagllm.config import TaggerConfig
from tagllm.models import Product, TagResult
from tagllm.routing import facet_confidence
from tagllm.taxonomy import Taxonomy

PRODUCTS = [
    Product(id="dress", title="Women's red floral cotton dress"),
    Product(id="case", title="Clear plastic phone case"),
    Product(id="boots", title="Leather boots", brand="Dr. Martens"),
    Product(id="thing", title="Thing"),
]

runner = CliRunner()


def _default_threshold(taxonomy: Taxonomy, embedder: Any, index_dir: Path) -> float:
    """A category threshold between the default's two lowest confidences: only 'thing' falls under it."""
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger

    index = ExampleIndex.load(index_dir, taxonomy=taxonomy, embedder=embedder.name)
    config = TaggerConfig(k=5, max_candidates=4, facets=["category"])
    results: list[TagResult] = Tagger(taxonomy, index=index, embedder=embedder, config=config).tag(PRODUCTS)
    ranked = sorted(results, key=lambda r: facet_confidence(r, "category"))
    assert ranked[0].product_id == "thing"
    return (facet_confidence(ranked[0], "category") + facet_confidence(ranked[1], "category")) / 2


@pytest.mark.slow
def test_routing_with_the_tiny_transformers_model(
    tiny_llama: tuple[Any, Any], demo_taxonomy: Taxonomy, demo_index_dir: Path, embedder: Any
) -> None:
    from tagllm.backends.transformers import TransformersBackend
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger

    threshold = _default_threshold(demo_taxonomy, embedder, demo_index_dir)
    model, tokenizer = tiny_llama
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    config = TaggerConfig(k=5, max_candidates=4, facets=["category"], route_threshold=threshold)
    backend = TransformersBackend.from_model(model, tokenizer)
    results = Tagger(demo_taxonomy, index=index, embedder=embedder, backend=backend, config=config).tag(PRODUCTS)
    assert [(r.product_id, r.status, r.source) for r in results] == [
        ("dress", "ok", "default"),
        ("case", "ok", "default"),
        ("boots", "ok", "default"),
        ("thing", "ok", "llm"),
    ]
    thing = results[-1]
    assert thing.provenance is not None and thing.provenance.backend == "transformers"
    assert thing.provenance.prompt_tokens and thing.provenance.completion_tokens  # the model really answered
    offered = {c.id for c in thing.provenance.candidates["category"]}
    best = thing.best("category")
    assert best is not None and best.id in offered and best.source == "llm"  # one of the default's candidates
    for kept in results[:-1]:
        assert kept.provenance is not None and kept.provenance.backend == "retrieval"


def _config(tmp_path: Path, index_dir: Path, url: str, threshold: float) -> Path:
    config = tmp_path / "tagllm.yaml"
    config.write_text(
        f"index: {index_dir}\nbackend: openai\nbase_url: {url}\nmodel: tiny\nfacets: [category]\nk: 5\n"
        f"max_candidates: 4\nroute_threshold: {threshold}\nbackend_options: {{max_retries: 0, backoff: 0.01}}\n"
    )
    return config


@pytest.mark.slow
def test_generate_sends_only_the_unsure_products_to_the_server_and_keeps_the_default_when_it_fails(
    chat_server: Any, tmp_path: Path, demo_taxonomy: Taxonomy, demo_index_dir: Path, embedder: Any
) -> None:
    from tagllm.cli import app

    threshold = _default_threshold(demo_taxonomy, embedder, demo_index_dir)
    products = tmp_path / "products.jsonl"
    products.write_text("".join(p.model_dump_json(exclude_defaults=True) + "\n" for p in PRODUCTS))
    config = _config(tmp_path, demo_index_dir, chat_server.url, threshold)

    out = tmp_path / "tags.jsonl"
    result = runner.invoke(app, ["generate", str(products), "-o", str(out), "-c", str(config)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["product_id"], r["source"]) for r in rows] == [
        ("dress", "default"),
        ("case", "default"),
        ("boots", "default"),
        ("thing", "llm"),
    ]
    assert [chat_server.attempts(p.title) for p in PRODUCTS] == [0, 0, 0, 1]  # only the unsure product was sent
    assert rows[-1]["routing"]["below"] == ["category"] and "error" not in rows[-1]["routing"]
    assert rows[-1]["provenance"]["backend"] == "openai"
    assert result.stderr.startswith("4 tagged (1 by the LLM, 0 kept the default's tags when the LLM failed), 0 failed")

    chat_server.script["Thing"] = ["500"]
    again = tmp_path / "again.jsonl"
    result = runner.invoke(app, ["generate", str(products), "-o", str(again), "-c", str(config)])
    assert result.exit_code == 0, result.output  # nothing lost: the product has the default's tags
    thing = json.loads(again.read_text().splitlines()[-1])
    assert (thing["status"], thing["source"]) == ("ok", "default")
    assert thing["provenance"]["backend"] == "retrieval"
    assert {t["source"] for t in thing["tags"]["category"]} <= {"retrieval", "ancestor"} and thing["tags"]["category"]
    assert thing["routing"]["error"]["message"].startswith("HTTP 500")
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: thing: the LLM failed, the default's tags were kept: HTTP 500")
    assert "4 tagged (0 by the LLM, 1 kept the default's tags when the LLM failed), 0 failed" in result.stderr
