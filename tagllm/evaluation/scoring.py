"""Scoring one run: per-product rows and the metrics.json a report and a comparison are rendered from."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import numpy as np

from tagllm.evaluation import metrics as m
from tagllm.kept import left_out
from tagllm.models import TagResult
from tagllm.routing import facet_confidence
from tagllm.taxonomy import Taxonomy

if TYPE_CHECKING:
    from tagllm.evaluation.config import EvalConfig
    from tagllm.evaluation.gold import GoldItem, GoldSet
    from tagllm.evaluation.harness import VariantRun

DIRECT_METHODS = ("id", "exact")  # the model wrote a taxonomy value as it is: not off-taxonomy
AT_K = (1, 3, 5, 10)
MIN_SUPPORT_FOR_WORST = 2  # a tag seen once says little; the worst-tags list would be all noise


def gold_leaves(ids: list[str], taxonomy: Taxonomy) -> list[str]:
    """Drop gold ids that are ancestors of other gold ids: 'A' and 'A > B' together mean 'A > B'."""
    closed = {a for vid in ids if vid in taxonomy for a in taxonomy.lineage(vid)[:-1]}
    out: list[str] = []
    for vid in ids:
        if vid not in closed and vid not in out:
            out.append(vid)
    return out


def value_label(taxonomy: Taxonomy, vid: str | None) -> str:
    """A value's path for a person to read; an id the taxonomy lacks as it is, none as a dash."""
    if vid is None:
        return "—"
    return taxonomy.path_of(vid) if vid in taxonomy else vid


def _ranked(result: TagResult, facet: str) -> list[str]:
    """The system's ranking for a facet: its tags by confidence, then the remaining candidates by score."""
    tags = sorted((t for t in result.tags.get(facet, []) if t.source != "ancestor"), key=lambda t: -t.confidence)
    out = [t.id for t in tags]
    if result.provenance is not None:
        for c in sorted(result.provenance.candidates.get(facet, []), key=lambda c: -c.score):
            if c.id not in out:
                out.append(c.id)
    return out


def _product_row(item: GoldItem, result: TagResult | None, facets: list[str], taxonomy: Taxonomy) -> dict[str, Any]:
    status = "missing" if result is None else result.status
    row: dict[str, Any] = {"id": item.id, "title": item.title, "status": status, "facets": {}}
    if result is not None and result.error is not None:
        row["error"] = result.error.message
    if result is not None and result.status == "ok":
        row["route_confidence"] = route_confidence(result, [f for f in facets if item.gold.get(f)])
    for facet in facets:
        gold = item.gold.get(facet)
        if not gold:
            continue
        hierarchical = taxonomy.facets[facet].hierarchical
        gold_set = gold_leaves(gold, taxonomy) if hierarchical else list(dict.fromkeys(gold))
        ok = result is not None and result.status == "ok"
        tags = [t for t in result.tags.get(facet, []) if t.source != "ancestor"] if ok and result else []
        best = result.best(facet) if ok and result else None
        pred = list(dict.fromkeys(t.id for t in tags))
        if hierarchical:
            correct = best is not None and len(gold_set) == 1 and best.id == gold_set[0]
        else:
            correct = bool(pred) and set(pred) == set(gold_set)
        counts = m.per_product_counts([gold_set], [pred])[0]
        hcounts = m.hierarchical_counts([gold_set], [pred], taxonomy)[0]
        row["facets"][facet] = {
            "gold": gold_set,
            "pred": pred,
            "best": best.id if best else None,
            "gold_paths": [value_label(taxonomy, g) for g in gold_set],
            "best_path": value_label(taxonomy, best.id) if best else None,
            "confidence": best.confidence if best else None,
            "route_confidence": facet_confidence(result, facet) if ok and result else None,
            "ranked": _ranked(result, facet)[:10] if ok and result else [],
            "counts": counts.tolist(),
            "hcounts": hcounts.tolist(),
            "correct": int(correct),
        }
    return row


def route_confidence(result: TagResult, scored: list[str]) -> float:
    """The confidence a product is routed on: its least sure facet of those the default decided (every facet it
    tagged, as the router thresholds them all), not only of those with gold; a result without the default's
    decision (no provenance), its least sure scored facet."""
    prov = result.provenance
    decided = list(prov.parsed_output) if prov is not None and isinstance(prov.parsed_output, dict) else []
    facets = list(dict.fromkeys([*decided, *scored]))
    return min((facet_confidence(result, facet) for facet in facets), default=1.0)


def _off_taxonomy(results: list[TagResult], facet: str) -> dict[str, Any]:
    methods: dict[str, int] = {}
    rejected = 0
    for r in results:
        for t in r.tags.get(facet, []):
            if t.source != "ancestor" and t.mapping is not None:
                methods[t.mapping.method] = methods.get(t.mapping.method, 0) + 1
        rejected += sum(
            left_out(x) for x in r.rejected if x.facet in (facet, None)
        )  # a cut list's note: those it counts
    raw = sum(methods.values()) + rejected
    rescued = {k: v for k, v in sorted(methods.items(), key=lambda kv: -kv[1]) if k not in DIRECT_METHODS}
    off = sum(rescued.values()) + rejected
    return {
        "raw_strings": raw,
        "direct": sum(v for k, v in methods.items() if k in DIRECT_METHODS),
        "off_taxonomy": off,
        "rate": off / raw if raw else None,
        "rescued": rescued,
        "rescued_total": sum(rescued.values()),
        "rescued_share": sum(rescued.values()) / off if off else None,
        "rejected": rejected,
    }


def _facet_metrics(
    facet: str, rows: list[dict[str, Any]], results: dict[str, TagResult], taxonomy: Taxonomy, cfg: EvalConfig
) -> dict[str, Any]:
    scored = [r for r in rows if facet in r["facets"]]
    cells = [r["facets"][facet] for r in scored]
    gold = [c["gold"] for c in cells]
    pred = [c["pred"] for c in cells]
    counts = np.asarray([c["counts"] for c in cells], dtype=np.int64).reshape(-1, 3)
    hcounts = np.asarray([c["hcounts"] for c in cells], dtype=np.int64).reshape(-1, 3)
    correct = np.asarray([c["correct"] for c in cells], dtype=float)
    micro, macro = m.micro_prf(gold, pred), m.macro_prf(gold, pred)
    hier = m.prf_counts(*(int(x) for x in hcounts.sum(axis=0))) if len(hcounts) else m.PRF(0.0, 0.0, 0.0)
    n = len(cells)
    answered = [c for c in cells if c["best"] is not None]
    ok_rows = [r for r in scored if r["status"] == "ok"]
    at_k = _at_k(gold, [c["ranked"] for c in cells])
    bins, ece = m.calibration([c["confidence"] for c in answered], [c["correct"] for c in answered])
    curve = m.precision_coverage_curve([c["confidence"] for c in answered], [c["correct"] for c in answered], n)
    suggestion = m.suggest_threshold(curve, cfg.target_precision)
    per_tag = _per_tag(gold, pred, taxonomy)
    worst = sorted(
        (t for t in per_tag if t["support"] >= MIN_SUPPORT_FOR_WORST), key=lambda t: (t["f1"], -t["support"])
    )[:15]
    curve_points = _thin(curve, 200)
    return {
        "n": n,
        "title": taxonomy.facets[facet].title or facet,
        "answered": len(answered),
        "hierarchical": taxonomy.facets[facet].hierarchical,
        "micro": {**micro.as_dict(), "f1_ci": _ci(counts, m.micro_f1_of_counts, cfg)},
        "macro": {**macro.as_dict(), "f1_ci": _ci(m.label_matrix(gold, pred), m.macro_f1_of_matrix, cfg)},
        "hierarchical_prf": {**hier.as_dict(), "f1_ci": _ci(hcounts, m.micro_f1_of_counts, cfg)},
        "leaf_accuracy": {"value": float(correct.mean()) if n else 0.0, "ci": _ci(correct, m.mean_of, cfg)},
        "at_k": at_k,
        "coverage": len(answered) / n if n else 0.0,
        "abstention": sum(1 for r in ok_rows if r["facets"][facet]["best"] is None) / n if n else 0.0,
        "errors": sum(1 for r in scored if r["status"] == "error") / n if n else 0.0,
        "missing": sum(1 for r in scored if r["status"] == "missing"),
        "off_taxonomy": _off_taxonomy([results[r["id"]] for r in ok_rows if r["id"] in results], facet),
        "calibration": {"ece": ece, "bins": [_bin(b) for b in bins]},
        "precision_coverage": {
            "target_precision": cfg.target_precision,
            "suggested": _point(suggestion) if suggestion else None,
            "curve": [_point(p) for p in curve_points],
        },
        "per_tag": per_tag,
        "worst_tags": worst,
        "confusions": _confusions(cells, taxonomy),
    }


def _at_k(gold: list[list[str]], ranked: list[list[str]]) -> dict[str, dict[str, float]]:
    """Precision and recall of each product's first k candidates, for each k of ``AT_K``: how much a reranker or an
    LLM choosing among them could gain."""
    at_k = {}
    for k in AT_K:
        p, r = m.precision_recall_at_k(gold, ranked, k)
        at_k[str(k)] = {"precision": p, "recall": r}
    return at_k


def _per_tag(gold: list[list[str]], pred: list[list[str]], taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Precision, recall and F1 of each value, named by its path in the taxonomy, the most frequent in the gold first:
    the report's table, and the source of its worst tags."""
    per_tag: list[dict[str, Any]] = [
        {
            "id": vid,
            "name": taxonomy[vid].name if vid in taxonomy else vid,
            "path": value_label(taxonomy, vid),
            "support": prf.tp + prf.fn,
            "predicted": prf.tp + prf.fp,
            "precision": prf.precision,
            "recall": prf.recall,
            "f1": prf.f1,
        }
        for vid, prf in m.per_tag_prf(gold, pred).items()
    ]
    per_tag.sort(key=lambda t: (-t["support"], t["path"]))
    return per_tag


def _confusions(cells: list[dict[str, Any]], taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """The 15 commonest (gold, predicted) mix-ups among products with one gold value, named by their paths."""
    leaf_gold = [c["gold"][0] if len(c["gold"]) == 1 else None for c in cells]
    return [
        {"gold": value_label(taxonomy, g), "pred": value_label(taxonomy, p), "gold_id": g, "pred_id": p, "count": k}
        for g, p, k in m.confusions(leaf_gold, [c["best"] for c in cells], top=15)
    ]


def _ci(data: np.ndarray, statistic: m.Statistic, cfg: EvalConfig) -> list[float] | None:
    if not cfg.bootstrap or not len(data):
        return None
    return list(m.bootstrap_ci(data, statistic, n_boot=cfg.bootstrap, seed=cfg.seed))


def _bin(b: m.CalibrationBin) -> dict[str, float]:
    return {
        "lower": b.lower,
        "upper": b.upper,
        "count": b.count,
        "confidence": b.confidence,
        "accuracy": b.accuracy,
    }


def _point(p: m.CoveragePoint) -> dict[str, float]:
    return {"threshold": p.threshold, "coverage": p.coverage, "precision": p.precision, "count": p.count}


def _thin(curve: list[m.CoveragePoint], most: int) -> list[m.CoveragePoint]:
    # Thousands of distinct confidences make metrics.json heavy and the plot no clearer.
    if len(curve) <= most:
        return curve
    step = len(curve) / most
    return [curve[int(i * step)] for i in range(most)] + [curve[-1]]


def _performance(run: VariantRun, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [run.results[r["id"]] for r in rows if r["status"] == "ok"]
    seconds = [run.seconds.get(r["id"], 0.0) for r in rows if r["status"] == "ok"]
    # Backends time their own call; the wall clock per product adds embedding, retrieval and mapping.
    latency = [res.provenance.latency_ms for res in ok if res.provenance and res.provenance.latency_ms is not None]
    prompt = [res.provenance.prompt_tokens for res in ok if res.provenance and res.provenance.prompt_tokens]
    completion = [res.provenance.completion_tokens for res in ok if res.provenance and res.provenance.completion_tokens]
    total = sum(seconds)
    return {
        "products": len(rows),
        "ok": len(ok),
        "tagged_now": run.tagged,
        "from_cache": run.cached,
        "setup_s": run.setup_s,
        "tagging_s": total,
        "throughput_per_s": len(ok) / total if total else None,
        "ms_per_product": 1000 * total / len(ok) if ok else None,
        "latency_ms": {
            "mean": float(np.mean(latency)) if latency else None,
            "p50": float(np.percentile(latency, 50)) if latency else None,
            "p95": float(np.percentile(latency, 95)) if latency else None,
        },
        "prompt_tokens": int(sum(prompt)) if prompt else None,
        "completion_tokens": int(sum(completion)) if completion else None,
        "tokens_per_product": (sum(prompt) + sum(completion)) / len(ok) if ok and (prompt or completion) else None,
    }


def score_run(cfg: EvalConfig, gold: GoldSet, run: VariantRun, taxonomy: Taxonomy) -> tuple[dict[str, Any], list]:
    """Per-product rows and the metrics dictionary for one variant."""
    from tagllm.evaluation.examples import error_examples, gold_suspects  # they read this module's helpers
    from tagllm.evaluation.predictions import foreign_predictions, unknown_predictions

    rows = [_product_row(item, run.results.get(item.id), gold.facets, taxonomy) for item in gold.items]
    facets = {f: _facet_metrics(f, rows, run.results, taxonomy, cfg) for f in gold.facets}
    missing = [{"id": r["id"], "title": r["title"]} for r in rows if r["status"] == "missing"]
    failed = [{"id": r["id"], "title": r["title"], "error": r.get("error")} for r in rows if r["status"] == "error"]
    unknown = unknown_predictions(run, gold, taxonomy)
    foreign = foreign_predictions(run, gold)
    config = run.variant.config.model_dump()
    metrics = {
        "name": cfg.name,
        "variant": run.variant.name,
        "settings": run.variant.settings,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cache_key": run.key,
        "taxonomy": {"name": taxonomy.name, "version": taxonomy.version, "values": len(taxonomy)},
        "tagger": {
            **{k: config[k] for k in ("backend", "model", "prompt", "k", "max_candidates", "threshold")},
            # The retrieval backend reads no prompt; naming one in the report would suggest it mattered.
            **({"prompt": "none (no LLM)"} if config["backend"] == "retrieval" else {}),
        },
        "sample": {
            "gold_file": display_path(cfg.gold),
            "gold_records": gold.total_records,
            "split": cfg.split,
            "in_split": gold.in_split,
            "sample": gold.sample_note or cfg.sample.describe(),
            "evaluated": len(rows),
        },
        "bad_input": {
            "unknown_gold_count": len(gold.unknown),
            "unknown_gold": gold.unknown[:100],
            "unknown_predictions_count": len(unknown),
            "unknown_predictions": unknown[:100],
            "unreadable_gold_count": len(gold.unreadable),
            "unreadable_gold": gold.unreadable[:100],
            "repeated_ids_count": len(gold.repeated),
            "repeated_ids": gold.repeated[:100],
            "repeated_predictions_count": len(run.repeated),
            "repeated_predictions": run.repeated[:100],
            "torn_predictions_count": len(run.torn),
            "torn_predictions": run.torn[:100],
            "foreign_predictions_count": len(foreign),
            "foreign_predictions": foreign[:100],
            "no_gold_count": len(gold.no_gold),
            "no_gold": gold.no_gold[:100],
            "missing_predictions_count": len(missing),
            "missing_predictions": missing[:100],
            "failed_count": len(failed),
            "failed": failed[:100],
        },
        "facets": facets,
        "attributes": attribute_summary(facets),
        "performance": _performance(run, rows),
        "error_examples": error_examples(rows, run.results, gold.facets, taxonomy, cfg.max_examples),
        "possible_gold_errors": gold_suspects(gold.items, rows, run.results, taxonomy, cfg),
        "routing": _routing(cfg, gold, run, rows),
    }
    return metrics, rows


def _routing(cfg: EvalConfig, gold: GoldSet, run: VariantRun, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A run of the default: the routing sweep (share routed and kept accuracy per threshold); a routed run: the
    accuracy of each path; a run of an LLM alone: nothing."""
    from tagllm.evaluation.routing import path_accuracy, routing_sweep

    if any(r.source is not None for r in run.results.values()):
        return path_accuracy(rows, run.results)
    if _made_by_the_default(run):
        return routing_sweep(rows, gold.facets, cfg.route_target)
    return None


def _made_by_the_default(run: VariantRun) -> bool:
    """Whether the no-LLM default made a run's tags: the variant's backend says so, except for a predictions file
    (--predictions), whose results' provenance names what made them (an LLM's output scored under a config of the
    default got a routing table read from the LLM's answers, as if they were the default's)."""
    named = {r.provenance.backend for r in run.results.values() if r.provenance is not None}
    if run.is_from_file and named:
        return named == {"retrieval"}
    return run.variant.config.backend == "retrieval"


def attribute_summary(facets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Micro and macro figures over the flat (attribute) facets scored; the category has its own figures."""
    flat = {name: f for name, f in facets.items() if not f["hierarchical"] and f["n"]}
    fields = ("precision", "recall", "f1", "tp", "fp", "fn")
    prf = {name: m.PRF(**{k: f["micro"][k] for k in fields}) for name, f in flat.items()}
    return m.over_facets(prf, {n: f["answered"] for n, f in flat.items()}, {n: f["n"] for n, f in flat.items()})


def display_path(path: str) -> str:
    """A path relative to the working directory when below it, so reports do not carry one machine's layout."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path
