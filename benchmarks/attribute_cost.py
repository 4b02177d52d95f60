"""The attribute benchmark's cost section: tagging cost per product with the attributes against category only."""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.attribute_held_out import HeldOut  # noqa: E402
from tagllm import Tagger  # noqa: E402
from tagllm.config import TaggerConfig  # noqa: E402
from tagllm.retrieval.embedder import Embedder  # noqa: E402
from tagllm.taxonomy import CATEGORY  # noqa: E402


def run_cost(held: HeldOut, embedder: Embedder, repeats: int = 2) -> list[str]:
    from tagllm.models import Product

    products = [Product(**p) for p in held.test]
    vectors = embedder.encode([p.text() for p in products])
    only_category = Tagger(
        held.taxonomy, index=held.tagger.index, embedder=embedder, config=TaggerConfig(facets=[CATEGORY])
    )
    taggers = {"category only": only_category, f"category + {len(held.facets) - 1} attributes": held.tagger}
    timings: dict[str, dict[str, float]] = {name: {"tag": float("inf"), "no_encode": float("inf")} for name in taggers}
    for _ in range(repeats):
        for name, tagger in taggers.items():
            started = time.perf_counter()
            tagger.tag(products)
            timings[name]["tag"] = min(timings[name]["tag"], time.perf_counter() - started)
            started = time.perf_counter()
            tagger.tag_batch(products, vectors=vectors)
            timings[name]["no_encode"] = min(timings[name]["no_encode"], time.perf_counter() - started)
    lines = ["| tagging | ms per product (with encoding) | ms per product (encoded beforehand) |", "|---|---:|---:|"]
    for name, t in timings.items():
        lines.append(
            f"| {name} | {1000 * t['tag'] / len(products):.2f} | {1000 * t['no_encode'] / len(products):.2f} |"
        )
    first, second = list(timings.values())
    lines.append(
        f"attributes cost {second['tag'] / first['tag']:.2f}x category-only with encoding, "
        f"{second['no_encode'] / first['no_encode']:.2f}x without ({len(products)} fashion products, best of {repeats})"
    )
    return lines
