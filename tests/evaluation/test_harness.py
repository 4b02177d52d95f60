"""The harness end to end with a fake tagger: exact metrics, files, caching, bad input, CLI output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.errors import ConfigError, InputError, RunFailedError
from tagllm.evaluation import cache, harness, tagging
from tagllm.evaluation.compare import compare_runs
from tagllm.evaluation.harness import load_eval_config, run_eval


def _run(eval_dir: Path, factory, **overrides) -> harness.EvalOutcome:
    cfg = load_eval_config(eval_dir / "eval.yaml", **overrides)
    return run_eval(cfg, factory=factory, root=eval_dir / "runs" / overrides.pop("name", "r1"))


def test_run_scores_exact_metrics_and_writes_the_run_directory(eval_dir, fake_factory):
    outcome = _run(eval_dir, fake_factory)
    (run,) = outcome.runs
    assert sorted(p.name for p in run.iterdir()) == [
        "metrics.json",
        "per_product.jsonl",
        "predictions.jsonl",
        "report.html",
        "report.md",
    ]
    m = json.loads((run / "metrics.json").read_text())
    f = m["facets"]["category"]
    assert f["n"] == 4  # p5's gold is not in the taxonomy, p6 is in the dev split
    assert (f["micro"]["precision"], f["micro"]["recall"], f["micro"]["f1"]) == pytest.approx((2 / 3, 1 / 2, 4 / 7))
    assert (f["macro"]["precision"], f["macro"]["recall"], f["macro"]["f1"]) == pytest.approx((0.375, 0.5, 5 / 12))
    h = f["hierarchical_prf"]
    assert (h["precision"], h["recall"], h["f1"]) == pytest.approx((5 / 6, 5 / 8, 5 / 7))
    assert f["leaf_accuracy"]["value"] == 0.5
    assert (f["coverage"], f["abstention"]) == (0.75, 0.25)
    lo, hi = f["micro"]["f1_ci"]
    assert lo <= 4 / 7 <= hi
    assert f["calibration"]["ece"] == pytest.approx(0.3)
    assert f["precision_coverage"]["suggested"]["threshold"] == 0.8
    o = f["off_taxonomy"]
    assert (o["raw_strings"], o["off_taxonomy"], o["rescued"], o["rejected"]) == (
        4,
        3,
        {"fuzzy": 1, "synonym": 1},
        1,
    )
    assert f["confusions"][0]["gold"] == "Clothing > Shorts" and f["confusions"][0]["pred"] == "Clothing > Shirts"
    assert m["bad_input"]["unknown_gold"] == [
        {"product_id": "p5", "facet": "category", "value": "Garden > Hoses", "reason": "not in taxonomy"}
    ]
    assert [g["id"] for g in m["possible_gold_errors"]] == ["p1"]
    assert (m["possible_gold_errors"][0]["neighbours_say"], m["possible_gold_errors"][0]["kind"]) == (
        "Home > Sofas",
        "conflict",
    )
    assert m["performance"]["prompt_tokens"] == 500 and m["performance"]["tagged_now"] == 5
    assert len((run / "predictions.jsonl").read_text().splitlines()) == 5
    md = (run / "report.md").read_text()
    assert "| micro P / R / F1 | 0.667 / 0.500 / 0.571 [" in md


def test_no_gold_field_reaches_the_tagger(eval_dir, fake_factory):
    _run(eval_dir, fake_factory)
    assert {p.id for p in fake_factory.seen} == {"p1", "p2", "p3", "p4", "p5"}
    for product in fake_factory.seen:
        dumped = product.model_dump()
        assert not any(k.startswith("gold_") for k in dumped) and not any(k.startswith("gold_") for k in product.extra)
        assert "split" not in product.extra
        assert "Clothing" not in json.dumps(dumped)


def test_cache_reruns_only_the_variant_whose_template_changed(eval_dir, fake_factory):
    a, b = str(eval_dir / "a.j2"), str(eval_dir / "b.j2")
    first = _run(eval_dir, fake_factory, sweep={"prompt": [a, b]}, name="s1")
    assert fake_factory.built == ["a.j2", "b.j2"]
    assert [p.name for p in first.runs] == ["prompt=a", "prompt=b"]
    assert first.comparison is not None and first.comparison.name == "comparison.html"
    _run(eval_dir, fake_factory, sweep={"prompt": [a, b]}, name="s2")
    assert fake_factory.built == ["a.j2", "b.j2"]  # everything came from the cache
    (eval_dir / "b.j2").write_text("prompt B, edited {{ product.title }}")
    third = _run(eval_dir, fake_factory, sweep={"prompt": [a, b]}, name="s3")
    assert fake_factory.built == ["a.j2", "b.j2", "b.j2"]
    perf = [json.loads((d / "metrics.json").read_text())["performance"] for d in third.runs]
    assert [(p["tagged_now"], p["from_cache"]) for p in perf] == [(0, 5), (5, 0)]


def test_editing_an_include_reruns_the_variants_whose_template_includes_it(eval_dir, fake_factory):
    """The cache key held the template file's own hash: an edit to the rules a template includes (or to the
    shipped template it extends) was scored with the predictions of the rules before it, without a word."""
    (eval_dir / "_rules.j2").write_text("Answer exactly one candidate.")
    (eval_dir / "a.j2").write_text('{% include "_rules.j2" %} {{ product.title }}')
    _run(eval_dir, fake_factory, name="before")
    (eval_dir / "_rules.j2").write_text("Answer null when the product does not say.")
    after = _run(eval_dir, fake_factory, name="after").runs[0]
    assert fake_factory.built == ["a.j2", "a.j2"]
    performance = json.loads((after / "metrics.json").read_text())["performance"]
    assert (performance["tagged_now"], performance["from_cache"]) == (5, 0)


def test_a_swept_template_that_cannot_load_stops_the_sweep_before_any_product_is_tagged(eval_dir, fake_factory):
    """The variants before it tagged every product (an LLM's hours) before the template's syntax error was read."""
    config = (eval_dir / "eval.yaml").read_text()
    (eval_dir / "eval.yaml").write_text(
        config.replace("backend: retrieval", "backend: openai\n  base_url: http://127.0.0.1:9/v1\n  model: m")
    )
    (eval_dir / "b.j2").write_text('{% call message("user") %}{{ product.title }{% endcall %}')
    a, b = str(eval_dir / "a.j2"), str(eval_dir / "b.j2")
    with pytest.raises(ConfigError) as caught:
        _run(eval_dir, fake_factory, sweep={"prompt": [a, b]})
    assert str(caught.value) == (
        f"variant prompt=b: prompt {(eval_dir / 'b.j2').resolve()}:1: TemplateSyntaxError: unexpected '}}'; "
        "nothing was tagged"
    )
    assert fake_factory.built == [] and fake_factory.seen == []


def test_a_sweep_of_templates_over_the_retrieval_backend_says_they_are_not_read(eval_dir, fake_factory):
    """The retrieval backend renders no prompt: the variants tagged alike, and the comparison reported the
    templates as making no difference, without a word."""
    a, b = str(eval_dir / "a.j2"), str(eval_dir / "b.j2")
    lines: list[str] = []
    cfg = load_eval_config(eval_dir / "eval.yaml", sweep={"prompt": [a, b]})
    run_eval(cfg, factory=fake_factory, root=eval_dir / "runs" / "r1", progress=lines.append)
    assert lines[0] == (
        f"warning: the sweep compares prompt templates ({a}, {b}), but the tagger's backend is retrieval, which "
        "renders no prompt: the variants tag alike; set the tagger's backend to an LLM (openai, vllm, transformers) "
        "in the eval config to compare them"
    )


def test_a_photo_replaced_under_the_same_path_is_tagged_again(eval_dir, fake_factory):
    """The cache key held the record alone: a product's photo replaced by another under the same path (a reshoot)
    was scored with the old photo's prediction, without a word."""
    (eval_dir / "photos").mkdir()
    (eval_dir / "photos" / "p1.jpg").write_bytes(b"the first photo")
    elsewhere = eval_dir / "p3.jpg"
    elsewhere.write_bytes(b"a photo named by its full path")
    rows = [json.loads(line) for line in (eval_dir / "gold.jsonl").read_text().splitlines()]
    photos = {"p1": ["photos/p1.jpg"], "p3": [str(elsewhere)], "p5": ["https://example.com/p5.jpg"]}
    rows = [{**row, "images": photos[row["id"]]} if row["id"] in photos else row for row in rows]
    (eval_dir / "gold.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    _run(eval_dir, fake_factory, name="first")
    _run(eval_dir, fake_factory, name="same")
    assert len(fake_factory.seen) == 5  # the second run came from the cache
    (eval_dir / "photos" / "p1.jpg").write_bytes(b"a reshoot")
    elsewhere.write_bytes(b"another photo")
    after = _run(eval_dir, fake_factory, name="after").runs[0]
    assert [p.id for p in fake_factory.seen[5:]] == ["p1", "p3"]
    performance = json.loads((after / "metrics.json").read_text())["performance"]
    assert (performance["tagged_now"], performance["from_cache"]) == (2, 3)


def test_cache_is_not_reused_by_another_version_of_tagllms_code(eval_dir, fake_factory, monkeypatch):
    _run(eval_dir, fake_factory, name="before")
    assert len(fake_factory.built) == 1
    monkeypatch.setattr(cache, "code_digest", lambda: "another-scorer")
    after = _run(eval_dir, fake_factory, name="after").runs[0]
    assert len(fake_factory.built) == 2
    assert json.loads((after / "metrics.json").read_text())["performance"]["tagged_now"] == 5


def test_predictions_file_missing_products_count_as_misses(eval_dir, fake_factory):
    run = _run(eval_dir, fake_factory).runs[0]
    lines = (run / "predictions.jsonl").read_text().splitlines()
    partial = eval_dir / "partial.jsonl"
    partial.write_text("\n".join(line for line in lines if '"p3"' not in line) + "\n")
    cfg = load_eval_config(eval_dir / "eval.yaml")
    m = run_eval(cfg, predictions=partial, root=eval_dir / "runs" / "pred").metrics[0]
    assert m["bad_input"]["missing_predictions"] == [{"id": "p3", "title": "Three-seat sofa"}]
    assert m["facets"]["category"]["leaf_accuracy"]["value"] == 0.25
    assert m["facets"]["category"]["missing"] == 1


def test_predictions_scored_with_a_sweep_config_are_scored_once(eval_dir, fake_factory):
    """One file of results scored with a config that sweeps prompts was written as a run per prompt, the same
    figures under each name, and compared as 'prompt=b vs prompt=a: no difference'."""
    a, b = str(eval_dir / "a.j2"), str(eval_dir / "b.j2")
    made = _run(eval_dir, fake_factory, name="made").runs[0]
    said: list[str] = []
    cfg = load_eval_config(eval_dir / "eval.yaml", sweep={"prompt": [a, b]})
    root = eval_dir / "runs" / "scored"
    outcome = run_eval(cfg, predictions=made / "predictions.jsonl", root=root, progress=said.append)
    assert outcome.runs == [root] and outcome.comparison is None
    assert [m["variant"] for m in outcome.metrics] == ["base"]
    assert outcome.metrics[0]["facets"]["category"]["leaf_accuracy"]["value"] == 0.5
    assert said == [
        f"--predictions: {made / 'predictions.jsonl'} is scored once, as one run; the sweep over prompt makes no "
        "variants (each would score this one file)"
    ]


def test_predictions_given_twice_are_scored_by_the_last_and_reported(eval_dir, fake_factory):
    """Two predictions of one product were scored last-wins and nothing said so."""
    from tagllm.cli.eval import _input_problems

    run = _run(eval_dir, fake_factory).runs[0]
    lines = (run / "predictions.jsonl").read_text().splitlines()
    twice = eval_dir / "twice.jsonl"
    twice.write_text("\n".join([*lines, next(line for line in lines if '"p2"' in line)]) + "\n")
    cfg = load_eval_config(eval_dir / "eval.yaml")
    m = run_eval(cfg, predictions=twice, root=eval_dir / "runs" / "twice").metrics[0]
    assert m["bad_input"]["repeated_predictions"] == [
        {
            "product_id": "p2",
            "line": len(lines) + 1,
            "first_line": 1 + [i for i, x in enumerate(lines) if '"p2"' in x][0],
        }
    ]
    assert "1 prediction(s) of a product given earlier (the last of each scored)" in _input_problems(m["bad_input"])


def test_predictions_of_none_of_the_gold_products_are_refused(eval_dir, fake_factory):
    """Another file's predictions (or ids written otherwise) scored every product a miss: a report of zeros, exit 0."""
    run = _run(eval_dir, fake_factory).runs[0]
    other = eval_dir / "other.jsonl"
    other.write_text((run / "predictions.jsonl").read_text().replace('"product_id":"p', '"product_id":"sku-'))
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(InputError) as error:
        run_eval(cfg, predictions=other, root=eval_dir / "runs" / "other")
    assert str(error.value) == (
        f"{other}: none of its 5 prediction(s) is of a product of the sample (its ids: 'sku-1', 'sku-2', 'sku-3' …; "
        f"the sample's: 'p1', 'p2', 'p3' …); score the predictions `tagllm generate` made from {cfg.gold}"
    )
    assert not (eval_dir / "runs" / "other").exists()


def test_predictions_from_another_taxonomy_version_are_refused(eval_dir, fake_factory):
    run = _run(eval_dir, fake_factory).runs[0]
    text = (run / "predictions.jsonl").read_text()
    version = json.loads(text.splitlines()[0])["provenance"]["taxonomy_version"]
    stale = eval_dir / "stale.jsonl"
    stale.write_text(text.replace(version, "0123456789abcdef"))
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(InputError, match="made against taxonomy version 0123456789abcdef, but"):
        run_eval(cfg, predictions=stale, root=eval_dir / "runs" / "stale")


def test_a_predictions_file_that_is_not_utf8_is_refused_naming_its_line(eval_dir, fake_factory):
    """A binary or Latin-1 file given to --predictions crashed the run with a UnicodeDecodeError traceback."""
    run = _run(eval_dir, fake_factory).runs[0]
    lines = (run / "predictions.jsonl").read_bytes().splitlines()
    broken = eval_dir / "broken.jsonl"
    broken.write_bytes(b"\n".join([lines[0], b'{"product_id": "caf\xe9"}', *lines[1:]]) + b"\n")
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(InputError) as error:
        run_eval(cfg, predictions=broken, root=eval_dir / "runs" / "broken")
    assert str(error.value) == (
        f"{broken}:2: not UTF-8 (byte 19 is 0xe9); tag results are the JSONL `tagllm generate` writes"
    )


def test_a_predictions_line_cut_short_is_refused_naming_its_product(eval_dir, fake_factory):
    """A result line cut short (a run killed while writing) was named by its line alone: the user searched for it."""
    run = _run(eval_dir, fake_factory).runs[0]
    lines = (run / "predictions.jsonl").read_text().splitlines()
    cut = eval_dir / "cut.jsonl"
    cut.write_text("\n".join([*lines, '{"product_id": "zz9", "status": "ok", "tags": {"cat']) + "\n")
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(InputError) as error:
        run_eval(cfg, predictions=cut, root=eval_dir / "runs" / "cut")
    assert str(error.value).startswith(f"{cut}:{len(lines) + 1}: not a tag result (product 'zz9'): Invalid JSON: ")


def test_compare_refuses_runs_from_another_taxonomy_version(eval_dir, fake_factory):
    r1 = _run(eval_dir, fake_factory, name="v1").runs[0]
    r2 = _run(eval_dir, fake_factory, name="v2").runs[0]
    metrics = json.loads((r2 / "metrics.json").read_text())
    metrics["taxonomy"]["version"] = "ffffffffffffffff"
    (r2 / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(InputError, match="scored against different taxonomy versions"):
        compare_runs([r1, r2])
    with pytest.raises(InputError, match="not a run directory"):
        compare_runs([r1, eval_dir])


def test_two_runs_started_in_the_same_second_write_a_run_directory_each(eval_dir, fake_factory, monkeypatch):
    """A run's directory was named when it started and made when it was written: two `eval run`s started in the same
    second (a shell loop of `tagllm eval run CONFIG -m MODEL &`) took one name, both printed it, and the run that
    finished last wrote over the other's. Here the other run starts and finishes while this one tags."""
    import datetime as dt

    started = dt.datetime(2026, 12, 5, 2, 4, 10, tzinfo=dt.timezone.utc)
    named = harness.new_run_root
    monkeypatch.setattr(harness, "new_run_root", lambda cfg, now=None: named(cfg, started))
    cfg = load_eval_config(eval_dir / "eval.yaml", output=str(eval_dir / "runs"))
    other: list[harness.EvalOutcome] = []

    def factory(config):  # type: ignore[no-untyped-def]
        if not other:
            other.append(run_eval(cfg, factory=fake_factory))
        return fake_factory(config)

    this = run_eval(cfg, factory=factory)
    assert other[0].runs == [eval_dir / "runs" / "tiny-20261205-020410"]
    assert this.runs == [eval_dir / "runs" / "tiny-20261205-020410-2"] and this.root == this.runs[0]
    assert all((run / "metrics.json").is_file() for run in [*other[0].runs, *this.runs])


def test_compare_names_the_field_a_run_lacks_and_compares_a_run_that_lacks_only_its_labels(eval_dir, fake_factory):
    """A metrics.json of an older tagllm, edited, or of another program crashed `eval compare` with a KeyError
    traceback ('taxonomy', 'facets', 'per_tag', 'variant', 'tagger' ...): the fields the comparison reads are named;
    those that only label the run (its name, variant, tagger settings, speed) are filled in."""
    from tagllm.cli.eval import app

    a = _run(eval_dir, fake_factory, name="a").runs[0]
    b = _run(eval_dir, fake_factory, name="b").runs[0]
    metrics = json.loads((b / "metrics.json").read_text())
    for key in ("name", "variant", "tagger", "performance"):
        del metrics[key]
    (b / "metrics.json").write_text(json.dumps(metrics))
    result = CliRunner().invoke(app, ["compare", str(a), str(b), "--output", str(eval_dir / "cmp"), "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "b (b) vs a (a)"  # the name of b is its directory's
    assert f"- B: b (b) — backend `unknown`, prompt `unknown`, k=unknown (`{b}`)" in (
        (eval_dir / "cmp" / "comparison.md").read_text()
    )
    del metrics["facets"]["category"]["per_tag"]
    (b / "metrics.json").write_text(json.dumps(metrics))
    again = "score the run again (tagllm eval run) or compare another"
    with pytest.raises(InputError) as error:
        compare_runs([a, b])
    assert (
        str(error.value) == f"{b}: its metrics.json has no 'facets.category.per_tag', which a comparison needs; {again}"
    )
    del metrics["taxonomy"]
    (b / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(InputError) as error:
        compare_runs([a, b])
    assert str(error.value) == f"{b}: its metrics.json has no 'taxonomy.version', which a comparison needs; {again}"
    rows = (a / "per_product.jsonl").read_text().splitlines()
    second = json.loads(rows[1])
    del second["facets"]["category"]["counts"]
    (a / "per_product.jsonl").write_text("\n".join([rows[0], json.dumps(second), *rows[2:]]) + "\n")
    with pytest.raises(InputError) as error:
        compare_runs([a, b])
    assert str(error.value) == f"{a}: record 2 of its per_product.jsonl has no 'facets.category.counts'; {again}"


def test_compare_of_a_sweeps_directory_names_the_variant_runs_it_holds(eval_dir, fake_factory):
    """Two sweeps compared by their directories were refused as 'not a run directory' alone: the runs to compare,
    one per variant, are inside them."""
    a, b = str(eval_dir / "a.j2"), str(eval_dir / "b.j2")
    root = _run(eval_dir, fake_factory, sweep={"prompt": [a, b]}, name="swept").root
    with pytest.raises(InputError) as error:
        compare_runs([root, root / "prompt=a"], n_boot=0)
    assert str(error.value) == (
        f"{root}: not a run directory (it needs metrics.json and per_product.jsonl from `eval run`); it holds the "
        f"runs of a sweep's variants: {root / 'prompt=a'}, {root / 'prompt=b'}"
    )


def test_a_cache_that_cannot_be_written_stops_the_run_before_any_product_is_tagged(eval_dir, fake_factory):
    """The first batch was tagged (an LLM's minutes), then writing it to the cache crashed the run with a traceback
    (NotADirectoryError, PermissionError) and its answers were lost."""
    from tagllm.errors import OutputError

    (eval_dir / "shared").write_text("a file where the cache's folder was meant to be\n")
    with pytest.raises(OutputError) as error:
        _run(eval_dir, fake_factory, cache=str(eval_dir / "shared" / "cache"))
    assert str(error.value) == (
        f"the prediction cache cannot be written ({eval_dir / 'shared' / 'cache'}: {eval_dir / 'shared'} is a file, "
        "not a directory): set cache: in the eval config to a folder that can be, or run with --no-cache; nothing was "
        "tagged"
    )
    assert fake_factory.seen == []


def test_a_sweep_variant_whose_files_are_not_there_stops_the_sweep_before_any_product_is_tagged(eval_dir):
    """A variant whose examples file (or model directory) is not there failed only when its turn came, after the
    variants before it had tagged every product (hours with an LLM), and the sweep had to be run again for it."""
    (eval_dir / "examples.jsonl").write_text(
        json.dumps({"id": "e1", "title": "White shirt", "gold_category": "Clothing > Shirts"}) + "\n"
    )
    swept = [str(eval_dir / "examples.jsonl"), str(eval_dir / "exmples.jsonl")]
    cfg = load_eval_config(eval_dir / "eval.yaml", sweep={"examples": swept})
    with pytest.raises(ConfigError) as error:
        run_eval(cfg, root=eval_dir / "runs" / "r1")
    assert str(error.value) == (
        f"variant examples=exmples: examples file {eval_dir / 'exmples.jsonl'} does not exist; nothing was tagged"
    )
    assert not (eval_dir / "runs").exists()


def test_compare_says_how_many_products_of_runs_of_other_samples_it_leaves_out(eval_dir, fake_factory):
    """Runs of two samples were compared on the products they share, and only the HTML page said that the others were
    left out: the printed lines and comparison.md read as a comparison of the runs' whole samples."""
    from tagllm.evaluation.compare import comparison_lines, write_comparison

    whole, first_two = _run(eval_dir, fake_factory, name="all").root, _run(eval_dir, fake_factory, sample=2).root
    comparison = compare_runs([whole, first_two], n_boot=0)
    left_out = "3 product(s) only in A and 0 only in B are left out of the paired comparison"
    assert comparison_lines(comparison)[1:3] == [f"  {left_out}", "  category (n=2): fixed 0, broken 0, changed 0"]
    write_comparison(comparison, eval_dir / "cmp")
    assert f"{left_out}." in (eval_dir / "cmp" / "comparison.md").read_text()


def test_seed_alone_redraws_the_configs_random_sample_or_is_refused(eval_dir, fake_factory, monkeypatch):
    """`eval run --seed 1` without --sample was left unread: the config's sample was scored again, reported as if it
    were another draw."""
    from tagllm.cli.eval import app

    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    args = ["run", str(eval_dir / "eval.yaml"), "--bootstrap", "0", "--output", str(eval_dir / "out"), "--seed", "1"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == (
        f"--seed 1 draws a random sample, and {eval_dir / 'eval.yaml'} takes all: give --sample N too"
    )
    assert fake_factory.seen == []
    with (eval_dir / "eval.yaml").open("a") as fh:
        fh.write("sample: {mode: random, n: 2, seed: 0}\n")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    run_dir = Path(result.stdout.splitlines()[0].removeprefix("run: "))
    assert json.loads((run_dir / "metrics.json").read_text())["sample"]["sample"] == "random 2 (seed 1)"


def test_a_sample_larger_than_the_gold_scores_it_all_and_says_so(eval_dir, fake_factory, monkeypatch):
    """`--sample 999` on a gold of 5 products scored the 5 without a word, and the report read "5 products (first
    999)". The run goes on; the log and the metrics (so the reports) say the sample took all the gold has."""
    from tagllm.cli.eval import app

    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    note = "sample first 999 asked, the gold has 5 in split 'test': all scored"
    args = ["run", str(eval_dir / "eval.yaml"), "--bootstrap", "0", "--output", str(eval_dir / "out")]
    result = CliRunner().invoke(app, [*args, "--sample", "999"])
    assert result.exit_code == 0, result.output
    assert f"note: {note}" in result.stderr.splitlines()
    run_dir = Path(result.stdout.splitlines()[0].removeprefix("run: "))
    sample = json.loads((run_dir / "metrics.json").read_text())["sample"]
    assert (sample["sample"], sample["evaluated"]) == (note, 5)
    assert f"5 products ({note}, split test)" in (run_dir / "report.md").read_text()
    seeded = _run(eval_dir, fake_factory, name="random", sample={"mode": "random", "n": 6, "seed": 3})
    assert seeded.metrics[0]["sample"]["sample"] == (
        "sample random 6 (seed 3) asked, the gold has 5 in split 'test': all scored"
    )
    exact = _run(eval_dir, fake_factory, name="exact", sample=5)  # a sample the gold fills: no note
    assert exact.metrics[0]["sample"]["sample"] == "first 5"


def test_compare_refuses_runs_that_scored_no_product_in_common(eval_dir, fake_factory):
    """Runs of other splits (or gold files) were compared on no product: 0.000 -> 0.000 within [-inf, +inf], exit 0."""
    test = _run(eval_dir, fake_factory, name="test").runs[0]
    dev = _run(eval_dir, fake_factory, name="dev", split="dev").runs[0]
    with pytest.raises(InputError) as error:
        compare_runs([test, dev])
    assert str(error.value) == (
        f"cannot compare {dev} with {test}: they scored no product in common (runs of other gold files or samples); "
        "compare runs of one gold sample"
    )


def test_compare_refuses_runs_whose_gold_differs_for_a_shared_product(eval_dir, fake_factory):
    """Runs of two gold files sharing ids were paired product by product: p1, labelled otherwise in the second gold
    file, counted as broken by the tagger."""
    before = _run(eval_dir, fake_factory, name="before").runs[0]
    gold = eval_dir / "gold.jsonl"
    gold.write_text(
        gold.read_text().replace(
            '"Blue oxford shirt", "gold_category": "Clothing > Shirts"',
            '"Blue oxford shirt", "gold_category": "Clothing > Shorts"',
        )
    )
    after = _run(eval_dir, fake_factory, name="after").runs[0]
    with pytest.raises(InputError) as error:
        compare_runs([before, after])
    assert str(error.value) == (
        f"cannot compare {after} with {before}: product 'p1' has other category gold in them (Clothing > Shorts vs "
        "Clothing > Shirts), so they scored other gold files or versions of one; compare runs scored against one gold "
        "file"
    )


def test_empty_sample_is_refused_with_the_reason(eval_dir, fake_factory):
    """A split no record has (misspelt, or another file's name for it) named the count alone: the splits the records
    have are named, to pick one."""
    cfg = load_eval_config(eval_dir / "eval.yaml", split="validation")
    with pytest.raises(InputError) as err:
        run_eval(cfg, factory=fake_factory, root=eval_dir / "runs" / "empty")
    assert str(err.value) == (
        f"the sample is empty: {cfg.gold} has 6 record(s), 0 in split 'validation' (field 'split'), "
        "sample all; its records' splits are dev, test: name one of them (split:, or --split); nothing to evaluate"
    )
    cfg = cfg.model_copy(update={"split_field": "fold"})
    with pytest.raises(InputError, match="sample all; no record has a 'fold' field; nothing to evaluate"):
        run_eval(cfg, factory=fake_factory, root=eval_dir / "runs" / "empty")


def test_a_gold_file_without_the_default_gold_field_names_its_fields(eval_dir, fake_factory):
    """Gold under another name ('category') and gold_field left to its default: the run said only that every record
    had "no gold value in 'gold_category'", not that no record has that field, nor which fields they have."""
    rows = [json.loads(line) for line in (eval_dir / "gold.jsonl").read_text().splitlines()]
    with (eval_dir / "gold.jsonl").open("w") as fh:
        for row in rows:
            row["category"] = row.pop("gold_category")
            fh.write(json.dumps(row) + "\n")
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(InputError) as err:
        run_eval(cfg, factory=fake_factory, root=eval_dir / "runs" / "empty")
    assert str(err.value) == (
        f"the sample is empty: {cfg.gold} has 6 record(s), 5 in split 'test' (field 'split'), sample all, 5 of them "
        "with no gold value in 'gold_category'; no record has a 'gold_category' field (their fields: category, "
        "gold_tags, id, split, title): name the one holding the gold values (gold_field); nothing to evaluate"
    )


def test_a_run_in_which_every_product_failed_is_an_error_not_a_report_of_zeros(eval_dir):
    from tagllm.models import RecordError, TagResult

    class Broken:  # what a backend that cannot start gives every product
        backend = None

        def tag(self, products):
            error = RecordError(message="backend transformers: the model could not be loaded")
            return [TagResult(product_id=p.id, status="error", error=error) for p in products]

    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(RunFailedError) as info:
        run_eval(cfg, factory=lambda config: Broken(), root=eval_dir / "runs" / "r1")
    assert str(info.value) == (
        "eval tiny: all 5 product(s) failed, nothing to score; "
        "the first failure: backend transformers: the model could not be loaded"
    )
    assert not (eval_dir / "runs").exists()


def test_a_run_in_which_some_products_failed_is_scored(eval_dir, fake_factory):
    def factory(config):
        tagger = fake_factory(config)
        tag = tagger.tag

        def some_fail(products):
            from tagllm.models import RecordError, TagResult

            error = RecordError(message="HTTP 500: engine overloaded (gave up after 5 attempts)")
            return [TagResult(product_id=p.id, status="error", error=error) if p.id == "p2" else tag([p])[0]
                    for p in products]  # fmt: skip

        tagger.tag = some_fail
        return tagger

    outcome = run_eval(load_eval_config(eval_dir / "eval.yaml"), factory=factory, root=eval_dir / "runs" / "r1")
    assert outcome.metrics[0]["bad_input"]["failed_count"] == 1


def test_hiding_the_title_is_refused_before_any_tagger_is_built(eval_dir, fake_factory):
    """hide_fields: [title] (meant: score the photos alone) built the tagger, then failed every product as 'record
    'p1' has no title', though the gold file has one."""
    with pytest.raises(ConfigError) as error:
        _run(eval_dir, fake_factory, hide_fields=["description", "title"], name="untitled")
    assert "hide_fields names 'title', which every product needs" in str(error.value)
    assert "inputs: [image]" in str(error.value)
    assert fake_factory.built == []


def test_config_typos_fail_loudly(eval_dir):
    (eval_dir / "bad.yaml").write_text("gold: gold.jsonl\nsampel: 5\ntagger:\n  kk: 3\n")
    with pytest.raises(ConfigError) as err:
        load_eval_config(eval_dir / "bad.yaml")
    assert "sampel: not a setting (did you mean 'sample'?)" in str(err.value)
    assert "tagger.kk: not a setting (did you mean 'k'?)" in str(err.value)
    (eval_dir / "bad.yaml").write_text("gold: gold.jsonl\nsweep:\n  kay: [1, 2]\n")
    with pytest.raises(ConfigError, match="sweep key 'kay' is not a tagger setting"):
        load_eval_config(eval_dir / "bad.yaml")


def test_sample_modes(eval_dir, fake_factory):
    cfg = load_eval_config(eval_dir / "eval.yaml", split=None, sample={"mode": "random", "n": 3, "seed": 1})
    from tagllm.taxonomy import load_taxonomy

    tax = load_taxonomy(cfg.tagger.taxonomy)
    ids = [i.id for i in harness.load_gold(cfg, tax).items]
    assert len(ids) == 3 and ids == [i.id for i in harness.load_gold(cfg, tax).items]
    cfg = load_eval_config(eval_dir / "eval.yaml", split=None, sample=2)
    assert [i.id for i in harness.load_gold(cfg, tax).items] == ["p1", "p2"]


def test_cli_run_and_compare_print_exact_lines(eval_dir, fake_factory, monkeypatch):
    from tagllm.cli.eval import app

    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    runner = CliRunner()
    out = eval_dir / "out"
    result = runner.invoke(app, ["run", str(eval_dir / "eval.yaml"), "--bootstrap", "0", "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    run_dir = Path(lines[0].removeprefix("run: "))
    assert lines[1:] == [
        "  category: n=4  micro-F1 0.571  macro-F1 0.417  hier-F1 0.714  leaf-acc 0.500  coverage 0.750",
        "  input: 1 unknown gold value(s), 0 missing prediction(s), 0 failed product(s)",
        f"  report: {run_dir / 'report.html'}",
    ]
    result = runner.invoke(
        app,
        [
            "run",
            str(eval_dir / "eval.yaml"),
            "--output",
            str(out),
            "--sweep",
            "k=5,10",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "k=10 vs k=5" in result.stdout
    assert "    micro F1         0.571 -> 0.571  +0.000 [+0.000, +0.000] p=1.000 not significant" in result.stdout
    result = runner.invoke(app, ["compare", str(run_dir), str(run_dir), "--output", str(eval_dir / "cmp")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "  category (n=4): fixed 0, broken 0, changed 0"
    assert result.stdout.splitlines()[-1] == f"comparison: {eval_dir / 'cmp' / 'comparison.html'}"


def test_a_comparison_without_bootstrap_says_its_deltas_were_not_tested(eval_dir, fake_factory, monkeypatch):
    """With bootstrap 0 (the config's, or --bootstrap 0) every delta was printed in [-inf, +inf] with p=1.000 and
    "not significant", as if a test had found it to be noise, and comparison.json held -Infinity, which no JSON reader
    but Python's takes."""
    from tagllm.cli.eval import app

    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    a, b = str(eval_dir / "a.j2"), str(eval_dir / "b.j2")
    result = CliRunner().invoke(
        app,
        ["run", str(eval_dir / "eval.yaml"), "--bootstrap", "0", "--output", str(eval_dir / "out"), "--prompt", a]
        + ["--prompt", b],
    )
    assert result.exit_code == 0, result.output
    assert "    macro F1         0.417 -> 0.500  +0.083 not tested (0 bootstrap resamples)" in result.stdout
    written = Path(result.stdout.splitlines()[-1].removeprefix("comparison: ")).parent
    text = (written / "comparison.json").read_text()
    assert "Infinity" not in text
    headline = json.loads(text)["comparisons"][0]["facets"]["category"]["headline"]["macro_f1"]
    assert (headline["ci_low"], headline["ci_high"], headline["p_value"], headline["significant"]) == (None,) * 4
    assert "| macro F1 | 0.417 | 0.500 | +0.083 | — | — | not tested |" in (written / "comparison.md").read_text()
    assert "<td>not tested</td>" in (written / "comparison.html").read_text()


def test_sweep_comparison_lists_fixed_broken_products_and_tag_deltas(eval_dir, fake_factory):
    a, b = str(eval_dir / "a.j2"), str(eval_dir / "b.j2")
    outcome = _run(eval_dir, fake_factory, sweep={"prompt": [a, b]}, name="cmp")
    c = json.loads((outcome.root / "comparison.json").read_text())
    f = c["comparisons"][0]["facets"]["category"]
    assert [(p["id"], p["a"], p["b"]) for p in f["products"]["fixed"]] == [
        ("p2", "Clothing > Shirts", "Clothing > Shorts")
    ]
    assert [(p["id"], p["a"], p["b"]) for p in f["products"]["broken"]] == [("p3", "Home > Sofas", "Home > Lamps")]
    assert f["headline"]["leaf_accuracy"]["delta"] == 0.0
    assert not f["headline"]["leaf_accuracy"]["significant"]
    assert [(t["path"], round(t["delta"], 3)) for t in f["tags"]] == [
        ("Clothing > Shorts", 1.0),
        ("Home > Sofas", -1.0),
        ("Clothing > Shirts", 0.333),
    ]


def test_compare_counts_per_tag_f1_on_the_products_both_runs_scored(eval_dir, fake_factory):
    """A run of the first two products against a run of all four, the tagger the same: Home > Sofas (p3, which the
    smaller run never tagged) was listed as F1 1.000 -> 0.000, lost by the tagger."""
    full = _run(eval_dir, fake_factory, name="full").runs[0]
    two = _run(eval_dir, fake_factory, name="two", sample=2).runs[0]
    f = compare_runs([full, two], n_boot=50)["comparisons"][0]["facets"]["category"]
    assert f["n"] == 2
    assert f["tags"] == []


def test_a_sweep_of_two_templates_of_one_name_writes_and_compares_both(eval_dir, fake_factory):
    """v1/b.j2 and v2/b.j2 were both named 'prompt=b': the second run was written over the first, the comparison
    'prompt=b vs prompt=b' compared it with itself (fixed 0, broken 0), and the first run's results were lost."""
    for folder, text in (("v1", "A"), ("v2", "B")):
        (eval_dir / folder).mkdir()
        (eval_dir / folder / "b.j2").write_text(text + " {{ product.title }}")
    a, b = str(eval_dir / "v1" / "b.j2"), str(eval_dir / "v2" / "b.j2")

    def factory(config):  # v1's template answers as prompt A, v2's as prompt B
        return fake_factory(
            config.model_copy(update={"prompt": str(eval_dir / "a.j2")}) if "v1" in config.prompt else config
        )

    outcome = _run(eval_dir, factory, sweep={"prompt": [a, b]}, name="two")
    assert [m["variant"] for m in outcome.metrics] == ["prompt=v1/b", "prompt=v2/b"]
    assert [d.name for d in outcome.runs] == ["prompt=v1_b", "prompt=v2_b"]
    f = json.loads((outcome.root / "comparison.json").read_text())["comparisons"][0]["facets"]["category"]
    assert [p["id"] for p in f["products"]["fixed"]] == ["p2"]
    assert [p["id"] for p in f["products"]["broken"]] == ["p3"]


def test_a_sweep_that_lists_one_value_twice_is_refused(eval_dir, fake_factory):
    a = str(eval_dir / "a.j2")
    with pytest.raises(ConfigError) as error:
        _run(eval_dir, fake_factory, sweep={"prompt": [a, a]}, name="twice")
    assert str(error.value) == (
        f"sweep lists one variant twice ({{'prompt': '{a}'}}): give each value of a swept setting once"
    )


def test_compare_leaves_out_a_facet_no_shared_product_has_gold_of(tmp_path):
    """A scored facet no gold product carries (colour asked for, only categories in the gold) was compared as
    0.000 -> 0.000 within [-inf, +inf]: lines that said nothing, and comparison.json held -Infinity, which JSON
    readers refuse."""
    from tagllm.evaluation.compare import comparison_lines
    from tagllm.models import Provenance, Tag, TagResult
    from tagllm.taxonomy import load_taxonomy

    demo = load_taxonomy("demo")
    gold = [{"id": "g1", "title": "Tee", "labels": {"category": "apparel-tshirts"}}]
    (tmp_path / "gold.jsonl").write_text("\n".join(json.dumps(g) for g in gold) + "\n")
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_field: labels\nfacets: [category, color]\nbootstrap: 0\ntagger:\n  taxonomy: demo\n"
    )
    tee = Tag(facet="category", id="apparel-tshirts", name="T-Shirts", confidence=0.8, source="retrieval")
    prov = Provenance(backend="x", taxonomy_version=demo.version)
    (tmp_path / "pred.jsonl").write_text(
        TagResult(product_id="g1", tags={"category": [tee]}, provenance=prov).model_dump_json()
    )
    cfg = load_eval_config(tmp_path / "eval.yaml")
    runs = [run_eval(cfg, predictions=tmp_path / "pred.jsonl", root=tmp_path / name).runs[0] for name in ("a", "b")]
    comparison = compare_runs(runs, n_boot=50)
    (c,) = comparison["comparisons"]
    assert (list(c["facets"]), c["unscored"]) == (["category"], ["color"])
    assert comparison_lines(comparison)[-1] == "  color: no product both runs scored has gold of it, not compared"
    json.dumps(comparison, allow_nan=False)  # no -Infinity in comparison.json


def test_flat_multi_valued_facets_are_scored_beside_the_category(tmp_path):
    from tagllm.models import Provenance, Tag, TagResult
    from tagllm.taxonomy import load_taxonomy

    demo = load_taxonomy("demo")
    gold = [
        {
            "id": "g1",
            "title": "Red and blue tee",
            "labels": {"category": "Apparel > Tops > T-Shirts", "color": ["color-blue", "Red"]},
        },
        {"id": "g2", "title": "Black thing", "labels": {"color": ["color-black"]}},
    ]
    (tmp_path / "gold.jsonl").write_text("\n".join(json.dumps(g) for g in gold) + "\n")
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_field: labels\nbootstrap: 0\ntagger:\n  taxonomy: demo\n"
    )

    def tag(facet: str, vid: str) -> Tag:
        return Tag(facet=facet, id=vid, name=demo[vid].name, confidence=0.8, source="retrieval")

    prov = Provenance(backend="x", taxonomy_version=demo.version)
    results = [
        TagResult(
            product_id="g1",
            tags={"category": [tag("category", "apparel-tshirts")], "color": [tag("color", "color-blue")]},
            provenance=prov,
        ),
        TagResult(product_id="g2", tags={"color": [tag("color", "color-black")]}, provenance=prov),
    ]
    (tmp_path / "pred.jsonl").write_text("\n".join(r.model_dump_json() for r in results) + "\n")
    m = run_eval(
        load_eval_config(tmp_path / "eval.yaml"), predictions=tmp_path / "pred.jsonl", root=tmp_path / "run"
    ).metrics[0]
    assert list(m["facets"]) == ["category", "color"]
    color = m["facets"]["color"]
    assert (color["n"], color["hierarchical"]) == (2, False)
    assert (color["micro"]["precision"], color["micro"]["recall"], color["micro"]["f1"]) == pytest.approx(
        (1, 2 / 3, 0.8)
    )
    assert color["leaf_accuracy"]["value"] == 0.5  # exact set match: g1 missed red
    assert (m["facets"]["category"]["n"], m["facets"]["category"]["leaf_accuracy"]["value"]) == (1, 1.0)


def test_gold_records_with_a_repeated_id_no_id_or_no_json_are_counted_and_named(eval_dir, fake_factory, monkeypatch):
    """A repeated id used to score the first record against the last one's prediction (results are keyed by id); a
    record without an id failed as 'id: Field required'; an unreadable line was left out of the printed summary."""
    from tagllm.cli.eval import app

    with (eval_dir / "gold.jsonl").open("a") as fh:
        fh.write(json.dumps({"id": "p1", "title": "Floor lamp", "gold_category": "Home > Lamps", "split": "test"}))
        fh.write("\n" + json.dumps({"title": "Oxford shirt", "gold_category": "Clothing > Shirts", "split": "test"}))
        fh.write("\n{not json\n")
    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    out = eval_dir / "out"
    result = CliRunner().invoke(app, ["run", str(eval_dir / "eval.yaml"), "--bootstrap", "0", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == (
        "  input: 1 unknown gold value(s), 0 missing prediction(s), 0 failed product(s), 1 unreadable gold line(s), "
        "1 repeated id(s) (the later records not scored)"
    )
    run_dir = Path(result.stdout.splitlines()[0].removeprefix("run: "))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    bad = metrics["bad_input"]
    assert bad["repeated_ids"] == [{"product_id": "p1", "line": 7, "first_line": 1}]
    assert (bad["repeated_ids_count"], bad["unreadable_gold_count"], bad["failed_count"]) == (1, 1, 0)
    rows = [json.loads(line) for line in (run_dir / "per_product.jsonl").read_text().splitlines()]
    assert [(r["id"], r["title"], r["status"]) for r in rows] == [
        ("p1", "Blue oxford shirt", "ok"), ("p2", "Cycling shorts", "ok"), ("p3", "Three-seat sofa", "ok"),
        ("p4", "Desk lamp", "ok"), ("p5", "Garden hose", "ok"), ("line-8", "Oxford shirt", "ok"),
    ]  # fmt: skip
    assert (
        "1 gold record(s) whose id an earlier record has (not scored): `p1` (line 7)"
        in (run_dir / "report.md").read_text()
    )


def test_a_product_the_llm_failed_on_or_tagged_without_its_photos_is_not_cached(eval_dir, fake_factory):
    """A routed product whose LLM call failed (the default's tags kept) or one tagged from its text because no photo
    could be read is an ok result that --resume retries; the cache kept them, so every later run scored the fallback
    and never asked the LLM again."""
    from tagllm.models import RecordError, Routing

    calls: list[str] = []
    tagged_before: set[str] = set()

    def flaky(config):
        tagger = fake_factory(config)
        tag = tagger.tag

        def tag_first_time_badly(products):
            results = tag(products)
            calls.extend(p.id for p in products)
            for i, product in enumerate(products):
                if product.id == "p1" and product.id not in tagged_before:
                    failure = RecordError(record_id="p1", message="HTTP 503 from the LLM server", is_retryable=True)
                    update = {"source": "default", "routing": Routing(error=failure)}
                    results[i] = results[i].model_copy(update=update)
                if product.id == "p2" and product.id not in tagged_before:
                    photo = RecordError(record_id="p2", field="images", message="no photo could be read")
                    results[i] = results[i].model_copy(update={"degraded": photo})
                tagged_before.add(product.id)
            return results

        tagger.tag = tag_first_time_badly
        return tagger

    _run(eval_dir, flaky, name="first")
    calls.clear()
    second = _run(eval_dir, flaky, name="second")
    assert sorted(calls) == ["p1", "p2"]
    assert second.metrics[0]["performance"]["from_cache"] == 3


def test_a_cache_line_an_interrupted_run_cut_mid_character_is_tagged_again_once(eval_dir, fake_factory):
    _run(eval_dir, fake_factory, name="first")
    (path,) = (eval_dir / ".cache").glob("*.jsonl")
    lines = path.read_bytes().splitlines(keepends=True)
    # killed while writing a product's Chinese text: the file ends in half a character
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:40] + "沙发".encode()[:2])
    second = _run(eval_dir, fake_factory, name="second").runs[0]
    assert json.loads((second / "metrics.json").read_text())["performance"]["tagged_now"] == 1
    third = _run(eval_dir, fake_factory, name="third").runs[0]
    assert json.loads((third / "metrics.json").read_text())["performance"]["tagged_now"] == 0


def test_a_sweep_goes_on_past_a_variant_that_fails_and_names_what_it_wrote(eval_dir, fake_factory, monkeypatch, capsys):
    """The first variant that failed stopped the sweep (exit 2, naming its failure only): the run directory of the
    variant before it was written but not mentioned, the variant after it never ran, and there was no comparison."""
    (eval_dir / "c.j2").write_text("prompt C {{ product.title }}")
    failure = ConfigError("backend openai: no server answers at http://localhost:9/v1 (connection refused)")
    assert _sweep_failing_at_b(eval_dir, fake_factory, monkeypatch, failure) == 2
    (root,) = (eval_dir / "out").iterdir()
    assert sorted(p.name for p in root.iterdir()) == [
        "comparison.html", "comparison.json", "comparison.md", "prompt=a.j2", "prompt=c.j2",
    ]  # fmt: skip
    assert fake_factory.built == ["a.j2", "c.j2"]
    out, err = capsys.readouterr()
    a, c, html = (Path("out") / root.name / name for name in ("prompt=a.j2", "prompt=c.j2", "comparison.html"))
    assert [line for line in out.splitlines() if not line.startswith(" ")] == [
        f"run: {a}  [prompt=a.j2]", f"run: {c}  [prompt=c.j2]", "prompt=c.j2 vs prompt=a.j2", f"comparison: {html}",
    ]  # fmt: skip
    assert err.splitlines()[-1] == (
        "error: eval tiny: 1 of 3 variant(s) failed: [prompt=b.j2] backend openai: no server answers at "
        f"http://localhost:9/v1 (connection refused); the other 2 were scored and written: {a}, {c} (compared in "
        f"{html}); once the cause is fixed, run the sweep again: the variants that worked come from the cache"
    )


def _sweep_failing_at_b(eval_dir, fake_factory, monkeypatch, failure: BaseException) -> int:
    """Run `tagllm eval run` over prompts a, b and c in eval_dir, building b's tagger raising ``failure``; the exit
    code."""
    from tagllm.cli import main

    def factory(config):
        if config.prompt.endswith("b.j2"):
            raise failure
        return fake_factory(config)

    monkeypatch.setattr(tagging, "_default_factory", factory)
    monkeypatch.chdir(eval_dir)
    argv = ["tagllm", "eval", "run", "eval.yaml", "--output", "out", "--bootstrap", "0"]
    monkeypatch.setattr("sys.argv", [*argv, "--prompt", "a.j2", "--prompt", "b.j2", "--prompt", "c.j2"])
    with pytest.raises(SystemExit) as stop:
        main()
    return int(stop.value.code or 0)


def test_ctrl_c_in_a_sweep_names_the_run_directories_already_written(eval_dir, fake_factory, monkeypatch, capsys):
    """Ctrl-C in a sweep's second variant said only 'interrupted: tagllm eval run did not finish; run it again': the
    first variant's run directory, scored and written, was not named."""
    assert _sweep_failing_at_b(eval_dir, fake_factory, monkeypatch, KeyboardInterrupt()) == 130
    (root,) = (eval_dir / "out").iterdir()
    assert [p.name for p in root.iterdir()] == ["prompt=a.j2"] and fake_factory.built == ["a.j2"]
    out, err = capsys.readouterr()
    a = Path("out") / root.name / "prompt=a.j2"
    assert [line for line in out.splitlines() if not line.startswith(" ")] == [f"run: {a}  [prompt=a.j2]"]
    assert err.splitlines()[-1] == (
        f"interrupted: tagllm eval run did not finish; 1 of 3 variant(s) were scored and written: {a}; run the sweep "
        "again: the variants written come from the cache"
    )


def test_a_sweep_whose_every_variant_fails_says_nothing_was_written(eval_dir, monkeypatch):
    def factory(config):
        raise ConfigError(f"{Path(config.prompt).name}: no such template")

    cfg = load_eval_config(eval_dir / "eval.yaml", sweep={"prompt": ["a.j2", "b.j2"]})
    with pytest.raises(harness.SweepFailedError) as info:
        run_eval(cfg, factory=factory, root=eval_dir / "runs" / "r1", use_cache=False)
    assert str(info.value) == (
        "eval tiny: all 2 variant(s) failed: [prompt=a.j2] a.j2: no such template; [prompt=b.j2] b.j2: no such "
        "template; no run directory was written"
    )
    assert not (eval_dir / "runs").exists()


def test_a_gold_id_number_too_large_for_a_float_fails_naming_the_field(eval_dir, fake_factory):
    """1e400 and 2e400 both read as the float inf: the first was tagged and scored as id 'inf', the second counted as
    its repeat and never scored. Each fails on its own line, as generate names such a record."""
    with (eval_dir / "gold.jsonl").open("a") as fh:
        fh.write('{"id": 1e400, "title": "Floor lamp", "gold_category": "Home > Lamps", "split": "test"}\n')
        fh.write('{"id": 2e400, "title": "Oxford shirt", "gold_category": "Clothing > Shirts", "split": "test"}\n')
    bad = _run(eval_dir, fake_factory).metrics[0]["bad_input"]
    assert bad["repeated_ids"] == []
    too_large = "record inf field 'id': the number is too large to be read (infinite); write the id as a string"
    assert [(f["id"], f["error"]) for f in bad["failed"]] == [
        ("line-7", f"gold line 7: {too_large}"), ("line-8", f"gold line 8: {too_large}"),
    ]  # fmt: skip


def test_a_gold_record_without_a_title_fails_naming_the_product_and_field(eval_dir, fake_factory):
    """A gold row with an empty title cell failed as 'gold line 7: title: Input should be a valid string' (or 'String
    should have at least 1 character'), naming neither the product nor what to do, where generate says 'no title'."""
    with (eval_dir / "gold.jsonl").open("a") as fh:
        fh.write(json.dumps({"id": "p9", "title": None, "gold_category": "Home > Lamps", "split": "test"}) + "\n")
        fh.write(json.dumps({"id": "p10", "title": " ", "gold_category": "Home > Lamps", "split": "test"}) + "\n")
    failed = _run(eval_dir, fake_factory).metrics[0]["bad_input"]["failed"]
    assert [(f["id"], f["error"]) for f in failed] == [
        ("p9", "gold line 7: record 'p9' has no title; every product needs a non-empty title"),
        ("p10", "gold line 8: record 'p10' has no title; every product needs a non-empty title"),
    ]


def test_compare_says_which_facets_only_one_run_scored(tmp_path):
    """Runs that scored other facets (colour added to the second) were compared on the facets both scored, and the
    others were left out without a word: 'category' alone was printed, as though colour had not been asked for; runs
    with no facet in common printed only their names, exit 0."""
    from tagllm.evaluation.compare import comparison_lines
    from tagllm.models import Provenance, Tag, TagResult
    from tagllm.taxonomy import load_taxonomy

    demo = load_taxonomy("demo")
    gold = [{"id": "g1", "title": "Red tee", "labels": {"category": "apparel-tshirts", "color": "color-red"}}]
    (tmp_path / "gold.jsonl").write_text("\n".join(json.dumps(g) for g in gold) + "\n")
    tee = Tag(facet="category", id="apparel-tshirts", name="T-Shirts", confidence=0.8, source="retrieval")
    red = Tag(facet="color", id="color-red", name="Red", confidence=0.8, source="retrieval")
    prov = Provenance(backend="x", taxonomy_version=demo.version)
    (tmp_path / "pred.jsonl").write_text(
        TagResult(product_id="g1", tags={"category": [tee], "color": [red]}, provenance=prov).model_dump_json()
    )
    runs = []
    for name, facets in (("a", "[category]"), ("b", "[category, color]"), ("c", "[color]")):
        (tmp_path / "eval.yaml").write_text(
            f"gold: gold.jsonl\ngold_field: labels\nfacets: {facets}\nbootstrap: 0\ntagger:\n  taxonomy: demo\n"
        )
        cfg = load_eval_config(tmp_path / "eval.yaml")
        runs.append(run_eval(cfg, predictions=tmp_path / "pred.jsonl", root=tmp_path / name).runs[0])
    comparison = compare_runs(runs[:2], n_boot=50)
    (c,) = comparison["comparisons"]
    assert (list(c["facets"]), c["one_sided"]) == (["category"], {"color": c["b"]["dir"]})
    assert comparison_lines(comparison)[-1] == f"  color: scored only in {c['b']['dir']}, not compared"
    from tagllm.evaluation.compare import write_comparison

    html = write_comparison(comparison, tmp_path / "cmp")
    said = f"scored only in {c['b']['dir']}, not compared."
    assert said in html.read_text() and said in (tmp_path / "cmp" / "comparison.md").read_text()
    with pytest.raises(InputError) as info:
        compare_runs([runs[0], runs[2]], n_boot=50)
    assert str(info.value) == (
        f"cannot compare {runs[2]} with {runs[0]}: they scored no facet in common (category vs color); "
        "compare runs that scored the same facets"
    )


def test_predictions_written_as_parquet_are_scored_and_as_csv_refused_saying_what_to_write(eval_dir, fake_factory):
    """`tagllm generate -o out.parquet` or `-o out.csv` given to --predictions: each was refused as
    "out.parquet:1: not a tag result: Invalid JSON: expected value at line 1 column 1", naming no cause or remedy;
    a Parquet output holds each product's whole result (its result_json column)."""
    from tagllm.io import ResultWriter
    from tagllm.models import TagResult

    run = _run(eval_dir, fake_factory).runs[0]
    results = [TagResult.model_validate_json(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    cfg = load_eval_config(eval_dir / "eval.yaml")
    table = eval_dir / "out.parquet"
    writer = ResultWriter(table, facets=["category"])
    writer.write(results)
    writer.close()
    scored = run_eval(cfg, predictions=table, root=eval_dir / "runs" / "parquet").metrics[0]
    expected = json.loads((run / "metrics.json").read_text())["facets"]["category"]
    assert scored["facets"]["category"]["micro"] == expected["micro"]
    rows = eval_dir / "out.csv"
    writer = ResultWriter(rows, facets=["category"])
    writer.write(results)
    writer.close()
    with pytest.raises(InputError) as error:
        run_eval(cfg, predictions=rows, root=eval_dir / "runs" / "csv")
    assert str(error.value) == (
        f"{rows}: a CSV output holds the tags' names, not the tag results --predictions scores; give the JSONL or "
        "Parquet output of `tagllm generate` (-o results.jsonl or -o results.parquet)"
    )


def test_predictions_that_never_tagged_a_scored_facet_are_refused_naming_it(eval_dir, fake_factory):
    """`tagllm generate -f category` scored by an eval that also scores color: every product's color scored a miss,
    reported as "color: nothing answered, coverage 0.000", exit 0, as if the tagger had abstained on each. The
    settings record generate writes beside its output says which facets it tagged."""
    run = _run(eval_dir, fake_factory).runs[0]
    tagged = eval_dir / "tagged.jsonl"
    tagged.write_text((run / "predictions.jsonl").read_text())
    (eval_dir / ".tagged.jsonl.settings.json").write_text(json.dumps({"facets": ["color"], "keep_columns": []}))
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(InputError) as error:
        run_eval(cfg, predictions=tagged, root=eval_dir / "runs" / "tagged")
    assert str(error.value) == (
        f"{tagged}: tagged the facets color (its settings record, .tagged.jsonl.settings.json), not category, "
        "which this eval scores: every product would score a miss there; tag the products again with each facet "
        "scored (tagllm generate -f FACET …), or name the facets to score in the eval config (facets: [...])"
    )
    assert not (eval_dir / "runs" / "tagged").exists()
    (eval_dir / ".tagged.jsonl.settings.json").write_text(json.dumps({"facets": ["category", "color"]}))
    scored = run_eval(cfg, predictions=tagged, root=eval_dir / "runs" / "tagged").metrics[0]
    assert scored["facets"]["category"]["leaf_accuracy"]["value"] == 0.5


def test_tagging_reports_its_progress_batch_by_batch(eval_dir, fake_factory, monkeypatch, capsys, on_a_terminal):
    """`tagllm eval run` said 'base: tagging 300 product(s), 0 from cache' and then nothing for 56 s (Flipkart, the
    no-LLM default; an LLM's run: as long as it tags) until its scores: the tagger's setup and each batch now report
    to ``steps``, and on a terminal the CLI shows them, each line ended before the next message."""
    from tagllm.cli import main

    reports: list[tuple[str, int, int | None]] = []
    cfg = load_eval_config(eval_dir / "eval.yaml", bootstrap=0)
    cfg = cfg.model_copy(update={"tagger": cfg.tagger.with_overrides(batch_size=2)})
    root = eval_dir / "runs" / "r1"
    run_eval(cfg, factory=fake_factory, root=root, use_cache=False, steps=lambda *a: reports.append(a))
    assert reports == [("tag", 0, 5), ("tag", 1, 5), ("tag", 3, 5), ("tag", 5, 5)]  # chunks of 1, then 2 (a batch)

    def factory(config, progress=None):  # as the default one, it reports loading the taxonomy
        progress("taxonomy", 0, None)
        return fake_factory(config)

    on_a_terminal("tagllm.cli.eval")
    monkeypatch.setattr(tagging, "_default_factory", factory)
    monkeypatch.chdir(eval_dir)
    monkeypatch.setattr("sys.argv", ["tagllm", "eval", "run", "eval.yaml", "--output", "out", "--bootstrap", "0"])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 0
    lines = [line.split("\r")[-1] for line in capsys.readouterr().err.split("\n")]
    assert lines == ["base: tagging 5 product(s), 0 from cache", "loading the taxonomy", "tagged 5/5", ""]


def test_ctrl_c_while_a_variant_is_tagged_says_the_products_tagged_are_cached(
    eval_dir, fake_factory, monkeypatch, capsys
):
    """Ctrl-C after 2 of a run's 5 products were tagged (and cached, batch by batch) said only 'interrupted: tagllm
    eval run did not finish; run it again', as if they would be tagged again: the run again takes them from the
    cache and tags 3."""
    from tagllm.cli import main

    with (eval_dir / "eval.yaml").open("a") as fh:
        fh.write("  batch_size: 1\n")

    def interrupted_after(n: int):
        def factory(config):
            tagger = fake_factory(config)
            tag = tagger.tag

            def tag_until_stopped(products):
                if len(fake_factory.seen) >= n:
                    raise KeyboardInterrupt
                return tag(products)

            tagger.tag = tag_until_stopped
            return tagger

        return factory

    monkeypatch.chdir(eval_dir)
    monkeypatch.setattr("sys.argv", ["tagllm", "eval", "run", "eval.yaml", "--output", "out", "--bootstrap", "0"])
    monkeypatch.setattr(tagging, "_default_factory", interrupted_after(2))
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        "interrupted: tagllm eval run did not finish; 2 product(s) tagged before it are cached; run it again: the "
        "products cached are not tagged again"
    )
    monkeypatch.setattr(tagging, "_default_factory", interrupted_after(99))
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code in (0, None)
    assert "base: tagging 3 product(s), 2 from cache" in capsys.readouterr().err.splitlines()


def test_sigterm_while_a_variant_is_tagged_stops_it_as_ctrl_c_does(eval_dir, fake_factory, monkeypatch, capsys):
    """SIGTERM (a batch scheduler's stop, `timeout`) ended `eval run` at once: no summary, exit -15, and the run
    again was not told what was kept. It stops the run as Ctrl-C does, says so, and exits 143."""
    import os
    import signal

    from tagllm.cli import main

    with (eval_dir / "eval.yaml").open("a") as fh:
        fh.write("  batch_size: 1\n")

    def factory(config):
        tagger = fake_factory(config)
        tag = tagger.tag

        def tag_until_stopped(products):
            if len(fake_factory.seen) >= 2:
                handler = signal.getsignal(signal.SIGTERM)
                if getattr(handler, "__qualname__", "") != "Sigterm._stop":  # sent, it would end pytest itself
                    pytest.fail(f"SIGTERM is left to {handler} during the run: it would end the process at once")
                os.kill(os.getpid(), signal.SIGTERM)
            return tag(products)

        tagger.tag = tag_until_stopped
        return tagger

    monkeypatch.chdir(eval_dir)
    monkeypatch.setattr("sys.argv", ["tagllm", "eval", "run", "eval.yaml", "--output", "out", "--bootstrap", "0"])
    monkeypatch.setattr(tagging, "_default_factory", factory)
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the run takes SIGTERM over only from its default
    try:
        with pytest.raises(SystemExit) as stop:
            main()
        after = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stop.value.code == 143
    assert capsys.readouterr().err.splitlines()[-1] == (
        "terminated (SIGTERM): tagllm eval run did not finish; 2 product(s) tagged before it are cached; run it "
        "again: the products cached are not tagged again"
    )
    assert after == signal.SIG_DFL  # given back once the run stopped
    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code in (0, None)
    assert "base: tagging 3 product(s), 2 from cache" in capsys.readouterr().err.splitlines()


def test_ctrl_c_in_the_middle_of_a_batch_keeps_the_products_tagged_before_it(eval_dir, fake_factory, monkeypatch):
    """The products were tagged a batch at a time (1,024 by default) and cached when the batch was done: a Ctrl-C
    while an LLM answered the 200 products of the shipped openai config lost every answer, and the run again tagged all
    of them. Chunks start at one product and grow while they are quick, so that the products before it are kept."""
    cfg = load_eval_config(eval_dir / "eval.yaml", bootstrap=0)
    assert cfg.tagger.batch_size == 1024

    def factory(config):
        tagger = fake_factory(config)
        tag = tagger.tag

        def tag_until_stopped(products):  # Ctrl-C while the 4th product of the run is tagged
            out = []
            for product in products:
                if len(fake_factory.seen) == 3:
                    raise KeyboardInterrupt
                out += tag([product])
            return out

        tagger.tag = tag_until_stopped
        return tagger

    with pytest.raises(harness.SweepInterrupted) as stop:
        run_eval(cfg, factory=factory, root=eval_dir / "runs" / "r1")
    assert stop.value.cached == 3
    fake_factory.seen.clear()
    run_eval(cfg, factory=fake_factory, root=eval_dir / "runs" / "r2")
    assert [p.id for p in fake_factory.seen] == ["p4", "p5"]


def test_a_sweep_flag_naming_no_tagger_setting_is_refused_naming_the_closest(eval_dir, monkeypatch, capsys):
    """`--sweep kk=3` (a typo) crashed with pydantic's traceback and 'tagllm crashed (a bug…)', exit 3."""
    from tagllm.cli import main

    monkeypatch.chdir(eval_dir)
    monkeypatch.setattr("sys.argv", ["tagllm", "eval", "run", "eval.yaml", "--sweep", "kk=3,5"])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    assert capsys.readouterr().err == "error: --sweep 'kk=3,5': 'kk' is not a tagger setting (did you mean 'k'?)\n"
