"""The attribute benchmark's sections with no examples: fashion titles against the Shopify taxonomy (category,
colour, gender), and each dataset's category against its own tree (candidate recall@20, top-1 accuracy)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.attribute_data import log, read_jsonl, sample, split  # noqa: E402
from benchmarks.attribute_scoring import METHODS, Table, reliability, score  # noqa: E402
from tagllm import Tagger  # noqa: E402
from tagllm.config import TaggerConfig  # noqa: E402
from tagllm.retrieval.index import LabelResolver  # noqa: E402
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy  # noqa: E402
from tagllm.text import normalize  # noqa: E402

RECALL_AT = 20
# no examples: each dataset against its own tree, held out as tagllm.candidates.zero's fit left it (fashion as in the
# shopify section); confidence bands of the chosen category's reliability table
ZERO_DATASETS = (("flipkart", 0.25), ("openbg-zh", 0.25), ("fashion", 0.2))
ZERO_BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.01)


def _tag_value(row: dict[str, Any], key: str) -> str | None:
    return next((t.split(": ", 1)[1] for t in row["gold_attribute_tags"] if t.startswith(f"{key}:")), None)


GENDER_FALLBACK = {"men": "Male", "boys": "Male", "women": "Female", "girls": "Female", "unisex": "Unisex"}


def run_shopify(data: Path, n: int, seed: int, table: Table, show_errors: bool = False) -> None:
    from tagllm.mapping import Mapper

    rows = [r for r in read_jsonl(data / "fashion" / "products.jsonl") if r.get("gold_category")]
    _, test = split(rows, 0.2, seed)
    test = sample(test, n, seed)
    taxonomy = load_taxonomy("shopify")
    started = time.perf_counter()
    mapper = Mapper(taxonomy)
    gold: dict[str, list[str | None]] = {}
    notes: list[str] = []
    for facet, key in (("category", None), ("color", "Colour"), ("target-gender", "Gender")):
        raw = [r["gold_category"] if key is None else _tag_value(r, key) for r in test]
        distinct = sorted({x for x in raw if x})
        mapped = {m.text: m for m in mapper.map(distinct, facet)}
        # a category path the mapper rejects is tried by its leaf ("Apparel > Topwear > Shirts" -> "Shirts")
        leaves = sorted({t.split(" > ")[-1] for t in distinct if not mapped[t].ok and " > " in t})
        by_leaf = {m.text: m for m in mapper.map(leaves, facet)} if leaves else {}
        table_of: dict[str, str | None] = {}
        for text in distinct:
            m = mapped[text]
            if not m.ok and text.split(" > ")[-1] in by_leaf:
                m = by_leaf[text.split(" > ")[-1]]
            vid = m.value.id if m.value else None
            how = m.method or f"rejected: {m.reason}"
            if vid is None and facet == "target-gender" and normalize(text) in GENDER_FALLBACK:
                name = GENDER_FALLBACK[normalize(text)]
                vid = next(v.id for v in taxonomy.facet_values(facet) if v.name == name)
                how = "fallback table"
            table_of[text] = vid
            target = taxonomy.path_of(vid) if vid else "—"
            notes.append(f"  gold {facet}: {text!r} -> {target} ({how})")
        gold[facet] = [table_of.get(x) if x else None for x in raw]
    map_s = time.perf_counter() - started
    started = time.perf_counter()
    config = TaggerConfig(taxonomy="shopify", facets=["category", "color", "target-gender"])
    tagger = Tagger(taxonomy, config=config)
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    results = tagger.tag([{"id": str(r["id"]), "title": r["title"]} for r in test])
    tag_s = time.perf_counter() - started
    for facet, g in gold.items():
        pred = [{t.id for t in r.tags.get(facet, []) if t.source != "ancestor"} for r in results]
        if facet == "category":
            best = [(b.id if (b := r.best(facet)) else None) for r in results]
            pred = [{b} if b else set() for b in best]
            on_path = [
                gi is not None and b is not None and (gi in taxonomy.lineage(b) or b in taxonomy.lineage(gi))
                for gi, b in zip(g, best, strict=True)
            ]
            answered = sum(1 for gi, b in zip(g, best, strict=True) if gi and b)
            hits = sum(on_path)
            notes.append(
                f"  category on the gold's path (the gold, an ancestor or a descendant): {hits}/{answered} answered"
                f" = {hits / answered if answered else 0:.3f}"
            )
            confidences = [
                (b.confidence, b.id == gi) for gi, r in zip(g, results, strict=True) if gi and (b := r.best(facet))
            ]
            notes.append(f"  category, best by its confidence: {reliability(confidences, ZERO_BANDS)}")
            if show_errors:
                notes += _category_errors(taxonomy, test, g, results, on_path)
        s = score([{x} if x else None for x in g], pred)
        table.row("fashion → shopify, no examples", facet, METHODS[0], s)
        if facet != "category":
            notes.append(f"  {facet}: " + reliability(
                [(t.confidence, t.id == gi) for gi, r in zip(g, results, strict=True) if gi
                 for t in r.tags.get(facet, [])]
            ))  # fmt: skip
    unmapped = {f: sum(1 for x in g if x is None) for f, g in gold.items()}
    log(f"shopify: gold mapped in {map_s:.1f}s; tagger set up in {setup_s:.1f}s; {len(test)} products in {tag_s:.1f}s")
    table.lines.append("")
    table.lines.append(
        f"shopify, no examples: {len(test)} held-out fashion titles; products without a mapped gold value are not "
        f"scored on that facet ({', '.join(f'{f}: {k}' for f, k in unmapped.items())} unmapped); tagger setup "
        f"{setup_s:.1f}s, tagging {tag_s:.1f}s"
    )
    table.lines.extend(notes)
    table.lines.append("")


def _category_errors(
    taxonomy: Taxonomy, test: list[dict[str, Any]], gold: list[str | None], results: list[Any], on_path: list[bool]
) -> list[str]:
    """One line per wrong best category: the title, the chosen value, the mapped gold, the confidence, and whether
    the choice lies on the gold's path (an ancestor or a descendant) or on another branch."""
    lines = ["  category errors (on path: the choice is the gold's ancestor or descendant):"]
    for row, gi, r, path in zip(test, gold, results, on_path, strict=True):
        b = r.best("category")
        if gi is None or b is None or b.id == gi:
            continue
        where = "on path" if path else "other branch"
        lines.append(
            f"    {where} | {row['title']!r} | chose {taxonomy.path_of(b.id)} ({b.confidence:.2f})"
            f" | gold {taxonomy.path_of(gi)} (from {row['gold_category']!r})"
        )
    return lines


def run_zero_category(data: Path, name: str, share: float, n: int, seed: int, table: Table) -> None:
    rows = [r for r in read_jsonl(data / name / "products.jsonl") if r.get("gold_category")]
    _, test = split(rows, share, seed)
    test = sample(test, n, seed)
    taxonomy = load_taxonomy(data / name / "categories.jsonl")
    resolver = LabelResolver(taxonomy)
    gold = [resolver.resolve(CATEGORY, r["gold_category"]) for r in test]
    config = TaggerConfig(taxonomy=str(data / name / "categories.jsonl"), max_candidates=RECALL_AT)
    started = time.perf_counter()
    tagger = Tagger(taxonomy, config=config)
    results = tagger.tag([{"id": str(r["id"]), "title": r["title"]} for r in test])
    seconds = time.perf_counter() - started
    in_top = sum(
        g in {c.id for c in (r.provenance.candidates.get(CATEGORY, []) if r.provenance else [])[:RECALL_AT]}
        for g, r in zip(gold, results, strict=True)
    )
    best = [(b.id if (b := r.best(CATEGORY)) else None) for r in results]
    top1 = sum(g == b for g, b in zip(gold, best, strict=True))
    answered = sum(b is not None for b in best)
    table.lines.append(
        f"| {name} | {len(test)} | {in_top / len(test):.3f} | {top1 / len(test):.3f} | {answered / len(test):.3f} | "
        f"{seconds:.1f} |"
    )
    confidences = [(b.confidence, b.id == g) for g, r in zip(gold, results, strict=True) if (b := r.best(CATEGORY))]
    brier = sum((c - right) ** 2 for c, right in confidences) / max(len(confidences), 1)
    table.notes.append(f"{name}, top-1 category: {reliability(confidences, ZERO_BANDS)}; Brier score {brier:.4f}")
