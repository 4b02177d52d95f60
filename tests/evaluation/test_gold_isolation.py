"""No gold answer reaches a prompt or a backend: the real Tagger with a recording backend behind the harness."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.config import TaggerConfig
from tagllm.evaluation.harness import load_eval_config, run_eval
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

SECRET = "SECRET-ANSWER-7f3a"


class RecordingBackend(Backend):
    """Needs a prompt (so the template is rendered), records every request, picks the first candidate."""

    name = "recording"
    needs_prompt = True
    supports_schema = True

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        self.requests.extend(requests)
        out = []
        for r in requests:
            answer = {facet: [c.id for c in cands[:1]] for facet, cands in r.candidates.items()}
            out.append(Generation(text=json.dumps(answer), prompt_tokens=50, completion_tokens=5, latency_ms=1.0))
        return out


def test_no_gold_field_reaches_a_prompt_or_a_backend(tmp_path: Path, demo_taxonomy, demo_index_dir, embedder):
    gold = [
        {
            "id": "g1",
            "title": "Men's Cotton Polo T-Shirt Navy",
            "brand": "US Polo",
            "attributes": {"Fabric": "Cotton", "Note": SECRET},
            "answers": {"category": ["apparel-tshirts"], "color": ["color-blue"]},
            "gold_category": SECRET,
            "gold_notes": SECRET,
            "split": "test",
        },
        {
            "id": "g2",
            "title": "Wireless Earbuds Bluetooth 5.3 Black",
            "answers": {"category": ["electronics-headphones"]},
            "gold_tags": [SECRET],
            "split": "test",
        },
    ]
    (tmp_path / "gold.jsonl").write_text("\n".join(json.dumps(g) for g in gold) + "\n")
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_field: answers\nhide_fields: [attributes]\nbootstrap: 0\n"
        "tagger:\n  taxonomy: demo\n  backend: openai\n  prompt: fewshot\n  k: 5\n"
    )
    backend = RecordingBackend()
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)

    def factory(config: TaggerConfig) -> Tagger:
        return Tagger(demo_taxonomy, index=index, backend=backend, embedder=embedder, config=config)

    cfg = load_eval_config(tmp_path / "eval.yaml")
    outcome = run_eval(cfg, factory=factory, root=tmp_path / "run", use_cache=False)
    assert [r.product.id for r in backend.requests] == ["g1", "g2"]
    for request in backend.requests:
        seen = json.dumps(
            [request.product.model_dump(), request.messages, request.schema], ensure_ascii=False, default=str
        )
        assert SECRET not in seen
        assert "answers" not in request.product.extra and "split" not in request.product.extra
        assert not any(k.startswith("gold_") for k in request.product.extra)
        assert request.product.attributes == {}
        assert request.messages  # the template was rendered: this is what a model would read
    metrics = outcome.metrics[0]
    assert metrics["facets"]["category"]["n"] == 2
    assert metrics["performance"]["prompt_tokens"] == 100
