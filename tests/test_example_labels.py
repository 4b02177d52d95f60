"""What an example whose tags name no value of their facet is told: the reason its record is skipped says what to
fix, not "is not a value of the taxonomy" for a value the taxonomy holds under another facet or under two paths."""

from __future__ import annotations

import json
from pathlib import Path

from tagllm.retrieval.index import read_examples
from tagllm.taxonomy import Facet, Taxonomy, Value


def small_taxonomy() -> Taxonomy:
    """Two 'Accessories' under two parents, and 'Black' a value of two facets."""
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "color": Facet("color", "Colour"),
        "finish": Facet("finish", "Finish"),
    }
    values = [
        Value("shoes", "Shoes", "category", None, "Shoes"),
        Value("shoes-acc", "Accessories", "category", "shoes", "Shoes > Accessories"),
        Value("bags", "Bags", "category", None, "Bags"),
        Value("bags-acc", "Accessories", "category", "bags", "Bags > Accessories"),
        Value("red", "Red", "color"),
        Value("black", "Black", "color"),
        Value("black-finish", "Black", "finish"),
    ]
    return Taxonomy("small", facets, {v.id: v for v in values})


def test_a_skipped_example_is_told_which_facet_its_label_belongs_to_or_which_values_share_its_name(
    tmp_path: Path,
) -> None:
    records = [
        {"id": "ok", "title": "Leather tote", "labels": {"category": ["bags"]}},
        {"id": "other-facet-id", "title": "Red sandals", "labels": {"category": ["red"]}},
        {"id": "other-facet-name", "title": "Black sandals", "labels": {"category": ["Black"]}},
        {"id": "shared-name", "title": "Shoe horn", "labels": {"category": ["Accessories"]}},
        {"id": "unknown", "title": "Spacesuit", "labels": {"category": ["Spacesuits"]}},
        {
            "id": "shared-name-elsewhere",
            "title": "Shoe horn",
            "labels": {"category": ["bags"], "color": ["Accessories"]},
        },
        {"id": "misspelt-facet", "title": "Red bag", "labels": {"category": ["bags"], "colour": ["red"]}},
        {"id": "unknown-facet", "title": "Big bag", "labels": {"category": ["bags"], "volume": ["20 l"]}},
        {"title": "Moon boots", "labels": {"category": ["Moon Boots"]}},  # no id: its line and field name it
        {"id": 17, "title": "Spacesuit", "labels": {"category": ["Spacesuits"]}},
    ]
    path = tmp_path / "examples.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    examples, errors = read_examples(path, small_taxonomy())
    assert [example.id for example in examples] == ["ok"]
    assert [(error.record_id, error.field, error.message) for error in errors] == [
        ("other-facet-id", "labels", f"{path}:2: record 'other-facet-id' field 'labels': category label 'red' is a "
                                     "value of facet 'color', not of category"),
        ("other-facet-name", "labels", f"{path}:3: record 'other-facet-name' field 'labels': category label 'Black' "
                                       "is a value of facet 'color', not of category (and of 'finish')"),
        ("shared-name", "labels", f"{path}:4: record 'shared-name' field 'labels': category label 'Accessories' names "
                                  "2 values of category (bags-acc, shoes-acc); give its id or its path"),
        ("unknown", "labels", f"{path}:5: record 'unknown' field 'labels': category label 'Spacesuits' is not a value "
                              "of taxonomy 'small'"),
        ("shared-name-elsewhere", "labels", f"{path}:6: record 'shared-name-elsewhere' field 'labels': color label "
                                            "'Accessories' is a value of facet 'category', not of color"),
        ("misspelt-facet", "labels", f"{path}:7: record 'misspelt-facet' field 'labels': taxonomy 'small' has no "
                                     "facet 'colour'; its facets are: category, color, finish"),
        ("unknown-facet", "labels", f"{path}:8: record 'unknown-facet' field 'labels': taxonomy 'small' has no facet "
                                    "'volume'; its facets are: category, color, finish"),
        (None, "labels", f"{path}:9: field 'labels': category label 'Moon Boots' is not a value of taxonomy 'small'"),
        ("17", "labels", f"{path}:10: record '17' field 'labels': category label 'Spacesuits' is not a value of "
                         "taxonomy 'small'"),
    ]  # fmt: skip


def test_the_gold_reader_names_the_other_facets_of_a_value_as_the_examples_loader_does(tmp_path: Path) -> None:
    """One function says it for both readers: 'Black' given as a category is a colour and a finish, and the gold
    reader named the first alone."""
    from tagllm.evaluation.config import load_eval_config
    from tagllm.evaluation.gold import load_gold

    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "g1", "title": "Black shoes", "labels": {"category": ["shoes", "Black"]}}) + "\n")
    config = tmp_path / "eval.yaml"
    config.write_text("name: black\ngold: gold.jsonl\ngold_field: labels\ntagger: {taxonomy: demo}\n")
    read = load_gold(load_eval_config(config), small_taxonomy())
    reason = "a value of facet 'color', not of category (and of 'finish')"
    assert read.unknown == [{"product_id": "g1", "facet": "category", "value": "Black", "reason": reason}]


def test_a_label_many_other_facets_hold_names_a_few_and_counts_the_rest() -> None:
    """'Other' is a value of 1,986 of Shopify's facets: the message named every one (43,155 characters)."""
    from tagllm.taxonomy import Facet, Taxonomy, Value

    names = [f"f{i}" for i in range(8)]
    values = {f"{f}-other": Value(f"{f}-other", "Other", f) for f in names}
    taxonomy = Taxonomy("many", {f: Facet(f, f) for f in ["category", *names]}, values)
    said = taxonomy.other_facet("category", "Other", lambda facet, label: f"{facet}-other" in values)
    assert said == "a value of facet 'f0', not of category (and of 'f1', 'f2', 'f3' and 4 more)"
    assert taxonomy.other_facet("category", "Other", lambda facet, label: facet in names[:5]) == (
        "a value of facet 'f0', not of category (and of 'f1', 'f2', 'f3', 'f4')"  # no "and 1 more"
    )


def test_a_labels_cell_that_is_broken_json_is_said_to_be_so_not_a_label_missing_from_the_taxonomy(
    tmp_path: Path,
) -> None:
    """A CSV's JSON labels cell cut short was read as one category label: "category label '{…' is not a value of
    taxonomy" sent the reader to the taxonomy; a list cut short ('["bags"') was even read as the label 'bags'."""
    path = tmp_path / "examples.csv"
    path.write_text(
        'id,title,labels\nok,Leather tote,"{""category"": [""bags""]}"\n'
        'cut,Red sandals,"{""category"": [""bags""]"\nlist,Moon boots,"[""bags"""\n'
    )
    examples, errors = read_examples(path, small_taxonomy())
    assert [example.id for example in examples] == ["ok"]
    hint = "but is not valid JSON: a cell cut short, or a quote not doubled?"
    assert [(error.record_id, error.field, error.message) for error in errors] == [
        ("cut", "labels", f"{path}:3: record 'cut' field 'labels': '{{\"category\": [\"bags\"]' starts like JSON "
                          f"(an object) {hint}"),
        ("list", "labels", f"{path}:4: record 'list' field 'labels': '[\"bags\"' starts like JSON (a list) {hint}"),
    ]  # fmt: skip
