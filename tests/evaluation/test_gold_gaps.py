"""Gold records with nothing to score them on, or a blank id: counted and named in the summary, the metrics and the
report, never tagged for nothing nor dropped without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.errors import InputError
from tagllm.evaluation import tagging
from tagllm.evaluation.harness import load_eval_config, run_eval


def _append(eval_dir: Path, *records: dict) -> None:  # type: ignore[type-arg]
    with (eval_dir / "gold.jsonl").open("a") as fh:
        fh.writelines(json.dumps({"split": "test", **record}) + "\n" for record in records)


def test_gold_records_without_a_gold_value_are_named_not_tagged(eval_dir, fake_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tagllm.cli.eval import app

    _append(
        eval_dir,
        {"id": "q1", "title": "Rain jacket"},  # no gold field
        {"id": "q2", "title": "Wool socks", "gold_category": None},
        {"id": "q3", "title": "Bar stool", "gold_category": ""},
        {"id": "q4", "title": "Beach towel", "gold_category": []},
    )
    monkeypatch.setattr(tagging, "_default_factory", fake_factory)
    out = eval_dir / "out"
    result = CliRunner().invoke(app, ["run", str(eval_dir / "eval.yaml"), "--bootstrap", "0", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == (
        "  input: 1 unknown gold value(s), 0 missing prediction(s), 0 failed product(s), 4 record(s) with no gold "
        "value (not tagged, not scored: q1 (line 7), q2 (line 8), q3 (line 9), q4 (line 10))"
    )
    assert not {"q1", "q2", "q3", "q4"} & {p.id for p in fake_factory.seen}  # no work spent on them
    run_dir = Path(result.stdout.splitlines()[0].removeprefix("run: "))
    bad = json.loads((run_dir / "metrics.json").read_text())["bad_input"]
    assert (bad["no_gold_count"], bad["no_gold"][0]) == (4, {"product_id": "q1", "line": 7, "field": "gold_category"})
    assert (
        "4 gold record(s) with no gold value (not tagged, not scored): `q1` (line 7), `q2` (line 8), `q3` (line 9), "
        "`q4` (line 10)" in (run_dir / "report.md").read_text()
    )
    assert "4 gold record(s) with no gold value (not tagged, not scored)" in (run_dir / "report.html").read_text()


def test_a_gold_file_with_no_gold_value_at_all_says_so(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    (eval_dir / "gold.jsonl").write_text(json.dumps({"id": "q1", "title": "Rain jacket", "split": "test"}) + "\n")
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(InputError) as error:
        run_eval(cfg, factory=fake_factory, root=eval_dir / "runs")
    assert str(error.value).endswith(  # and, as no record has the field, the fields they have
        "has 1 record(s), 1 in split 'test' (field 'split'), sample all, 1 of them with no gold value in "
        "'gold_category'; no record has a 'gold_category' field (their fields: id, split, title): name the one "
        "holding the gold values (gold_field); nothing to evaluate"
    )


def test_a_blank_gold_id_is_named_by_its_line_as_generate_names_it(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    _append(
        eval_dir,
        {"id": " ", "title": "Oxford shirt", "gold_category": "Clothing > Shirts"},
        {"id": "", "title": "Table lamp", "gold_category": "Home > Lamps"},
    )
    cfg = load_eval_config(eval_dir / "eval.yaml")
    run_eval(cfg, factory=fake_factory, root=eval_dir / "runs")
    assert [p.id for p in fake_factory.seen][-2:] == ["line-7", "line-8"]


def test_gold_of_another_taxonomy_is_a_setup_error_before_any_product(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    # every product was tagged, and a report with no score in it written, exit 0
    from tagllm.errors import ConfigError

    (eval_dir / "gold.jsonl").write_text(
        "".join(
            json.dumps({"id": f"q{i}", "title": title, "gold_category": path, "split": "test"}) + "\n"
            for i, (title, path) in enumerate([("Pet bowl", "Pets > Bowls"), ("Dog leash", "Pets > Leashes")])
        )
    )
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(ConfigError) as error:
        run_eval(cfg, factory=fake_factory, root=eval_dir / "runs")
    assert str(error.value).startswith(f"{cfg.gold}: no gold value of the sample is in taxonomy ")
    assert str(error.value).endswith(
        "(values it lacks: 'Pets > Bowls', 'Pets > Leashes'), so nothing could be scored; name the taxonomy the gold "
        "was labelled against (tagger: taxonomy), or the field that holds the gold values (gold_field)"
    )
    assert not fake_factory.seen and not (eval_dir / "runs").exists()


def test_a_nested_gold_value_is_an_input_problem_naming_the_product_and_field(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    # a list or mapping inside the gold value was read as its Python repr ("['Clothing > Shirts']"), reported as a
    # value the taxonomy lacks
    _append(
        eval_dir,
        {"id": "q1", "title": "Polo shirt", "gold_category": [["Clothing > Shirts"], "Clothing > Shirts"]},
        {"id": "q2", "title": "Swim shorts", "gold_category": {"category": {"leaf": "Clothing > Shorts"}}},
    )
    cfg = load_eval_config(eval_dir / "eval.yaml", bootstrap=0)
    outcome = run_eval(cfg, factory=fake_factory, root=eval_dir / "runs")
    bad = outcome.metrics[0]["bad_input"]
    why = "a list or mapping inside the gold value, not a value: write each value as a string"
    assert bad["unknown_gold"][1:] == [
        {"product_id": "q1", "facet": "category", "field": "gold_category", "value": '["Clothing > Shirts"]',
         "reason": why},
        {"product_id": "q2", "facet": "category", "field": "gold_category", "value": '{"leaf": "Clothing > Shorts"}',
         "reason": why},
    ]  # fmt: skip
    scored = {json.loads(line)["id"] for line in (outcome.runs[0] / "per_product.jsonl").read_text().splitlines()}
    assert "q1" in scored  # scored on its one readable value
    assert f'`["Clothing > Shirts"]` (q1, gold_category: {why})' in (outcome.runs[0] / "report.md").read_text()


def test_both_reports_name_the_product_and_the_field_or_facet_of_each_bad_gold_value(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    # report.md named no facet nor reason for a facet the taxonomy lacks ("`Red` (q1)"); report.html named the reason
    # but neither the facet nor the field a nested value was in ("(q2, a list or mapping …)")
    _append(
        eval_dir,
        {"id": "q1", "title": "Red polo", "gold_category": {"category": "Clothing > Shirts", "colour": "Red"}},
        {"id": "q2", "title": "Swim shorts", "gold_category": [["Clothing > Shorts"]]},
    )
    cfg = load_eval_config(eval_dir / "eval.yaml", bootstrap=0)
    run = run_eval(cfg, factory=fake_factory, root=eval_dir / "runs").runs[0]
    why = "a list or mapping inside the gold value, not a value: write each value as a string"
    md, html = (run / "report.md").read_text(), (run / "report.html").read_text()
    assert (
        "3 gold value(s) not resolved onto the taxonomy: `Garden > Hoses` (p5, category: not in taxonomy), `Red` (q1, "
        f'colour: unknown facet), `["Clothing > Shorts"]` (q2, gold_category: {why})\n'
    ) in md
    assert "(p5, category: not in taxonomy)" in html and "(q1, colour: unknown facet)" in html
    assert f"(q2, gold_category: {why})" in html


def test_a_gold_table_with_no_title_column_is_refused_naming_its_columns(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    # a gold CSV without one was refused as "the sample is empty: … 0 in split 'test' (field 'split')", sending the
    # user to the split field, which the file has (Excel's semicolons are read as its separator)
    (eval_dir / "gold.csv").write_text(
        "id;name;gold_category;split\nq1;Rain jacket;Clothing > Jackets;test\n", encoding="utf-8-sig"
    )
    (eval_dir / "eval.yaml").write_text((eval_dir / "eval.yaml").read_text().replace("gold.jsonl", "gold.csv"))
    cfg = load_eval_config(eval_dir / "eval.yaml")
    with pytest.raises(InputError) as error:
        run_eval(cfg, factory=fake_factory, root=eval_dir / "runs")
    assert str(error.value) == (
        f"{eval_dir / 'gold.csv'}: no title column (the columns are 'id', 'name', 'gold_category', 'split'); its "
        "column 'name' looks like the title: --columns title=name"
    )


def test_a_misspelt_hidden_field_is_a_setup_error_not_a_field_left_in_view(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    # "atributes" hid nothing: the tagger read the attributes it was meant not to see, and scored 1.000 where the
    # correct spelling scored 0.000, exit 0
    from tagllm.errors import ConfigError

    _append(eval_dir, {"id": "q1", "title": "Item", "attributes": {"Type": "shirt"}, "gold_category": "Home > Lamps"})
    config = eval_dir / "eval.yaml"
    config.write_text(config.read_text() + "hide_fields: [atributes, sku]\n")
    cfg = load_eval_config(config)
    with pytest.raises(ConfigError) as error:
        run_eval(cfg, factory=fake_factory, root=eval_dir / "runs")
    assert str(error.value) == (
        f"hide_fields names 'atributes' (did you mean 'attributes'?), 'sku', which no record of {cfg.gold} has (its "
        "fields: attributes, gold_category, gold_tags, id, split, title): a name no record has hides nothing, and the "
        "tagger would read the field meant to be hidden; write each name as the gold file spells it"
    )
    assert not fake_factory.seen and not (eval_dir / "runs").exists()


def test_a_hidden_product_field_the_gold_file_lacks_is_no_mistake(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    config = eval_dir / "eval.yaml"
    config.write_text(config.read_text() + "hide_fields: [description, attributes]\n")
    run_eval(load_eval_config(config), factory=fake_factory, root=eval_dir / "runs")
    assert fake_factory.seen


def test_gold_written_with_the_taxonomys_chinese_labels_is_scored() -> None:
    # gold '服装 > 连衣裙' against the demo taxonomy (Dresses is 连衣裙 in zh-CN) was 'not in taxonomy': the product
    # was tagged and left unscored, named among the unknown gold values
    from tagllm.evaluation.gold_values import GoldResolver
    from tagllm.taxonomy import CATEGORY, Facet, Taxonomy, Value, load_taxonomy

    resolver = GoldResolver(load_taxonomy("demo"))
    assert resolver.resolve("category", "服装 > 连衣裙") == "apparel-dresses"
    assert resolver.resolve("category", "连衣裙") == "apparel-dresses"
    assert resolver.resolve("category", "电子产品 > 手机配件 > 手机壳") == "electronics-cases"
    assert resolver.resolve("category", "Apparel > Dresses") == "apparel-dresses"
    # a label two values share is not guessed
    shared = Taxonomy(
        "t",
        {CATEGORY: Facet(CATEGORY, "Category", hierarchical=True)},
        {
            "a": Value("a", "Socks", CATEGORY, path="Socks", labels=(("zh-CN", "袜子"),)),
            "b": Value("b", "Hosiery", CATEGORY, path="Hosiery", labels=(("zh-CN", "袜子"),)),
        },
    )
    assert GoldResolver(shared).resolve("category", "袜子") is None


def test_nan_and_blank_gold_values_are_no_gold_value_not_values_the_taxonomy_lacks(eval_dir) -> None:  # type: ignore[no-untyped-def]
    """A gold file written with json.dumps from a pandas frame has NaN where a cell was empty, and a spreadsheet's
    blank cell can hold a space: each was reported as an unknown gold value ('nan', '  '), read as a taxonomy that does
    not fit the gold, and its product tagged for nothing; a blank item of a list was reported so beside the real one."""
    from tagllm.evaluation.gold import load_gold
    from tagllm.taxonomy import load_taxonomy

    with (eval_dir / "gold.jsonl").open("a") as fh:
        fh.write('{"id": "q1", "title": "Rain jacket", "gold_category": NaN, "split": "test"}\n')
        fh.write('{"id": "q2", "title": "Wool socks", "gold_category": "  ", "split": "test"}\n')
        fh.write('{"id": "q3", "title": "Bar stool", "gold_category": {"category": [NaN, null]}, "split": "test"}\n')
        fh.write('{"id": "q4", "title": "Oxford shirt", "gold_category": ["Clothing > Shirts", ""], "split": "test"}\n')
    cfg = load_eval_config(eval_dir / "eval.yaml")
    gold = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    assert [(u["product_id"], u["value"]) for u in gold.unknown] == [("p5", "Garden > Hoses")]
    assert [(x["product_id"], x["line"]) for x in gold.no_gold] == [("q1", 7), ("q2", 8), ("q3", 9)]
    assert [(item.id, item.gold) for item in gold.items][-1] == ("q4", {"category": ["Clothing > Shirts"]})


def test_a_gold_mapping_names_its_facets_as_attribute_keys_are_read(eval_dir) -> None:  # type: ignore[no-untyped-def]
    """{"Category": …} was reported as an unknown facet and left unscored, where "Ideal For: Women" in an attribute
    field names ideal-for: a gold mapping's keys are read by the facet's name or title, written otherwise."""
    from tagllm.evaluation.gold import load_gold
    from tagllm.taxonomy import load_taxonomy

    _append(
        eval_dir,
        {"id": "q1", "title": "Oxford shirt", "gold_category": {"Category": "Clothing > Shirts"}},
        {"id": "q2", "title": "Table lamp", "gold_category": {"Colour": "Red"}},
    )
    cfg = load_eval_config(eval_dir / "eval.yaml")
    gold = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    assert {item.id: item.gold for item in gold.items}["q1"] == {"category": ["Clothing > Shirts"]}
    assert [(u["product_id"], u["facet"], u["reason"]) for u in gold.unknown][-1] == ("q2", "Colour", "unknown facet")


def test_a_csv_gold_cell_holding_a_facet_mapping_as_json_is_read_as_that_mapping(eval_dir) -> None:  # type: ignore[no-untyped-def]
    """A CSV (or Parquet) gold column holding {facet: [values]} as JSON text was one value the taxonomy lacks, the
    record's gold unscored; a key given twice there is refused naming it, as in an attribute column."""
    from tagllm.evaluation.gold import load_gold
    from tagllm.taxonomy import load_taxonomy

    (eval_dir / "gold.csv").write_text(
        "id,title,gold_category\n"
        'c1,Three-seat sofa,"{""category"": [""Home > Sofas""]}"\n'
        'c2,Desk lamp,"{""category"": [""Home > Lamps""], ""category"": [""Home > Sofas""]}"\n'
    )
    csv = {"gold": str(eval_dir / "gold.csv"), "split": None}
    cfg = load_eval_config(eval_dir / "eval.yaml").model_copy(update=csv)
    gold = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    assert [(item.id, item.gold) for item in gold.items] == [("c1", {"category": ["Home > Sofas"]})]
    assert gold.unknown == []
    assert [(u["line"], u["field"]) for u in gold.unreadable] == [(3, "gold_category.category")]


def test_a_csv_gold_cell_holding_a_json_list_is_read_as_that_list(eval_dir) -> None:  # type: ignore[no-untyped-def]
    """A CSV gold cell holding a JSON list of two values, or a mapping whose facet holds a JSON list's text, was one
    value the taxonomy lacks ('["Home > Sofas", "Home > Lamps"]', not in taxonomy), that gold unscored; a list of
    one value was read only because its brackets and quotes were folded away."""
    from tagllm.evaluation.gold import load_gold
    from tagllm.taxonomy import load_taxonomy

    (eval_dir / "gold.csv").write_text(
        "id,title,gold_category\n"
        'c1,Sofa and lamp set,"[""Home > Sofas"", ""Home > Lamps""]"\n'
        'c2,Sofa and lamp set,"{""category"": ""[\\""Home > Sofas\\"", \\""Home > Lamps\\""]""}"\n'
    )
    csv = {"gold": str(eval_dir / "gold.csv"), "split": None}
    cfg = load_eval_config(eval_dir / "eval.yaml").model_copy(update=csv)
    gold = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    both = {"category": ["Home > Sofas", "Home > Lamps"]}
    assert [(item.id, item.gold) for item in gold.items] == [("c1", both), ("c2", both)]
    assert gold.unknown == []


def test_a_gold_title_holding_half_an_emoji_is_tagged_with_u_fffd_in_its_place(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    """A title cut short in the middle of an emoji (JSON's "\\ud83d" with no second half: a title truncated by a
    JavaScript tool) is text no file can hold as UTF-8: `eval run` crashed with a traceback (UnicodeEncodeError)
    hashing the product for the cache, and again writing the run; then it was an error record. The half is read as
    U+FFFD, as `tagllm generate` reads it (tagllm/models.py), so the product is tagged and scored with the rest."""
    with (eval_dir / "gold.jsonl").open("a") as fh:  # json.dumps writes the lone half as the escape "\ud83d"
        fh.write(json.dumps({"id": "q1", "title": "Lamp \ud83d", "gold_category": "Home > Lamps", "split": "test"}))
    cfg = load_eval_config(eval_dir / "eval.yaml", bootstrap=0)
    outcome = run_eval(cfg, factory=fake_factory, root=eval_dir / "runs" / "r1")
    (seen,) = [p for p in fake_factory.seen if p.id == "q1"]
    assert seen.title == "Lamp \ufffd"
    rows = [json.loads(line) for line in (outcome.runs[0] / "per_product.jsonl").read_text("utf-8").splitlines()]
    (row,) = [row for row in rows if row["id"] == "q1"]
    assert row["title"] == "Lamp \ufffd"
    assert row["status"] != "error"
    assert outcome.metrics[0]["bad_input"]["failed_count"] == 0
    assert outcome.metrics[0]["facets"]["category"]["n"] == 5  # p1-p4 and q1 (p5's gold is not in the taxonomy)


def test_a_gold_name_two_values_share_is_reported_naming_them_not_as_missing(eval_dir, fake_factory) -> None:  # type: ignore[no-untyped-def]
    """A gold name that two leaves share (Flipkart has two "Bike Light Bulbs", under other parents) is not guessed
    between: it was reported as "not in taxonomy", and the analyst found it there, twice. Its reason names both."""
    with (eval_dir / "categories.jsonl").open("a") as fh:
        fh.write(json.dumps({"path": "Garden > Lamps"}) + "\n")
    _append(eval_dir, {"id": "q1", "title": "Solar path light", "gold_category": "Lamps"})
    cfg = load_eval_config(eval_dir / "eval.yaml", bootstrap=0)
    run = run_eval(cfg, factory=fake_factory, root=eval_dir / "runs").runs[0]
    unknown = json.loads((run / "metrics.json").read_text())["bad_input"]["unknown_gold"]
    assert unknown[-1] == {
        "product_id": "q1",
        "facet": "category",
        "value": "Lamps",
        "reason": "names 2 values of the taxonomy (Garden > Lamps; Home > Lamps): write its path or id",
    }
    assert unknown[0]["reason"] == "not in taxonomy"  # p5's Garden > Hoses


def test_a_gold_value_of_another_facet_is_reported_naming_that_facet(tmp_path: Path) -> None:
    """A colour in the category column was reported "not in taxonomy": the analyst found it there, as a colour."""
    from tagllm.evaluation.gold import load_gold
    from tagllm.taxonomy import load_taxonomy

    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"id": "g1", "title": "Red dress", "labels": {"category": ["apparel-dresses"]}}) + "\n"
        + json.dumps({"id": "g2", "title": "Red scarf", "labels": {"category": ["Red", "Spacesuits"]}}) + "\n"
    )  # fmt: skip
    config = tmp_path / "eval.yaml"
    config.write_text("name: colours\ngold: gold.jsonl\ngold_field: labels\ntagger: {taxonomy: demo}\n")
    read = load_gold(load_eval_config(config), load_taxonomy("demo"))
    assert read.unknown == [
        {
            "product_id": "g2",
            "facet": "category",
            "value": "Red",
            "reason": "a value of facet 'color', not of category",
        },
        {"product_id": "g2", "facet": "category", "value": "Spacesuits", "reason": "not in taxonomy"},
    ]


def test_an_empty_sample_without_a_split_says_what_its_count_is(tmp_path: Path) -> None:
    """With no split the message read "has 3 record(s), 2, sample all": a number with nothing to say what it counts."""
    from tagllm.evaluation.gold import load_gold
    from tagllm.taxonomy import load_taxonomy

    gold = tmp_path / "gold.jsonl"
    rows = [{"id": "g1", "title": "Red dress"}, {"id": "g1", "title": "Red dress"}, {"id": "g2", "title": "Mug"}]
    gold.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = tmp_path / "eval.yaml"
    config.write_text("name: none\ngold: gold.jsonl\ntagger: {taxonomy: demo}\n")
    with pytest.raises(InputError) as err:
        load_gold(load_eval_config(config), load_taxonomy("demo"))
    assert str(err.value).startswith(
        f"the sample is empty: {gold} has 3 record(s), 1 of them unreadable or repeating an id, sample all, 2 of them "
        "with no gold value in 'gold_category'"
    )


def test_a_gold_name_two_values_of_another_facet_share_is_reported_naming_that_facet(tmp_path: Path) -> None:
    """A category name two leaves share ("Lamps" under Home and Garden), given as a colour, was "not in taxonomy":
    it is there, twice, as a category."""
    from tagllm.evaluation.gold import load_gold
    from tagllm.taxonomy import Facet, Taxonomy, Value

    facets = {"category": Facet("category", "Category", hierarchical=True), "color": Facet("color", "Colour")}
    values = [
        Value("home", "Home", "category", None, "Home"),
        Value("home-lamps", "Lamps", "category", "home", "Home > Lamps"),
        Value("garden", "Garden", "category", None, "Garden"),
        Value("garden-lamps", "Lamps", "category", "garden", "Garden > Lamps"),
        Value("red", "Red", "color"),
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"id": "g1", "title": "Red lamp", "labels": {"category": ["home-lamps"], "color": ["Lamps"]}}) + "\n"
    )
    config = tmp_path / "eval.yaml"
    config.write_text("name: lamps\ngold: gold.jsonl\ngold_field: labels\ntagger: {taxonomy: demo}\n")
    read = load_gold(load_eval_config(config), Taxonomy("lamps", facets, {v.id: v for v in values}))
    assert read.unknown == [
        {"product_id": "g1", "facet": "color", "value": "Lamps", "reason": "a value of facet 'category', not of color"}
    ]


def test_a_gold_line_that_is_not_valid_json_is_listed_by_its_id(eval_dir) -> None:  # type: ignore[no-untyped-def]
    # it was listed by its line alone, though its id could be read: the user searched the file for it
    from tagllm.evaluation.gold import load_gold
    from tagllm.taxonomy import load_taxonomy

    (eval_dir / "cut.jsonl").write_text(
        '{"id": "c1", "title": "Three-seat sofa", "gold_category": "Home > Sofas"}\n'
        '{"id": "c2", "title": "Desk lamp", "gold_category": \n'
    )
    cfg = load_eval_config(eval_dir / "eval.yaml").model_copy(
        update={"gold": str(eval_dir / "cut.jsonl"), "split": None}
    )
    gold = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    assert [(u["line"], u["product_id"]) for u in gold.unreadable] == [(2, "c2")]
    assert gold.unreadable[0]["message"].startswith(f"{eval_dir / 'cut.jsonl'}:2: record 'c2': not valid JSON (")
