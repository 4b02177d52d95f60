"""Routing figures of a run: from one run of the default, the share routed to an LLM and the accuracy of the
products the default keeps, per threshold; from a routed run, the accuracy of each path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tagllm.models import TagResult

# Thresholds the table shows; the suggestion is read from every distinct confidence, not from these.
GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def product_routing(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Per product with a scored facet: the confidence it is routed on (its least sure tagged facet, scored or not,
    as the router thresholds every facet; a failed or missing product 0, as the router sends a failed default on),
    whether every scored facet is right, and its cells."""
    kept = [r for r in rows if r["facets"]]
    confidence = np.asarray([_routed_on(r) if r["status"] == "ok" else 0.0 for r in kept], dtype=float)
    correct = np.asarray([all(c["correct"] for c in r["facets"].values()) for r in kept], dtype=bool)
    return confidence, correct, kept


def _routed_on(row: dict[str, Any]) -> float:
    """A row's routing confidence; a row written before it was kept (its scored facets') read from its cells."""
    if row.get("route_confidence") is not None:
        return float(row["route_confidence"])
    return min(c["route_confidence"] for c in row["facets"].values())


def _point(threshold: float, confidence: np.ndarray, correct: np.ndarray) -> dict[str, Any]:
    routed = confidence < threshold
    n_routed, n_kept = int(routed.sum()), int((~routed).sum())
    return {
        "threshold": threshold,
        "routed": n_routed,
        "routed_share": n_routed / len(confidence) if len(confidence) else 0.0,
        "kept": n_kept,
        "kept_accuracy": float(correct[~routed].mean()) if n_kept else None,
        "routed_default_accuracy": float(correct[routed].mean()) if n_routed else None,
    }


def routing_sweep(rows: list[dict[str, Any]], facets: list[str], target: float) -> dict[str, Any]:
    """For thresholds from 0 to 1 (one threshold for every scored facet): the share of products routed to the
    LLM and the accuracy of those the default keeps (every scored facet right), with the default's accuracy on
    the routed ones (what the LLM has to beat); and the lowest threshold whose kept products reach ``target``.

    Exact from one run of the default: a product's path depends on its confidences only, and what the default
    keeps it answers as it did in that run."""
    confidence, correct, kept_rows = product_routing(rows)
    by_facet = {f: np.asarray([f in r["facets"] for r in kept_rows], dtype=bool) for f in facets}
    facet_correct = {f: np.asarray([r["facets"].get(f, {}).get("correct", 0) for r in kept_rows]) for f in facets}

    def point(threshold: float) -> dict[str, Any]:
        out = _point(threshold, confidence, correct)
        if len(facets) > 1:
            keep = confidence >= threshold
            out["kept_accuracy_by_facet"] = {
                f: float(facet_correct[f][keep & has].mean()) if (keep & has).any() else None
                for f, has in by_facet.items()
            }
        return out

    # Every distinct confidence is a threshold at which the kept set changes (the products at or above it).
    cuts = np.unique(np.concatenate([[0.0], confidence]))
    ordered = np.sort(confidence)
    right_from = np.concatenate([np.cumsum(correct[np.argsort(confidence, kind="stable")][::-1])[::-1], [0]])
    first_kept = np.searchsorted(ordered, cuts, side="left")
    n_kept = len(confidence) - first_kept
    kept_accuracy = np.divide(right_from[first_kept], n_kept, out=np.zeros(len(cuts)), where=n_kept > 0)
    reached = np.flatnonzero((n_kept > 0) & (kept_accuracy >= target))
    suggested = point(float(cuts[reached[0]])) if len(reached) else None
    curve = [_point(float(cut), confidence, correct) for cut in _thinned(list(cuts), 200)]
    return {
        "products": len(confidence),
        "target": target,
        "accuracy": float(correct.mean()) if len(correct) else None,
        "table": [point(t) for t in GRID],
        "suggested": suggested,
        "curve": [p for p in curve if p["kept_accuracy"] is not None],
    }


def _thinned(values: list[float], most: int) -> list[float]:
    if len(values) <= most:
        return values
    step = len(values) / most
    return [values[int(i * step)] for i in range(most)] + [values[-1]]


def path_accuracy(rows: list[dict[str, Any]], results: dict[str, TagResult]) -> dict[str, Any]:
    """A routed run: per path the products it tagged and their accuracy (every scored facet right): ``default``, the
    products the default kept; ``llm``, those the LLM tagged; ``fell_back``, those routed to the LLM that kept the
    default's tags because it failed (routed, so counted in ``routed_share``, not among the default's); ``failed``,
    the error records (both paths failed: routed, as a failed default is), which the failed products count too."""
    paths: dict[str, list[bool]] = {"default": [], "llm": [], "fell_back": [], "failed": []}
    routed = 0
    for row in rows:
        result = results.get(row["id"])
        path = _path(result) if row["facets"] and result is not None else None
        if path is None or result is None:
            continue
        paths[path].append(all(c["correct"] for c in row["facets"].values()))
        # a product that failed before it was tagged (a bad record) was never routed
        routed += path in ("llm", "fell_back") or (path == "failed" and bool(result.routing and result.routing.below))
    total = sum(len(v) for v in paths.values())
    return {
        "products": total,
        "routed_share": routed / total if total else 0.0,
        "fell_back": len(paths["fell_back"]),
        "failed": len(paths["failed"]),
        "paths": {name: {"n": len(v), "accuracy": float(np.mean(v)) if v else None} for name, v in paths.items()},
    }


def _path(result: TagResult) -> str | None:
    """The path a routed run's result took: an error record ``failed``; none for a result not routed at all."""
    if result.status == "error":
        return "failed"
    if result.source is None:
        return None
    if result.routing is not None and result.routing.error is not None:
        return "fell_back"
    return result.source


def routing_lines(routing: dict[str, Any]) -> list[str]:
    """What `tagllm eval run` prints about routing."""
    if "paths" in routing:
        paths = routing["paths"]
        d, llm, failed = paths["default"], paths["llm"], paths["fell_back"]
        return [
            f"routed: {routing['routed_share']:.1%} of {routing['products']} products to the LLM: {llm['n']} tagged "
            f"by it (accuracy {_acc(llm['accuracy'])}), {failed['n']} kept the default's tags when it failed "
            f"(accuracy {_acc(failed['accuracy'])}){_both_failed(paths)}; kept by the default: {d['n']} "
            f"(accuracy {_acc(d['accuracy'])})"
        ]
    lines = [
        "routing (a product goes to the LLM when its confidence in any tagged facet is below the threshold):",
        "  threshold  routed   kept accuracy  default's accuracy on the routed",
    ]
    for p in routing["table"]:
        lines.append(
            f"  {p['threshold']:<9.2f}  {p['routed_share']:>6.1%}   {_acc(p['kept_accuracy']):<13}  "
            f"{_acc(p['routed_default_accuracy'])}"
        )
    s = routing["suggested"]
    if s is None:
        lines.append(f"  no threshold keeps products {routing['target']:.3f} accurate")
    else:
        lines.append(
            f"  kept products ≥ {routing['target']:.3f} accurate from threshold {s['threshold']:.4f}: "
            f"{s['routed_share']:.1%} routed ({s['routed']} of {routing['products']}), kept accuracy "
            f"{s['kept_accuracy']:.3f}"
        )
    return lines


def _both_failed(paths: dict[str, Any]) -> str:
    """The error records among a routed run's products, when there are any (a run written before had none counted)."""
    n = paths.get("failed", {}).get("n", 0)
    return f", {n} failed on both paths (an error record, counted in the failed products)" if n else ""


def _acc(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
