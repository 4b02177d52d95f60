"""Reports: Markdown and a self-contained HTML page (inline SVG plots, sortable tables) from metrics.json."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from typing import Any

TEMPLATE_PACKAGE = "tagllm.evaluation"
LABEL_CHARS = 48


# -- formatting ----------------------------------------------------------------------------------------------
def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def precision(counts: dict[str, Any]) -> str:
    """A precision from its counts: "—" when nothing was answered (0 of 0 has no precision; 0.000 reads as every
    answer wrong, where a facet that kept nothing made no error)."""
    return fmt(counts["precision"]) if counts.get("tp", 0) + counts.get("fp", 0) else "—"


def fmt_ci(value: float | None, ci: list[float] | None) -> str:
    return fmt(value) + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def short_label(path: str, chars: int = LABEL_CHARS) -> str:
    """The tail of a category path that fits a plot axis: the leaf and as many parents as fit."""
    parts = [p.strip() for p in path.split(">")]
    out = parts[-1]
    for part in reversed(parts[:-1]):
        if len(out) + len(part) + 3 > chars:
            break
        out = f"{part} > {out}"
    return out if len(out) <= chars else out[: chars - 1] + "…"


class Markdown(str):
    """Text already written as Markdown: the Markdown templates print it as it is."""


MARKDOWN_SPECIAL = re.compile(r"([\\`*|<])")


def md_text(value: Any) -> Any:
    """Text from the data (titles, ids, taxonomy names, messages) as Markdown shows it, letter for letter: a ``|``
    would end a table cell, a line break the row or list item, a backtick open a code span, and a ``<script>`` be raw
    HTML that a renderer passes on. Every ``{{ }}`` of a Markdown template goes through this."""
    if not isinstance(value, str) or isinstance(value, Markdown):
        return value
    return Markdown(MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(value.splitlines())))


def md_code(value: Any, cell: bool = False) -> Markdown:
    """``value`` as a Markdown code span, whatever backticks it holds (the fence is longer than any run of them); in a
    table ``cell`` its ``|`` escaped, which GFM reads inside a code span too."""
    text = " ".join(str(value).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    if cell:
        text = text.replace("|", "\\|")
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")


# -- plots ---------------------------------------------------------------------------------------------------
def _pyplot() -> Any | None:
    """matplotlib's pyplot on a file-only backend, or None (the report then shows tables only)."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    # Text stays text in the SVG so the browser renders any script (Chinese labels included) with its fonts; and
    # a label is text, never mathtext: a path with two "$" ("Under $10 > Gifts $5") was drawn as a formula, and
    # one whose "$…$" is no formula ("$10 \x and $20") stopped the run before report.html was written.
    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "text.parse_math": False,
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _svg(plt: Any, fig: Any) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing-glyph warnings for CJK labels: the browser draws them
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Unique ids per plot: several inline SVGs in one page must not share clip-path ids.
    return svg


def _unique_ids(svg: str, prefix: str) -> str:
    ids = set(re.findall(r'id="([^"]+)"', svg))
    for old in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{old}"', f'id="{prefix}{old}"').replace(f"#{old})", f"#{prefix}{old})")
        svg = svg.replace(f'href="#{old}"', f'href="#{prefix}{old}"')
    return svg


def plot_per_tag_f1(facet: dict[str, Any], plt: Any, most: int = 25) -> str | None:
    tags = [t for t in facet["per_tag"] if t["support"] > 0][:most]
    if not tags:
        return None
    tags = tags[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.26 * len(tags) + 1.0))
    colours = ["#c0392b" if t["f1"] < 0.5 else "#e67e22" if t["f1"] < 0.8 else "#27ae60" for t in tags]
    ax.barh([f"{short_label(t['path'])} ({t['support']})" for t in tags], [t["f1"] for t in tags], color=colours)
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 (support in brackets)")
    ax.set_title(f"Per-tag F1, the {len(tags)} most frequent gold tags")
    return _svg(plt, fig)


def plot_calibration(facet: dict[str, Any], plt: Any) -> str | None:
    bins = [b for b in facet["calibration"]["bins"] if b["count"]]
    if not bins:
        return None
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], linestyle="--", color="#999", label="perfect calibration")
    centres = [(b["lower"] + b["upper"]) / 2 for b in bins]
    ax.bar(centres, [b["accuracy"] for b in bins], width=0.09, alpha=0.55, color="#2980b9", label="accuracy")
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", color="#1f3a93")
    for b, x in zip(bins, centres, strict=True):
        ax.annotate(str(b["count"]), (x, b["accuracy"]), textcoords="offset points", xytext=(0, 3), ha="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("confidence of the top tag")
    ax.set_ylabel("share correct")
    ax.set_title(f"Reliability (ECE {facet['calibration']['ece']:.3f}); counts above bars")
    ax.legend(loc="lower right", frameon=False)
    return _svg(plt, fig)


def plot_precision_coverage(facet: dict[str, Any], plt: Any) -> str | None:
    curve = facet["precision_coverage"]["curve"]
    if not curve:
        return None
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.plot([p["coverage"] for p in curve], [p["precision"] for p in curve], color="#8e44ad")
    target = facet["precision_coverage"]["target_precision"]
    ax.axhline(target, linestyle=":", color="#999")
    suggested = facet["precision_coverage"]["suggested"]
    if suggested:
        ax.plot([suggested["coverage"]], [suggested["precision"]], marker="o", color="#c0392b")
        ax.annotate(
            f"threshold {suggested['threshold']:.3f}\ncoverage {suggested['coverage']:.2f}",
            (suggested["coverage"], suggested["precision"]),
            textcoords="offset points",
            xytext=(8, -24),
        )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage (share of products given a tag)")
    ax.set_ylabel("precision of the kept top tags")
    ax.set_title(f"Precision vs coverage (target {target:.2f})")
    return _svg(plt, fig)


def plot_confusions(facet: dict[str, Any], plt: Any) -> str | None:
    pairs = facet["confusions"][:12][::-1]
    if not pairs:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(pairs) + 1.0))
    labels = [f"{short_label(p['gold'], 34)}  →  {short_label(p['pred'], 34)}" for p in pairs]
    ax.barh(labels, [p["count"] for p in pairs], color="#d35400")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("products")
    ax.set_title("Most frequent confusions (gold → predicted)")
    return _svg(plt, fig)


def plot_facets(metrics: dict[str, Any], plt: Any) -> str | None:
    """Precision, recall and F1 per facet side by side, coverage as a dot: where each facet stands at a glance. A
    facet no gold value carries is left out: its zero bars would read as a facet the tagger got wrong."""
    facets = [(name, f) for name, f in metrics["facets"].items() if f["n"]]
    if len(facets) < 2:
        return None
    import numpy as np

    # a facet that answered nothing made no error: no precision bar (a zero read as every answer wrong), said so
    names = [short_label(name, 28) + ("" if f["answered"] else " (nothing answered)") for name, f in facets][::-1]
    rows = np.arange(len(facets))
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(facets) + 1.2))
    for i, (key, colour) in enumerate((("precision", "#2980b9"), ("recall", "#e67e22"), ("f1", "#27ae60"))):
        values = [f["micro"][key] if f["answered"] or key != "precision" else np.nan for _, f in facets][::-1]
        ax.barh(rows + (i - 1) * 0.26, values, height=0.26, color=colour, label=key)
    ax.plot([f["coverage"] for _, f in facets][::-1], rows, "kD", markersize=4, label="coverage")
    ax.set_yticks(rows, names)
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("micro precision / recall / F1 of each facet; ◆ coverage")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set_title("Per facet")
    return _svg(plt, fig)


def plot_routing(routing: dict[str, Any], plt: Any) -> str | None:
    """Accuracy of the products the default keeps against the share routed to the LLM, one point per threshold."""
    curve = routing.get("curve") or []
    if not curve:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    ax.plot([p["routed_share"] for p in curve], [p["kept_accuracy"] for p in curve], color="#16a085")
    ax.axhline(routing["target"], linestyle=":", color="#999")
    suggested = routing["suggested"]
    if suggested:
        ax.plot([suggested["routed_share"]], [suggested["kept_accuracy"]], marker="o", color="#c0392b")
        ax.annotate(
            f"threshold {suggested['threshold']:.3f}\nrouted {suggested['routed_share']:.1%}",
            (suggested["routed_share"], suggested["kept_accuracy"]),
            textcoords="offset points",
            xytext=(8, -24),
        )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(min(0.5, min(p["kept_accuracy"] for p in curve)), 1.01)
    ax.set_xlabel("share of products routed to the LLM")
    ax.set_ylabel("accuracy of the products the default keeps")
    ax.set_title(f"Routing (target {routing['target']:.2f})")
    return _svg(plt, fig)


PLOTS: list[tuple[str, Callable[[dict[str, Any], Any], str | None]]] = [
    ("per-tag F1", plot_per_tag_f1),
    ("calibration", plot_calibration),
    ("precision-coverage", plot_precision_coverage),
    ("confusions", plot_confusions),
]


def facet_plots(facet_name: str, facet: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, inline SVG) for each plot that has data; empty when matplotlib is not installed."""
    plt = _pyplot()
    if plt is None:
        return []
    out = []
    for i, (title, plot) in enumerate(PLOTS):
        svg = plot(facet, plt)
        if svg:
            out.append((title, _unique_ids(svg, f"{_slug(facet_name)}-{i}-")))
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "facet"


# -- rendering -----------------------------------------------------------------------------------------------
def _environment(markdown: bool = False) -> Any:
    """The templates' environment: HTML autoescaped; for ``markdown`` every value printed as literal text
    (``md_text``), code spans written with the ``code`` filter."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    from tagllm.evaluation.compare import no_precision

    env = Environment(
        loader=PackageLoader(TEMPLATE_PACKAGE, "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=md_text if markdown else None,
    )
    env.filters["code"] = md_code
    env.filters["fmt"] = fmt
    env.filters["precision"] = precision
    env.filters["no_precision"] = no_precision
    env.filters["pct"] = lambda v: "—" if v is None else f"{100 * v:.1f}%"
    env.globals["fmt_ci"] = fmt_ci
    return env


def render_html(metrics: dict[str, Any]) -> str:
    """One self-contained page: no external script, style, font or image."""
    from markupsafe import Markup

    plots = {
        name: [(title, Markup(svg)) for title, svg in facet_plots(name, facet)]
        for name, facet in metrics["facets"].items()
    }
    plt = _pyplot()
    summary = plot_facets(metrics, plt) if plt is not None else None
    summary_plot = Markup(_unique_ids(summary, "per-facet-")) if summary else None
    routing = metrics.get("routing")
    routing_svg = plot_routing(routing, plt) if plt is not None and routing and "curve" in routing else None
    routing_plot = Markup(_unique_ids(routing_svg, "routing-")) if routing_svg else None
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            m=metrics, plots=plots, has_plotting=plt is not None, summary_plot=summary_plot, routing_plot=routing_plot
        )
    )


def render_markdown(metrics: dict[str, Any]) -> str:
    return _environment(markdown=True).get_template("report.md.j2").render(m=metrics)


# -- comparison ----------------------------------------------------------------------------------------------
def plot_headline_deltas(facet: dict[str, Any], plt: Any) -> str | None:
    from tagllm.evaluation.compare import HEADLINE_TITLES

    items = list(facet["headline"].items())
    if not items:
        return None
    fig, ax = plt.subplots(figsize=(6.2, 0.45 * len(items) + 1.0))
    names = [HEADLINE_TITLES.get(k, k) for k, _ in items][::-1]
    deltas = [d["delta"] for _, d in items][::-1]
    # bootstrap 0: no interval to draw (its bounds were infinite)
    lows = [d["delta"] - d["ci_low"] if d["ci_low"] is not None else 0.0 for _, d in items][::-1]
    highs = [d["ci_high"] - d["delta"] if d["ci_high"] is not None else 0.0 for _, d in items][::-1]
    colours = [("#27ae60" if d["delta"] > 0 else "#c0392b") if d["significant"] else "#95a5a6" for _, d in items][::-1]
    ax.barh(names, deltas, xerr=[lows, highs], color=colours, capsize=3)
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_xlabel("B − A with 95% paired-bootstrap interval (grey: not significant, p ≥ 0.05)")
    ax.set_title("Headline deltas")
    return _svg(plt, fig)


def plot_tag_deltas(facet: dict[str, Any], plt: Any, most: int = 20) -> str | None:
    tags = facet["tags"][:most][::-1]
    if not tags:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 0.26 * len(tags) + 1.0))
    ax.barh(
        [f"{short_label(t['path'])} ({t['support']})" for t in tags],
        [t["delta"] for t in tags],
        color=["#27ae60" if t["delta"] > 0 else "#c0392b" for t in tags],
    )
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_xlabel("F1 change, B − A (support in brackets)")
    ax.set_title("Tags whose F1 changed most (weighted by support)")
    return _svg(plt, fig)


def comparison_plots(key: str, facet: dict[str, Any]) -> list[tuple[str, str]]:
    plt = _pyplot()
    if plt is None:
        return []
    out = []
    for i, (title, plot) in enumerate((("headline deltas", plot_headline_deltas), ("per-tag deltas", plot_tag_deltas))):
        svg = plot(facet, plt)
        if svg:
            out.append((title, _unique_ids(svg, f"{_slug(key)}-{i}-")))
    return out


def render_comparison_html(comparison: dict[str, Any]) -> str:
    from markupsafe import Markup

    plots = {}
    for n, c in enumerate(comparison["comparisons"]):
        for facet, f in c["facets"].items():
            plots[(n, facet)] = [(t, Markup(svg)) for t, svg in comparison_plots(f"c{n}-{facet}", f)]
    from tagllm.evaluation.compare import HEADLINE_TITLES

    return (
        _environment()
        .get_template("comparison.html.j2")
        .render(c=comparison, plots=plots, titles=HEADLINE_TITLES, has_plotting=_pyplot() is not None)
    )


def render_comparison_markdown(comparison: dict[str, Any]) -> str:
    from tagllm.evaluation.compare import HEADLINE_TITLES

    return _environment(markdown=True).get_template("comparison.md.j2").render(c=comparison, titles=HEADLINE_TITLES)
