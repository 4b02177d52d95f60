"""Predictions files a person or another tool wrote (`tagllm eval run --predictions`): what is wrong in one is named,
the field of a result that cannot be read, and each tag that is no value of the taxonomy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagllm.errors import InputError
from tagllm.evaluation.harness import load_eval_config, run_eval


def _predictions(eval_dir: Path, fake_factory) -> list[dict]:  # type: ignore[no-untyped-def]
    """The results of a run of the fake tagger, as the dicts of its predictions.jsonl, without provenance (so
    another tool's file, which says nothing of the taxonomy it was made against)."""
    cfg = load_eval_config(eval_dir / "eval.yaml")
    (run,) = run_eval(cfg, factory=fake_factory, root=eval_dir / "runs" / "made").runs
    results = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    for result in results:
        result.pop("provenance", None)
    return results


def _write(path: Path, results: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in results))
    return path


def test_a_result_missing_a_field_is_refused_naming_the_field(eval_dir, fake_factory):
    """A tag without its facet was refused as "not a tag result: Field required", naming no field of the result."""
    results = _predictions(eval_dir, fake_factory)
    first = next(i for i, r in enumerate(results) if r["tags"].get("category"))
    del results[first]["tags"]["category"][0]["facet"]
    file = _write(eval_dir / "hand.jsonl", results)
    with pytest.raises(InputError) as error:
        run_eval(load_eval_config(eval_dir / "eval.yaml"), predictions=file, root=eval_dir / "runs" / "hand")
    assert str(error.value) == f"{file}:{first + 1}: not a tag result: tags.category.0.facet: Field required"


def test_a_predicted_tag_off_the_taxonomy_is_named_in_the_input_problems(eval_dir, fake_factory):
    """A predicted value the taxonomy does not have (a file made against another taxonomy, without provenance) was
    scored a wrong answer and the report said nothing of it: its product, facet and value are now listed."""
    results = _predictions(eval_dir, fake_factory)
    wrong = next(r for r in results if r["product_id"] == "p1")
    wrong["tags"]["category"][0]["id"] = "clothing-blouses"
    file = _write(eval_dir / "other.jsonl", results)
    outcome = run_eval(load_eval_config(eval_dir / "eval.yaml"), predictions=file, root=eval_dir / "runs" / "other")
    bad = outcome.metrics[0]["bad_input"]
    assert bad["unknown_predictions_count"] == 1
    assert bad["unknown_predictions"] == [
        {"product_id": "p1", "facet": "category", "value": "clothing-blouses", "reason": "not in taxonomy"}
    ]
    (run,) = outcome.runs
    assert (
        "1 predicted tag(s) not in the taxonomy (scored as misses): `clothing-blouses` (p1, category"
        in (run / "report.md").read_text()
    )


def test_a_run_the_tagger_made_lists_no_predicted_tag_off_the_taxonomy(eval_dir, fake_factory):
    outcome = run_eval(load_eval_config(eval_dir / "eval.yaml"), factory=fake_factory, root=eval_dir / "runs" / "r")
    assert outcome.metrics[0]["bad_input"]["unknown_predictions_count"] == 0


def _run_cli(eval_dir: Path, predictions: Path) -> tuple[list[str], dict]:
    """`tagllm eval run --predictions`: its printed lines and the run's metrics."""
    from typer.testing import CliRunner

    from tagllm.cli.eval import app

    out = eval_dir / "out"
    args = ["run", str(eval_dir / "eval.yaml"), "--predictions", str(predictions), "--bootstrap", "0", "--output"]
    result = CliRunner().invoke(app, [*args, str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    run_dir = Path(lines[0].removeprefix("run: "))
    return lines, json.loads((run_dir / "metrics.json").read_text())


def test_a_torn_last_line_counts_its_product_missing_and_says_so(eval_dir, fake_factory):
    """A killed `tagllm generate` leaves its last line cut short, with no line end: the whole evaluation stopped on
    it ("not a tag result"), though --resume reads such a file on; its product is now missing, said where."""
    results = _predictions(eval_dir, fake_factory)
    assert results[-1]["product_id"] == "p5"
    file = _write(eval_dir / "killed.jsonl", results)
    text = file.read_text()
    file.write_text(text[: len(text) - len(json.dumps(results[-1])) // 2 - 1])  # p5's line cut in its middle
    lines, metrics = _run_cli(eval_dir, file)
    bad = metrics["bad_input"]
    assert bad["torn_predictions_count"] == 1
    assert bad["torn_predictions"][0]["line"] == 5 and bad["torn_predictions"][0]["product_id"] == "p5"
    assert bad["missing_predictions"] == [{"id": "p5", "title": "Garden hose"}]
    assert lines[2] == (
        "  input: 1 unknown gold value(s), 1 missing prediction(s), 0 failed product(s), 1 torn last line(s) of the "
        "predictions (a killed run; line 5, product p5 counted missing)"
    )
    report = (Path(lines[0].removeprefix("run: ")) / "report.md").read_text()
    assert "1 torn last line(s) of the predictions file (a killed run; its product counted missing): line 5 (`p5`)" in (
        report
    )


def test_a_line_cut_short_before_the_last_still_stops_the_evaluation_naming_its_line(eval_dir, fake_factory):
    results = _predictions(eval_dir, fake_factory)
    file = eval_dir / "cut.jsonl"
    lines = [json.dumps(r) for r in results]
    lines[2] = lines[2][: len(lines[2]) // 2]
    file.write_text("\n".join(lines))  # the last line has no line end, and is whole
    with pytest.raises(InputError) as error:
        run_eval(load_eval_config(eval_dir / "eval.yaml"), predictions=file, root=eval_dir / "runs" / "cut")
    assert str(error.value).startswith(f"{file}:3: not a tag result (product 'p3'): ")


def test_predictions_of_products_the_gold_file_has_not_are_counted_and_named(eval_dir, fake_factory):
    """Predictions of products not in the gold file were left out without a word; one of a product of another split
    (p6, dev) is of the gold file, and is not named."""
    results = _predictions(eval_dir, fake_factory)
    extra = [{**results[0], "product_id": pid} for pid in ("zz1", "p6", "zz2", "zz3", "zz4", "zz5", "zz6")]
    file = _write(eval_dir / "more.jsonl", results + extra)
    lines, metrics = _run_cli(eval_dir, file)
    bad = metrics["bad_input"]
    assert (bad["foreign_predictions_count"], bad["foreign_predictions"]) == (
        6,
        ["zz1", "zz2", "zz3", "zz4", "zz5", "zz6"],
    )
    assert lines[2] == (
        "  input: 1 unknown gold value(s), 0 missing prediction(s), 0 failed product(s), 6 prediction(s) of a product "
        "the gold file has not (not scored: zz1, zz2, zz3, zz4, zz5 and 1 more)"
    )
    report = (Path(lines[0].removeprefix("run: ")) / "report.md").read_text()
    assert "6 prediction(s) of a product the gold file has not (not scored): `zz1`, `zz2`" in report
