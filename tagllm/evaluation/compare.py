"""Comparing runs: headline metrics with paired-bootstrap deltas, per-tag deltas, changed products."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tagllm.errors import InputError
from tagllm.evaluation import metrics as m
from tagllm.evaluation.scoring import display_path

HEADLINES = ("micro_f1", "macro_f1", "hier_f1", "leaf_accuracy", "coverage")
# an attribute facet has no tree nor leaves: its hierarchical F1 and leaf accuracy said nothing, and the precision
# an analyst tunes attributes for (an abstention where a wrong answer was) was not shown
ATTRIBUTE_HEADLINES = ("precision", "recall", "micro_f1", "macro_f1", "coverage")
HEADLINE_TITLES = {
    "precision": "precision",
    "recall": "recall",
    "micro_f1": "micro F1",
    "macro_f1": "macro F1",
    "hier_f1": "hierarchical F1",
    "leaf_accuracy": "leaf accuracy",
    "coverage": "coverage",
}
MAX_CHANGED = 200


def load_run(directory: str | Path) -> dict[str, Any]:
    """A run directory's metrics and per-product rows; says clearly what is missing."""
    path = Path(directory)
    metrics_file, rows_file = path / "metrics.json", path / "per_product.jsonl"
    if not metrics_file.is_file() or not rows_file.is_file():
        # a sweep's directory holds a run per variant: naming them says what to compare
        inside = sorted(str(d) for d in path.glob("*/") if (d / "metrics.json").is_file()) if path.is_dir() else []
        variants = f"; it holds the runs of a sweep's variants: {', '.join(inside)}" if inside else ""
        raise InputError(
            f"{path}: not a run directory (it needs metrics.json and per_product.jsonl from `eval run`){variants}"
        )
    try:
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
        rows = [json.loads(line) for line in rows_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise InputError(f"{path}: its metrics.json or per_product.jsonl cannot be read ({exc})") from None
    _check_run(path, metrics, rows)
    return {
        "dir": display_path(str(path)),
        "metrics": _labelled(metrics, path.name),
        "rows": {r["id"]: r for r in rows},
        "order": [r["id"] for r in rows],
    }


def _labelled(metrics: dict[str, Any], name: str) -> dict[str, Any]:
    """``metrics`` with what only labels a run in the comparison filled in where it lacks it: a run of an older
    tagllm, or one edited, is still compared."""
    tagger, performance = metrics.get("tagger"), metrics.get("performance")
    return {
        **metrics,
        "taxonomy": {"name": "unknown", **metrics["taxonomy"]},
        "name": metrics.get("name", name),
        "variant": metrics.get("variant", "base"),
        "tagger": dict.fromkeys(("backend", "prompt", "k", "threshold"), "unknown")
        | (tagger if isinstance(tagger, dict) else {}),
        "performance": dict.fromkeys(("throughput_per_s", "tokens_per_product"))
        | (performance if isinstance(performance, dict) else {}),
    }


_CELL_FIELDS = ("gold", "pred", "best", "confidence", "counts", "hcounts", "correct")


def _check_run(path: Path, metrics: Any, rows: list[Any]) -> None:
    """Refuse a run whose files lack what a comparison reads (an older tagllm's, edited, or cut short), naming the
    field: compare crashed on the first one missing with a KeyError traceback."""
    again = "score the run again (tagllm eval run) or compare another"
    if not isinstance(metrics, dict):
        raise InputError(f"{path}: its metrics.json holds no run's metrics (not a JSON object); {again}")
    missing = _missing_in_metrics(metrics)
    if missing is not None:
        raise InputError(f"{path}: its metrics.json has no {missing!r}, which a comparison needs; {again}")
    for number, row in enumerate(rows, 1):
        missing = _missing_in_row(row)
        if missing is not None:
            raise InputError(f"{path}: record {number} of its per_product.jsonl has no {missing!r}; {again}")


def _missing_in_metrics(metrics: dict[str, Any]) -> str | None:
    taxonomy, facets = metrics.get("taxonomy"), metrics.get("facets")
    if not isinstance(taxonomy, dict) or "version" not in taxonomy:
        return "taxonomy.version"
    if not isinstance(facets, dict):
        return "facets"
    return next(
        (f"facets.{f}.per_tag" for f, m in facets.items() if not isinstance(m, dict) or "per_tag" not in m), None
    )


def _missing_in_row(row: Any) -> str | None:
    if not isinstance(row, dict) or "id" not in row:
        return "id"
    if not isinstance(row.get("facets"), dict):
        return "facets"
    for facet, cell in row["facets"].items():
        for key in _CELL_FIELDS:
            if not isinstance(cell, dict) or key not in cell:
                return f"facets.{facet}.{key}"
    return None


def _refuse_other_gold(a: dict[str, Any], b: dict[str, Any], ids: list[str], facet: str) -> None:
    """Runs of two gold files that share product ids (g1, g2, … or 1, 2, …) were paired product by product: a
    product the gold of one run labels otherwise (another product under the same id, or its gold corrected since)
    counted as fixed or broken by the tagger."""
    for pid in ids:
        ga, gb = a["rows"][pid]["facets"][facet]["gold"], b["rows"][pid]["facets"][facet]["gold"]
        if sorted(ga) != sorted(gb):
            raise InputError(
                f"cannot compare {b['dir']} with {a['dir']}: product {pid!r} has other {facet} gold in them "
                f"({', '.join(gb) or 'none'} vs {', '.join(ga) or 'none'}), so they scored other gold files or "
                "versions of one; compare runs scored against one gold file"
            )


def _label(run: dict[str, Any]) -> str:
    metrics = run["metrics"]
    return metrics["variant"] if metrics["variant"] != "base" else f"{metrics['name']} ({Path(run['dir']).name})"


def _arrays(run: dict[str, Any], ids: list[str], facet: str) -> dict[str, np.ndarray]:
    cells = [run["rows"][i]["facets"].get(facet) for i in ids]
    return {
        "counts": np.asarray([c["counts"] for c in cells], dtype=np.int64).reshape(-1, 3),
        "hcounts": np.asarray([c["hcounts"] for c in cells], dtype=np.int64).reshape(-1, 3),
        "correct": np.asarray([c["correct"] for c in cells], dtype=float),
        "covered": np.asarray([c["best"] is not None for c in cells], dtype=float),
        "labels": m.label_matrix([c["gold"] for c in cells], [c["pred"] for c in cells]),
    }


_STATISTICS: dict[str, tuple[str, m.Statistic]] = {
    "precision": ("counts", m.micro_precision_of_counts),
    "recall": ("counts", m.micro_recall_of_counts),
    "micro_f1": ("counts", m.micro_f1_of_counts),
    "macro_f1": ("labels", m.macro_f1_of_matrix),
    "hier_f1": ("hcounts", m.micro_f1_of_counts),
    "leaf_accuracy": ("correct", m.mean_of),
    "coverage": ("covered", m.mean_of),
}


def _changed(a: dict[str, Any], b: dict[str, Any], ids: list[str], facet: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"fixed": [], "broken": [], "changed": []}
    for pid in ids:
        ca, cb = a["rows"][pid]["facets"][facet], b["rows"][pid]["facets"][facet]
        if ca["correct"] and not cb["correct"]:
            kind = "broken"
        elif cb["correct"] and not ca["correct"]:
            kind = "fixed"
        elif ca["best"] != cb["best"] or sorted(ca["pred"]) != sorted(cb["pred"]):
            kind = "changed"
        else:
            continue
        out[kind].append(
            {
                "id": pid,
                "title": a["rows"][pid].get("title", ""),
                "gold": ca.get("gold_paths") or ca["gold"],
                "a": ca.get("best_path") or ca["best"],
                "b": cb.get("best_path") or cb["best"],
                "a_confidence": ca["confidence"],
                "b_confidence": cb["confidence"],
            }
        )
    return out


def _tag_deltas(a: dict[str, Any], b: dict[str, Any], ids: list[str], facet: str) -> list[dict[str, Any]]:
    """Per-tag F1 of both runs on the products they share, as the headline is: each run's own per-tag table covers
    its whole sample, and a run of fewer products showed tags the tagger answered alike as won or lost."""
    tables = []
    for run in (a, b):
        cells = [run["rows"][pid]["facets"][facet] for pid in ids]
        tables.append(m.per_tag_prf([c["gold"] for c in cells], [c["pred"] for c in cells]))
    ta, tb = tables
    paths = {t["id"]: t["path"] for run in (a, b) for t in run["metrics"]["facets"][facet]["per_tag"]}
    out = []
    for vid in set(ta) | set(tb):
        fa, fb = (ta[vid].f1 if vid in ta else 0.0), (tb[vid].f1 if vid in tb else 0.0)
        if fa == fb:
            continue
        support = max(ta[vid].tp + ta[vid].fn if vid in ta else 0, tb[vid].tp + tb[vid].fn if vid in tb else 0)
        out.append(
            {"id": vid, "path": paths.get(vid, vid), "support": support, "a_f1": fa, "b_f1": fb, "delta": fb - fa}
        )
    out.sort(key=lambda t: (-abs(t["delta"]) * max(t["support"], 1), t["path"]))
    return out


def _headlines(run: dict[str, Any], facet: str) -> tuple[str, ...]:
    """The figures compared for ``facet``: a tree's, or an attribute's (``hierarchical`` false in the run's metrics;
    a run of an older tagllm that does not say is compared as before)."""
    return HEADLINES if run["metrics"]["facets"][facet].get("hierarchical", True) else ATTRIBUTE_HEADLINES


def compare_runs(directories: Sequence[str | Path], *, seed: int = 0, n_boot: int = 1000) -> dict[str, Any]:
    """Compare every run with the first (the baseline) on the products and facets they share."""
    if len(directories) < 2:
        raise InputError("compare needs at least two run directories")
    runs = [load_run(d) for d in directories]
    base = runs[0]
    _refuse_other_taxonomies(base, runs[1:])
    return {
        "taxonomy": base["metrics"]["taxonomy"],
        "runs": [
            {
                "dir": r["dir"],
                "label": _label(r),
                "variant": r["metrics"]["variant"],
                "tagger": r["metrics"]["tagger"],
                "performance": r["metrics"]["performance"],
            }
            for r in runs
        ],
        "n_boot": n_boot,
        "comparisons": [_compare_pair(base, run, seed=seed, n_boot=n_boot) for run in runs[1:]],
    }


def _refuse_other_taxonomies(base: dict[str, Any], others: list[dict[str, Any]]) -> None:
    """Runs scored against other taxonomy versions tag other values under the same ids: their deltas would compare
    things that are not the same, so they are refused before any is resampled."""
    version = base["metrics"]["taxonomy"]["version"]
    for run in others:
        other = run["metrics"]["taxonomy"]["version"]
        if other != version:
            raise InputError(
                f"cannot compare {run['dir']} with {base['dir']}: they were scored against different "
                f"taxonomy versions ({other} vs {version}), so their tags are not the same values; "
                "re-run both with one taxonomy"
            )


def _compare_pair(base: dict[str, Any], run: dict[str, Any], *, seed: int, n_boot: int) -> dict[str, Any]:
    """One run against the baseline, facet by facet, on the products both scored; runs that share no product or no
    facet are refused, because every figure would read 0.000 -> 0.000 and the command would still succeed."""
    shared = [pid for pid in base["order"] if pid in run["rows"]]
    if not shared:  # every figure was 0.000 -> 0.000 with intervals of [-inf, +inf], exit 0
        raise InputError(
            f"cannot compare {run['dir']} with {base['dir']}: they scored no product in common (runs of other "
            "gold files or samples); compare runs of one gold sample"
        )
    fa, fb = list(base["metrics"]["facets"]), list(run["metrics"]["facets"])
    if not set(fa) & set(fb):  # nothing but the runs' names was printed, exit 0
        raise InputError(
            f"cannot compare {run['dir']} with {base['dir']}: they scored no facet in common "
            f"({', '.join(fa) or 'none'} vs {', '.join(fb) or 'none'}); compare runs that scored the same facets"
        )
    facets: dict[str, Any] = {}
    unscored: list[str] = []  # facets no shared product has gold of: 0.000 -> 0.000 in [-inf, +inf] said nothing
    for facet in fa:
        if facet not in fb:
            continue
        ids = [p for p in shared if facet in base["rows"][p]["facets"] and facet in run["rows"][p]["facets"]]
        if not ids:
            unscored.append(facet)
            continue
        facets[facet] = _compare_facet(base, run, ids, facet, seed=seed, n_boot=n_boot)
    return {
        "a": {"dir": base["dir"], "label": _label(base)},
        "b": {"dir": run["dir"], "label": _label(run)},
        "only_in_a": len(set(base["rows"]) - set(run["rows"])),
        "only_in_b": len(set(run["rows"]) - set(base["rows"])),
        "facets": facets,
        "unscored": unscored,
        # a facet one run scored and the other did not is left out of the comparison, and said to be
        "one_sided": {f: base["dir"] for f in fa if f not in fb} | {f: run["dir"] for f in fb if f not in fa},
    }


def _compare_facet(
    base: dict[str, Any], run: dict[str, Any], ids: list[str], facet: str, *, seed: int, n_boot: int
) -> dict[str, Any]:
    """One facet of two runs on the products ``ids`` both scored it for: each headline figure's paired-bootstrap
    delta, and the tags and products that changed."""
    _refuse_other_gold(base, run, ids, facet)
    arr_a, arr_b = _arrays(base, ids, facet), _arrays(run, ids, facet)
    headline = {}
    # a run that kept no tag of the facet has no precision (0 of 0): 0.000 read as every answer wrong
    silent = [r["dir"] for r, arr in ((base, arr_a), (run, arr_b)) if not arr["counts"][:, :2].sum()]
    for key in _headlines(base, facet):
        if key == "precision" and silent:
            continue
        field, statistic = _STATISTICS[key]
        if key == "macro_f1":
            a_data, b_data = _joint_labels(base, run, ids, facet)
        else:
            a_data, b_data = arr_a[field], arr_b[field]
        delta = m.paired_bootstrap(a_data, b_data, statistic, n_boot=n_boot, seed=seed)
        headline[key] = delta.as_dict() if n_boot > 0 else _untested(delta)
    return {
        "n": len(ids),
        "headline": headline,
        "no_precision": silent if "precision" in _headlines(base, facet) else [],
        "tags": _tag_deltas(base, run, ids, facet),
        "products": _changed(base, run, ids, facet),
    }


def _joint_labels(base: dict[str, Any], run: dict[str, Any], ids: list[str], facet: str) -> tuple[Any, Any]:
    """Both runs' label matrices for macro F1, built together: a paired resample needs them to share columns."""
    cells_a = [base["rows"][i]["facets"][facet] for i in ids]
    cells_b = [run["rows"][i]["facets"][facet] for i in ids]
    joint = m.label_matrix(
        [c["gold"] for c in cells_a] + [c["gold"] for c in cells_b],
        [c["pred"] for c in cells_a] + [c["pred"] for c in cells_b],
    )
    return joint[: len(ids)], joint[len(ids) :]


def _untested(delta: m.PairedDelta) -> dict[str, Any]:
    """A delta with no resample to test it on (bootstrap 0): no interval, p-value nor verdict. It was reported in
    [-inf, +inf], p=1.000, "not significant", as if a test had found every difference to be noise (and comparison.json
    held -Infinity, which is no JSON)."""
    return {**delta.as_dict(), "ci_low": None, "ci_high": None, "p_value": None, "significant": None}


def comparison_lines(comparison: dict[str, Any]) -> list[str]:
    """The lines `tagllm eval compare` prints: per facet and metric, A, B, the delta and its significance."""
    lines = []
    for c in comparison["comparisons"]:
        lines.append(f"{c['b']['label']} vs {c['a']['label']}")
        if c.get("only_in_a") or c.get("only_in_b"):  # runs of other samples: the figures are of the products shared
            lines.append(
                f"  {c['only_in_a']} product(s) only in A and {c['only_in_b']} only in B are left out of the paired "
                "comparison"
            )
        for facet, f in c["facets"].items():
            p = f["products"]
            lines.append(
                f"  {facet} (n={f['n']}): fixed {len(p['fixed'])}, broken {len(p['broken'])}, "
                f"changed {len(p['changed'])}"
            )
            if f.get("no_precision"):
                lines.append(f"    {'precision':<16} — ({no_precision(f)})")
            for key, d in f["headline"].items():
                figures = f"    {HEADLINE_TITLES[key]:<16} {d['a']:.3f} -> {d['b']:.3f}  {d['delta']:+.3f} "
                if d["p_value"] is None:
                    lines.append(figures + "not tested (0 bootstrap resamples)")
                    continue
                mark = "significant" if d["significant"] else "not significant"
                lines.append(figures + f"[{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] p={d['p_value']:.3f} {mark}")
        for facet in c.get("unscored", []):
            lines.append(f"  {facet}: no product both runs scored has gold of it, not compared")
        for facet, directory in c.get("one_sided", {}).items():
            lines.append(f"  {facet}: scored only in {directory}, not compared")
    return lines


def no_precision(facet: dict[str, Any]) -> str:
    """Why a facet's comparison has no precision: the runs that kept no tag of it."""
    return f"{' and '.join(facet['no_precision'])} answered nothing of it: no precision to compare"


def write_comparison(comparison: dict[str, Any], directory: str | Path) -> Path:
    """comparison.json, comparison.md and a self-contained comparison.html; returns the HTML path."""
    from tagllm.evaluation.report import render_comparison_html, render_comparison_markdown

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.json").write_text(json.dumps(comparison, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "comparison.md").write_text(render_comparison_markdown(comparison), encoding="utf-8")
    html = out / "comparison.html"
    html.write_text(render_comparison_html(comparison), encoding="utf-8")
    return html
