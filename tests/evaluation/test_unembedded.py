"""A product the evaluated tagger's embedder gives a NaN vector is that product's failure, counted as a miss and
named in the metrics and the report; the evaluation goes on with the others and a run again retries it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_api_vectors import overflow, unembedded_error

from tagllm.config import TaggerConfig
from tagllm.evaluation.harness import load_eval_config, run_eval
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

GOLD = [
    {"id": "g1", "title": "Men's Cotton Polo T-Shirt Navy", "answers": {"category": ["apparel-tshirts"]}},
    {"id": "g2", "title": "Quantum overflow earbuds", "answers": {"category": ["electronics-headphones"]}},
    {"id": "g3", "title": "Wireless Earbuds Bluetooth 5.3 Black", "answers": {"category": ["electronics-headphones"]}},
]


def test_a_nan_vector_fails_its_product_alone_counted_as_a_miss_and_named(
    tmp_path: Path, demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_field: answers\nbootstrap: 0\ncache: cache\n"
        "tagger:\n  taxonomy: demo\n  facets: [category]\n  k: 5\n"
    )
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    asked: list[list[str]] = []

    def factory(config: TaggerConfig) -> Tagger:
        tagger = Tagger(demo_taxonomy, index=index, embedder=embedder, config=config)
        tag = tagger.tag
        tagger.tag = lambda products: asked.append([p.id for p in products]) or tag(products)  # type: ignore[method-assign]
        return tagger

    overflow(monkeypatch, embedder)
    cfg = load_eval_config(tmp_path / "eval.yaml")
    outcome = run_eval(cfg, factory=factory, root=tmp_path / "r1")
    metrics = outcome.metrics[0]
    message = unembedded_error(embedder, "g2")["message"]
    assert metrics["bad_input"]["failed_count"] == 1
    assert metrics["bad_input"]["failed"] == [{"id": "g2", "title": GOLD[1]["title"], "error": message}]
    facet = metrics["facets"]["category"]
    assert facet["n"] == 3 and facet["micro"]["recall"] == pytest.approx(2 / 3)  # g2 a miss; g1 and g3 tagged right
    (run,) = outcome.runs
    rows = {r["id"]: r for r in map(json.loads, (run / "per_product.jsonl").read_text().splitlines())}
    assert {pid: r["status"] for pid, r in rows.items()} == {"g1": "ok", "g2": "error", "g3": "ok"}
    assert f"1 product(s) failed (counted as misses): `g2` {message}" in (run / "report.md").read_text()
    monkeypatch.undo()  # the embedder mended: a run again tags g2 alone, the others from the cache
    asked.clear()
    again = run_eval(cfg, factory=factory, root=tmp_path / "r2")
    assert asked == [["g2"]]
    assert again.metrics[0]["bad_input"]["failed_count"] == 0
