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
