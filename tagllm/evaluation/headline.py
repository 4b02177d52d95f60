"""The lines `tagllm eval run` prints from a run's metrics.json: one per facet and one over the attributes."""

from __future__ import annotations

from typing import Any


def headline(metrics: dict[str, Any]) -> list[str]:
    """The lines `tagllm eval run` prints: one per facet, the figures an analyst decides on."""
    from tagllm.evaluation.report import precision

    lines = []
    for facet, f in metrics["facets"].items():
        if not f["n"]:  # its zeros would read as misses
            lines.append(f"{facet}: n=0  not scored: no product in the sample has a gold value for it")
            continue
        if not f["hierarchical"]:  # an attribute: what it answered and how often (no tree, no leaves)
            mi = f["micro"]
            if not f["answered"]:
                lines.append(f"{facet}: n={f['n']}  nothing answered  coverage 0.000")
                continue
            figures = f"P/R/F1 {precision(mi)}/{mi['recall']:.3f}/{_fmt_ci(mi['f1'], mi['f1_ci'])}"
            lines.append(
                f"{facet}: n={f['n']}  {figures}  macro-F1 {f['macro']['f1']:.3f}  coverage {f['coverage']:.3f}"
            )
            continue
        parts = [
            f"{facet}: n={f['n']}",
            f"micro-F1 {_fmt_ci(f['micro']['f1'], f['micro']['f1_ci'])}",
            f"macro-F1 {_fmt_ci(f['macro']['f1'], f['macro']['f1_ci'])}",
            f"hier-F1 {_fmt_ci(f['hierarchical_prf']['f1'], f['hierarchical_prf']['f1_ci'])}",
            f"leaf-acc {_fmt_ci(f['leaf_accuracy']['value'], f['leaf_accuracy']['ci'])}",
            f"coverage {f['coverage']:.3f}",
        ]
        lines.append("  ".join(parts))
    over = metrics.get("attributes") or {}
    if over.get("micro"):
        mi, ma = over["micro"], over["macro"]
        lines.append(
            f"{len(over['facets'])} attribute facet(s): micro P/R/F1 {precision(mi)}/{mi['recall']:.3f}/"
            f"{mi['f1']:.3f}  macro-F1 {ma['f1']:.3f}  coverage {mi['coverage']:.3f}"
        )
    return lines


def _fmt_ci(value: float, ci: list[float] | None) -> str:
    return f"{value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
