"""The routing figures of `tagllm eval run`: from one run of the default, the share routed and the accuracy of
the products kept per threshold (table, suggestion, report); from a routed run, the accuracy of each path."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tagllm.config import TaggerConfig
from tagllm.evaluation import harness, tagging
from tagllm.evaluation.routing import path_accuracy, routing_sweep
from tagllm.models import Candidate, Product, Provenance, Routing, Tag, TagResult
from tagllm.routing import Router
from tagllm.taxonomy import load_taxonomy


def _row(pid: str, facets: dict[str, tuple[float, int]], status: str = "ok") -> dict:
    cells = {f: {"route_confidence": c, "correct": ok} for f, (c, ok) in facets.items()}
    return {"id": pid, "status": status, "facets": cells}


def test_the_sweep_routes_under_the_threshold_and_scores_what_is_kept() -> None:
    rows = [
        _row("a", {"category": (0.95, 1)}),
        _row("b", {"category": (0.55, 0)}),
        _row("c", {"category": (0.85, 1)}),
        _row("d", {"category": (0.25, 0)}),
        _row("e", {"category": (0.75, 1)}),
        _row("f", {"category": (0.0, 0)}, status="error"),
        {"id": "g", "status": "ok", "facets": {}},  # no scored facet: not counted
    ]
    sweep = routing_sweep(rows, ["category"], target=0.98)
    assert (sweep["products"], sweep["accuracy"]) == (6, 0.5)
    table = {p["threshold"]: p for p in sweep["table"]}
    assert table[0.1] == {
        "threshold": 0.1, "routed": 1, "routed_share": 1 / 6, "kept": 5, "kept_accuracy": 0.6,
        "routed_default_accuracy": 0.0,
    }  # fmt: skip
    assert (table[0.5]["routed"], table[0.5]["kept_accuracy"]) == (2, 0.75)
    assert (table[0.6]["routed"], table[0.6]["kept_accuracy"]) == (3, 1.0)
    assert (table[0.9]["routed"], table[0.9]["kept_accuracy"], table[0.9]["routed_default_accuracy"]) == (5, 1.0, 0.4)
    assert table[0.99]["kept_accuracy"] is None  # everything routed: nothing kept to score
    # the lowest threshold at which what is kept is right often enough: keep c, e and a (0.75 and above)
    suggested = sweep["suggested"]
    assert suggested is not None
    assert (suggested["threshold"], suggested["routed"], suggested["kept_accuracy"]) == (0.75, 3, 1.0)


def test_a_product_is_routed_on_its_least_sure_facet_and_kept_only_when_every_facet_is_right() -> None:
    rows = [
        _row("a", {"category": (0.9, 1), "color": (0.4, 1)}),
        _row("b", {"category": (0.6, 1), "color": (0.9, 0)}),
        _row("c", {"category": (0.95, 1)}),
    ]
    sweep = routing_sweep(rows, ["category", "color"], target=0.9)
    at_half = next(p for p in sweep["table"] if p["threshold"] == 0.5)
    assert (at_half["routed"], at_half["kept_accuracy"]) == (1, 0.5)  # a goes (colour 0.4); b is kept, wrong in colour
    assert at_half["kept_accuracy_by_facet"] == {"category": 1.0, "color": 0.0}
    assert sweep["suggested"]["threshold"] == 0.95 and sweep["suggested"]["routed"] == 2  # keeps c alone


def test_no_threshold_reaching_the_target_is_said() -> None:
    from tagllm.evaluation.routing import routing_lines

    sweep = routing_sweep([_row("a", {"category": (0.9, 0)})], ["category"], target=0.98)
    assert sweep["suggested"] is None
    assert routing_lines(sweep)[-1] == "  no threshold keeps products 0.980 accurate"


def test_a_routed_run_reports_each_path() -> None:
    """A routed product whose LLM failed was counted as kept by the default and not as routed: with every product
    routed and half the LLM's answers failed, "routed: 50.0% of 10 products to the LLM; kept by the default: 5"."""
    from tagllm.evaluation.routing import routing_lines

    rows = [_row("a", {"category": (0.9, 1)}), _row("b", {"category": (0.3, 0)}), _row("c", {"category": (0.2, 1)})]
    failed = Routing(below=["category"], error={"message": "HTTP 500"})
    results = {
        "a": TagResult(product_id="a", source="default", routing=Routing()),
        "b": TagResult(product_id="b", source="default", routing=failed),
        "c": TagResult(product_id="c", source="llm", routing=Routing(below=["category"])),
    }
    paths = path_accuracy(rows, results)
    assert paths == {
        "products": 3,
        "routed_share": 2 / 3,
        "fell_back": 1,
        "failed": 0,
        "paths": {
            "default": {"n": 1, "accuracy": 1.0},
            "llm": {"n": 1, "accuracy": 1.0},
            "fell_back": {"n": 1, "accuracy": 0.0},
            "failed": {"n": 0, "accuracy": None},
        },
    }
    assert routing_lines(paths) == [
        "routed: 66.7% of 3 products to the LLM: 1 tagged by it (accuracy 1.000), 1 kept the default's tags when it "
        "failed (accuracy 0.000); kept by the default: 1 (accuracy 1.000)"
    ]


def test_a_product_both_paths_failed_on_is_counted_among_the_routed_run_products() -> None:
    """An error record (the default and then the LLM failed) has no source: it was left out of the N of "routed: X%
    of N products" while counted in the "failed product(s)" line: with 4 scored products, one failed on both paths,
    "routed: 66.7% of 3 products"."""
    from tagllm.evaluation.routing import routing_lines
    from tagllm.models import RecordError

    rows = [_row(p, {"category": (0.5, ok)}) for p, ok in (("a", 1), ("b", 0), ("c", 1))]
    rows.append(_row("d", {"category": (0.0, 0)}, status="error"))
    fell_back = Routing(below=["category"], error={"message": "HTTP 500"})
    results = {
        "a": TagResult(product_id="a", source="default", routing=Routing()),
        "b": TagResult(product_id="b", source="default", routing=fell_back),
        "c": TagResult(product_id="c", source="llm", routing=Routing(below=["category"])),
        "d": TagResult(
            product_id="d", status="error", error=RecordError(message="HTTP 500"), routing=Routing(below=["category"])
        ),
    }
    paths = path_accuracy(rows, results)
    assert (paths["products"], paths["routed_share"], paths["failed"]) == (4, 0.75, 1)
    assert paths["paths"]["failed"] == {"n": 1, "accuracy": 0.0}
    assert routing_lines(paths) == [
        "routed: 75.0% of 4 products to the LLM: 1 tagged by it (accuracy 1.000), 1 kept the default's tags when it "
        "failed (accuracy 0.000), 1 failed on both paths (an error record, counted in the failed products); kept by "
        "the default: 1 (accuracy 1.000)"
    ]


def test_eval_run_prints_the_routing_table_and_the_report_has_it(eval_dir: Path, fake_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tagllm.cli.eval import app

    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    out = eval_dir / "out"
    args = ["run", str(eval_dir / "eval.yaml"), "--bootstrap", "0", "--output", str(out), "--routing"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # The fake default: p1 right at 0.9, p2 wrong at 0.6, p3 right at 0.8, p4 abstains (no tag: routed at any
    # threshold); p5's gold is not in the taxonomy, so it is not scored.
    assert lines[2:17] == [
        "  routing (a product goes to the LLM when its confidence in any tagged facet is below the threshold):",
        "    threshold  routed   kept accuracy  default's accuracy on the routed",
        "    0.10        25.0%   0.667          0.000",
        "    0.20        25.0%   0.667          0.000",
        "    0.30        25.0%   0.667          0.000",
        "    0.40        25.0%   0.667          0.000",
        "    0.50        25.0%   0.667          0.000",
        "    0.60        25.0%   0.667          0.000",
        "    0.70        50.0%   1.000          0.000",
        "    0.80        50.0%   1.000          0.000",
        "    0.90        75.0%   1.000          0.333",
        "    0.95       100.0%   —              0.500",
        "    0.99       100.0%   —              0.500",
        "    kept products ≥ 0.980 accurate from threshold 0.8000: 50.0% routed (2 of 4), kept accuracy 1.000",
        "  input: 1 unknown gold value(s), 0 missing prediction(s), 0 failed product(s)",
    ]
    run_dir = Path(lines[0].removeprefix("run: "))
    report = (run_dir / "report.md").read_text()
    assert "Kept products reach **0.980** from threshold **0.8000**, routing **50.0%** (2 products)." in report
    assert "| 0.70 | 50.0% | 2 | 1.000 | 0.000 |" in report
    html = (run_dir / "report.html").read_text()
    assert 'data-plot="routing"' in html and "share of products routed to the LLM" in html
    # without --routing the sweep stays in the report only
    result = CliRunner().invoke(app, [a for a in args if a != "--routing"])
    assert "routing" not in result.stdout and result.exit_code == 0


def test_routing_asked_of_a_run_that_is_not_of_the_default_says_why_there_is_no_table(
    eval_dir: Path, fake_factory, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """`tagllm eval run --routing` on a run of an LLM printed no routing line at all, without a word of why."""
    from tagllm.cli.eval import app

    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    config = (eval_dir / "eval.yaml").read_text().replace("backend: retrieval", "backend: openai\n  model: qwen")
    (eval_dir / "llm.yaml").write_text(config)
    args = ["run", str(eval_dir / "llm.yaml"), "--bootstrap", "0", "--output", str(eval_dir / "out"), "--routing"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (
        "  routing: no table: this run's tags are not the no-LLM default's, and the table is read from a run of the "
        "default (tagger backend: retrieval, or --predictions of its output)"
    ) in result.stdout.splitlines()


def test_predictions_of_an_llm_get_no_sweep_made_as_if_they_were_the_default_s(eval_dir: Path) -> None:
    """`eval run eval.yaml --predictions llm.jsonl` (the config's backend the default's, the file an LLM's output)
    read the LLM's answers as the default's: "0.10  100.0% routed ... default's accuracy on the routed 0.000" and
    "no threshold keeps products 0.980 accurate", a table of a default that never ran."""
    taxonomy = load_taxonomy(eval_dir / "categories.jsonl")
    shirts = taxonomy["Clothing > Shirts"]
    predictions = eval_dir / "llm.jsonl"
    with predictions.open("w") as fh:
        for pid in ("p1", "p2", "p3", "p4"):
            prov = Provenance(
                backend="openai", taxonomy_version=taxonomy.version, parsed_output={"category": shirts.id},
                candidates={"category": [Candidate(id=shirts.id, name=shirts.name, score=0.01)]},
            )  # fmt: skip
            tag = Tag(facet="category", id=shirts.id, name=shirts.name, confidence=0.01, source="llm")
            fh.write(TagResult(product_id=pid, tags={"category": [tag]}, provenance=prov).model_dump_json() + "\n")
    cfg = harness.load_eval_config(eval_dir / "eval.yaml", bootstrap=0)
    assert cfg.tagger.backend == "retrieval"
    outcome = harness.run_eval(cfg, predictions=predictions, root=eval_dir / "runs")
    assert outcome.metrics[0]["routing"] is None
    # the default's own output, read back, still gets its sweep
    default = eval_dir / "default.jsonl"
    default.write_text(predictions.read_text().replace('"backend":"openai"', '"backend":"retrieval"'))
    outcome = harness.run_eval(cfg, predictions=default, root=eval_dir / "runs")
    assert outcome.metrics[0]["routing"]["products"] == 4


SHOP = """name: shop
facets:
  - {name: category, hierarchical: true, values: [{id: tees, name: T-Shirts}, {id: mugs, name: Mugs}]}
  - {name: color, values: [{id: black, name: Black}, {id: white, name: White}]}
"""


class _SureOfTheCategoryOnly:
    """The default tags category and colour: sure of the category (0.9), unsure whether a colour is stated (the best
    colour candidate 0.8, none chosen: confidence 0.2). The gold has categories only."""

    def __init__(self, config: TaggerConfig) -> None:
        self.taxonomy = load_taxonomy(config.taxonomy)
        self.backend = None

    def tag(self, products: list[Product]) -> list[TagResult]:
        out = []
        for p in products:
            prov = Provenance(
                backend="retrieval",
                taxonomy_version=self.taxonomy.version,
                parsed_output={"category": "tees", "color": None},
                candidates={
                    "category": [Candidate(id="tees", name="T-Shirts", score=0.9)],
                    "color": [Candidate(id="black", name="Black", score=0.8)],
                },
            )
            tee = Tag(facet="category", id="tees", name="T-Shirts", confidence=0.9, source="retrieval")
            out.append(TagResult(product_id=p.id, tags={"category": [tee]}, provenance=prov))
        return out


def test_the_sweep_routes_on_every_tagged_facet_as_the_router_does(tmp_path: Path) -> None:
    """Gold of the category alone: the sweep routed on the category's confidence only and said 0% of the products
    would go to the LLM at 0.5, where route_threshold 0.5 sends every one of them (its colour confidence is 0.2)."""
    (tmp_path / "shop.yaml").write_text(SHOP)
    gold = [{"id": f"t{i}", "title": f"Tee {i}", "gold_category": "T-Shirts"} for i in range(3)]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "eval.yaml").write_text("gold: gold.jsonl\nbootstrap: 0\ntagger:\n  taxonomy: shop.yaml\n")
    cfg = harness.load_eval_config(tmp_path / "eval.yaml")
    outcome = harness.run_eval(cfg, factory=_SureOfTheCategoryOnly, root=tmp_path / "run", use_cache=False)
    routing = outcome.metrics[0]["routing"]
    at_half = next(p for p in routing["table"] if p["threshold"] == 0.5)
    router = Router(load_taxonomy(tmp_path / "shop.yaml"), ["category", "color"], 0.5)
    results = [TagResult.model_validate_json(line) for line in (outcome.runs[0] / "predictions.jsonl").open()]
    assert sum(bool(router.decide(r).below) for r in results) == 3
    assert (at_half["routed"], at_half["routed_share"], at_half["kept"]) == (3, 1.0, 0)
    at_low = next(p for p in routing["table"] if p["threshold"] == 0.1)
    assert (at_low["routed"], at_low["kept_accuracy"]) == (0, 1.0)
