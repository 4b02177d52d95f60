"""What a person reads beside a run's metrics: examples of wrong tags with what led to them, and gold labels that
near-identical labelled products contradict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tagllm.evaluation.scoring import gold_leaves, value_label
from tagllm.models import TagResult
from tagllm.taxonomy import Taxonomy

if TYPE_CHECKING:
    from tagllm.evaluation.config import EvalConfig
    from tagllm.evaluation.gold import GoldItem


def error_examples(
    rows: list[dict[str, Any]],
    results: dict[str, TagResult],
    facets: list[str],
    taxonomy: Taxonomy,
    most: int,
) -> list[dict[str, Any]]:
    """The first ``most`` wrong answers, then misses (no answer, or a failed product): an abstention is no wrong tag,
    and listed in product order the misses of the attribute facets filled the list (21 of Flipkart's 25, 4 of its
    10 wrong answers shown)."""
    wrong = [(row, facet) for row in rows for facet, cell in row["facets"].items() if _answered_wrong(row, cell)]
    missed = [(row, facet) for row in rows for facet, cell in row["facets"].items() if _missed(row, cell)]
    out: list[dict[str, Any]] = []
    for row, facet in (wrong + missed)[:most]:
        cell = row["facets"][facet]
        result = results.get(row["id"])
        example: dict[str, Any] = {
            "id": row["id"],
            "title": row["title"],
            "facet": facet,
            "status": row["status"],
            "gold": [value_label(taxonomy, g) for g in cell["gold"]],
            "pred": value_label(taxonomy, cell["best"]) if cell["best"] else None,
            "confidence": cell["confidence"],
            "error": row.get("error"),
            "neighbours": [],
            "candidates": [],
            "raw_output": None,
            "mapping": [],
            "rejected": [],
        }
        if result is not None and result.provenance is not None:
            prov = result.provenance
            example["neighbours"] = [
                {
                    "title": n.title,
                    "score": n.score,
                    "labels": [value_label(taxonomy, v) for v in n.labels.get(facet, [])],
                }
                for n in prov.neighbours[:3]
            ]
            example["candidates"] = [
                {"name": value_label(taxonomy, c.id), "score": c.score} for c in prov.candidates.get(facet, [])[:5]
            ]
            raw = prov.raw_output or ""
            example["raw_output"] = raw[:400] + ("…" if len(raw) > 400 else "")
        if result is not None:
            example["mapping"] = [
                {
                    "raw": t.mapping.raw,
                    "to": t.path or t.name,
                    "method": t.mapping.method,
                    "score": t.mapping.score,
                }
                for t in result.tags.get(facet, [])
                if t.mapping is not None and t.source != "ancestor"
            ]
            example["rejected"] = [x.text for x in result.rejected if x.facet in (facet, None)]
        out.append(example)
    return out


def _answered_wrong(row: dict[str, Any], cell: dict[str, Any]) -> bool:
    """A wrong answer: the product was tagged and its tags for the facet are not the gold ones."""
    return not cell["correct"] and row["status"] == "ok" and bool(cell["pred"])


def _missed(row: dict[str, Any], cell: dict[str, Any]) -> bool:
    """A miss: no tag for the facet (the tagger abstained, the product failed or has no prediction)."""
    return not cell["correct"] and not (row["status"] == "ok" and cell["pred"])


def gold_suspects(
    gold_items: list[GoldItem],
    rows: list[dict[str, Any]],
    results: dict[str, TagResult],
    taxonomy: Taxonomy,
    cfg: EvalConfig,
) -> list[dict[str, Any]]:
    """Gold labels that disagree with every near-identical labelled example: worth a second look.

    A label that is only more or less specific than the gold one is listed too, marked as such: two identical
    listings labelled at different depths are an inconsistency in the labels, if a milder one.
    """
    from tagllm.evaluation.gold_values import GoldResolver

    resolver = GoldResolver(taxonomy)
    out: list[dict[str, Any]] = []
    for row in rows:
        result = results.get(row["id"])
        if result is None or result.provenance is None:
            continue
        for facet, cell in row["facets"].items():
            near = [n for n in result.provenance.neighbours if n.score >= cfg.near_duplicate and n.labels.get(facet)]
            if not near:
                continue
            seen: set[str] = set()
            for n in near:
                for raw in n.labels[facet]:
                    vid = resolver.resolve(facet, raw)
                    seen.add(vid or raw)
            labelled = gold_leaves(sorted(seen), taxonomy)
            if len(labelled) != 1 or labelled[0] in cell["gold"]:
                continue
            kind = _relation(labelled[0], cell["gold"], taxonomy)
            out.append(
                {
                    "id": row["id"],
                    "title": row["title"],
                    "facet": facet,
                    "gold": [value_label(taxonomy, g) for g in cell["gold"]],
                    "neighbours_say": value_label(taxonomy, labelled[0]),
                    "neighbour": near[0].title,
                    "score": near[0].score,
                    "count": len(near),
                    "kind": kind,
                }
            )
    return out


def _relation(value_id: str, gold: list[str], taxonomy: Taxonomy) -> str:
    """How the near-identical products' label relates to the gold one: a conflict, or just more/less specific."""
    if value_id in taxonomy:
        lineage = taxonomy.lineage(value_id)
        if any(g in lineage for g in gold):
            return "gold less specific"
        if any(g in taxonomy and value_id in taxonomy.lineage(g) for g in gold):
            return "gold more specific"
    return "conflict"
