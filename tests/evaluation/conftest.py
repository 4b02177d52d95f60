"""Fixtures for the evaluation tests: a tiny path taxonomy, a gold file, a fake tagger with set answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tagllm.config import TaggerConfig
from tagllm.models import MappingInfo, Neighbour, Product, Provenance, Rejection, Tag, TagResult
from tagllm.taxonomy import load_taxonomy

CATEGORIES = ["Clothing > Shirts", "Clothing > Shorts", "Home > Sofas", "Home > Lamps"]

GOLD = [
    {"id": "p1", "title": "Blue oxford shirt", "gold_category": "Clothing > Shirts", "split": "test"},
    {"id": "p2", "title": "Cycling shorts", "gold_category": "Clothing > Shorts", "split": "test"},
    {"id": "p3", "title": "Three-seat sofa", "gold_category": "Home > Sofas", "split": "test"},
    {"id": "p4", "title": "Desk lamp", "gold_category": "Home > Lamps", "split": "test", "gold_tags": ["x"]},
    {"id": "p5", "title": "Garden hose", "gold_category": "Garden > Hoses", "split": "test"},
    {"id": "p6", "title": "Linen shirt", "gold_category": "Clothing > Shirts", "split": "dev"},
]

# What the fake tagger answers per product: (leaf path, confidence, mapping method) or None to abstain.
ANSWERS: dict[str, tuple[str, float, str] | None] = {
    "p1": ("Clothing > Shirts", 0.9, "exact"),
    "p2": ("Clothing > Shirts", 0.6, "fuzzy"),  # wrong leaf, right parent
    "p3": ("Home > Sofas", 0.8, "synonym"),
    "p4": None,  # abstains
    "p5": ("Home > Lamps", 0.3, "exact"),  # gold is unknown: not scored
    "p6": ("Clothing > Shirts", 0.95, "exact"),
}

PROMPT_B_CHANGES: dict[str, tuple[str, float, str] | None] = {
    "p2": ("Clothing > Shorts", 0.7, "exact"),
    "p3": ("Home > Lamps", 0.5, "fuzzy"),
}


class FakeTagger:
    """Answers from a table, records every product it was asked about, and counts its calls."""

    def __init__(self, config: TaggerConfig, answers: dict[str, Any], seen: list[Product]):
        self.config = config
        self.taxonomy = load_taxonomy(config.taxonomy)
        self.answers = answers
        self.seen = seen
        self.backend = None

    def tag(self, products: list[Product]) -> list[TagResult]:
        out = []
        for product in products:
            self.seen.append(product)
            answer = self.answers.get(product.id)
            tags: list[Tag] = []
            rejected: list[Rejection] = []
            if answer is not None:
                path, confidence, method = answer
                value = self.taxonomy[path]
                for ancestor in self.taxonomy.ancestors(value.id):
                    tags.append(
                        Tag(
                            facet="category",
                            id=ancestor.id,
                            name=ancestor.name,
                            path=ancestor.path,
                            confidence=confidence,
                            source="ancestor",
                        )
                    )
                tags.append(
                    Tag(
                        facet="category",
                        id=value.id,
                        name=value.name,
                        path=value.path,
                        confidence=confidence,
                        source="llm",
                        mapping=MappingInfo(raw=value.name.lower(), method=method, score=0.9),
                    )
                )
            else:
                rejected.append(Rejection(facet="category", text="lighting stuff", reason="no match"))
            prov = Provenance(
                backend="fake",
                taxonomy_version=self.taxonomy.version,
                template=self.config.prompt,
                neighbours=[Neighbour(id="n1", score=0.99, title=product.title, labels={"category": ["Home > Sofas"]})]
                if product.id == "p1"
                else [],
                raw_output=json.dumps({"category": answer[0] if answer else "lighting stuff"}),
                prompt_tokens=100,
                completion_tokens=10,
                latency_ms=5.0,
            )
            out.append(
                TagResult(
                    product_id=product.id,
                    tags={"category": tags} if tags else {},
                    rejected=rejected,
                    provenance=prov,
                )
            )
        return out


@pytest.fixture
def eval_dir(tmp_path: Path) -> Path:
    """A directory with categories.jsonl, gold.jsonl, two prompt files and an eval config."""
    with (tmp_path / "categories.jsonl").open("w") as fh:
        for path in CATEGORIES:
            fh.write(json.dumps({"path": path}) + "\n")
    with (tmp_path / "gold.jsonl").open("w") as fh:
        for row in GOLD:
            fh.write(json.dumps(row) + "\n")
    (tmp_path / "a.j2").write_text("prompt A {{ product.title }}")
    (tmp_path / "b.j2").write_text("prompt B {{ product.title }}")
    (tmp_path / "eval.yaml").write_text(
        "name: tiny\n"
        "gold: gold.jsonl\n"
        "split: test\n"
        "bootstrap: 200\n"
        "tagger:\n"
        "  taxonomy: categories.jsonl\n"
        "  backend: retrieval\n"
        "  prompt: a.j2\n"
    )
    return tmp_path


@pytest.fixture
def fake_factory():
    """A tagger factory for run_eval that records products and how many taggers were built per prompt."""
    seen: list[Product] = []
    built: list[str] = []

    def factory(config: TaggerConfig) -> FakeTagger:
        built.append(Path(config.prompt).name)
        # Prompt B fixes the shorts (p2) and breaks the sofa (p3), so comparisons have something to show.
        answers = {**ANSWERS, **(PROMPT_B_CHANGES if config.prompt.endswith("b.j2") else {})}
        return FakeTagger(config, answers, seen)

    factory.seen = seen  # type: ignore[attr-defined]
    factory.built = built  # type: ignore[attr-defined]
    return factory
