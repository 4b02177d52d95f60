"""Attributes scored per facet: "Key: Value" gold mapped onto the facets, an abstention a miss but not an error,
micro and macro over the attribute facets, the per-facet table and plot, and the seller's specs hidden."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tagllm.config import TaggerConfig
from tagllm.evaluation.harness import load_eval_config, run_eval
from tagllm.evaluation.headline import headline
from tagllm.evaluation.report import render_markdown
from tagllm.evaluation.scoring import attribute_summary
from tagllm.models import Product, Provenance, Tag, TagResult
from tagllm.taxonomy import load_taxonomy

TAXONOMY = """name: shop
facets:
  - name: category
    hierarchical: true
    values:
      - {id: tops, name: Tops, children: [{id: tees, name: T-Shirts}]}
      - {id: mugs, name: Mugs}
  - name: ideal-for
    title: Ideal For
    applies_to: [tops]
    values:
      - {id: women, name: Women, synonyms: ["Women's"]}
      - {id: men, name: Men}
  - name: color
    title: Color
    multi_valued: true
    values:
      - {id: black, name: Black}
      - {id: white, name: White}
"""

GOLD = [
    {"id": "a", "title": "Tee", "attributes": {"Ideal For": "Womens"}, "description": "for women, black",
     "gold_category": "Tops > T-Shirts",
     "gold_attribute_tags": ["Ideal For: Womens", "Color: Black", "Style Code: X1"]},
    {"id": "b", "title": "Tee two", "gold_category": "Tops > T-Shirts",
     "gold_attribute_tags": ["Ideal For: Men", "Color: Black, White"]},
    {"id": "c", "title": "Mug", "gold_category": "Mugs", "gold_attribute_tags": ["Color: White", "Color: Teal"]},
    {"id": "d", "title": "Tee three", "gold_category": "Tops > T-Shirts", "gold_attribute_tags": ["Ideal For: Men"]},
]  # fmt: skip

# What the tagger answers: a: all right; b: wrong gender, one colour of two; c: abstains on colour; d: abstains.
ANSWERS = {
    "a": {"category": ["tees"], "ideal-for": ["women"], "color": ["black"]},
    "b": {"category": ["tees"], "ideal-for": ["women"], "color": ["black"]},
    "c": {"category": ["mugs"]},
    "d": {"category": ["tees"]},
}


class AnsweringTagger:
    """Returns the set answers and records what it was shown."""

    def __init__(self, config: TaggerConfig, seen: list[Product]) -> None:
        self.taxonomy = load_taxonomy(config.taxonomy)
        self.config = config
        self.seen = seen
        self.backend = None

    def tag(self, products: list[Product]) -> list[TagResult]:
        self.seen.extend(products)
        prov = Provenance(backend="fake", taxonomy_version=self.taxonomy.version)
        return [
            TagResult(
                product_id=p.id,
                tags={
                    facet: [
                        Tag(facet=facet, id=v, name=self.taxonomy[v].name, confidence=0.9, source="retrieval")
                        for v in ids
                    ]
                    for facet, ids in ANSWERS[p.id].items()
                },  # fmt: skip
                provenance=prov,
            )
            for p in products
        ]


@pytest.fixture
def attribute_run(tmp_path: Path) -> tuple[dict, list[Product], Path]:
    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_field: gold_category\ngold_attribute_field: gold_attribute_tags\n"
        "hide_fields: [attributes, description]\nbootstrap: 0\ntagger:\n  taxonomy: shop.yaml\n"
    )
    seen: list[Product] = []
    cfg = load_eval_config(tmp_path / "eval.yaml")
    outcome = run_eval(cfg, factory=lambda c: AnsweringTagger(c, seen), root=tmp_path / "run", use_cache=False)
    return outcome.metrics[0], seen, outcome.runs[0]


def test_each_attribute_facet_is_scored_on_the_products_whose_gold_carries_it(attribute_run) -> None:
    m, _, _ = attribute_run
    assert list(m["facets"]) == ["category", "ideal-for", "color"]
    ideal, color = m["facets"]["ideal-for"], m["facets"]["color"]
    # a right, b wrong, d abstained: 1 of 2 answers right, 1 of 3 gold values found
    assert (ideal["n"], ideal["answered"], ideal["coverage"]) == (3, 2, pytest.approx(2 / 3))
    assert (ideal["micro"]["precision"], ideal["micro"]["recall"]) == pytest.approx((0.5, 1 / 3))
    # a: black right; b: black right, white missed; c: abstained (white missed; teal is not in the taxonomy)
    assert (color["n"], color["answered"]) == (3, 2)
    assert (color["micro"]["tp"], color["micro"]["fp"], color["micro"]["fn"]) == (2, 0, 2)
    assert color["micro"]["precision"] == 1.0  # an abstention is never an error
    over = m["attributes"]
    assert over["facets"] == ["ideal-for", "color"]
    assert (over["micro"]["tp"], over["micro"]["fp"], over["micro"]["fn"]) == (3, 1, 4)
    assert over["micro"]["precision"] == pytest.approx(0.75) and over["micro"]["coverage"] == pytest.approx(4 / 6)
    assert over["macro"]["f1"] == pytest.approx((0.4 + 2 / 3) / 2)
    assert m["bad_input"]["unknown_gold"] == [
        {"product_id": "c", "facet": "color", "value": "Teal", "reason": "not in taxonomy"}
    ]  # "Style Code" names no facet: not reported


def test_hidden_fields_and_gold_tags_never_reach_the_tagger(attribute_run) -> None:
    _, seen, _ = attribute_run
    assert [p.id for p in seen] == ["a", "b", "c", "d"]
    assert all(p.attributes == {} and p.description is None and not p.extra for p in seen)


def test_the_report_has_a_per_facet_table_and_plot(attribute_run) -> None:
    m, _, run = attribute_run
    md = (run / "report.md").read_text()
    assert "| `ideal-for` | 3 | 66.7% | 0.500 | 0.333 | 0.400 |" in md
    assert "| `color` | 3 | 66.7% | 1.000 | 0.500 | 0.667 |" in md
    assert "Over the 2 attribute facet(s): micro P / R / F1 **0.750 / 0.429 / 0.545** (coverage 66.7%)" in md
    html = (run / "report.html").read_text()
    assert 'data-plot="per-facet"' in html and 'data-table="per-facet"' in html
    assert headline(m)[-1] == "2 attribute facet(s): micro P/R/F1 0.750/0.429/0.545  macro-F1 0.533  coverage 0.667"


def test_the_printed_lines_give_an_attribute_its_precision_and_say_when_it_answered_nothing(attribute_run) -> None:
    """An attribute facet has no tree and no leaves: its line says P/R/F1 and coverage (it printed hier-F1 and
    leaf-acc); one that kept nothing says so, where it printed precision 0.000, which reads as every answer wrong."""
    m, _, run = attribute_run
    assert headline(m)[1:3] == [
        "ideal-for: n=3  P/R/F1 0.500/0.333/0.400  macro-F1 0.333  coverage 0.667",
        "color: n=3  P/R/F1 1.000/0.500/0.667  macro-F1 0.500  coverage 0.667",
    ]
    silent = copy.deepcopy(m)
    for facet in ("ideal-for", "color"):
        f = silent["facets"][facet]
        f["answered"], f["coverage"] = 0, 0.0
        f["micro"].update(precision=0.0, recall=0.0, f1=0.0, tp=0, fp=0, fn=f["micro"]["tp"] + f["micro"]["fn"])
    silent["attributes"]["micro"].update(precision=0.0, recall=0.0, f1=0.0, tp=0, fp=0, coverage=0.0)
    lines = headline(silent)
    assert lines[1:3] == [
        "ideal-for: n=3  nothing answered  coverage 0.000",
        "color: n=3  nothing answered  coverage 0.000",
    ]
    assert lines[-1].startswith("2 attribute facet(s): micro P/R/F1 —/0.000/0.000")
    md = render_markdown(silent)
    assert "| `color` | 3 | 0.0% | — | 0.000 | 0.000 |" in md
    assert "micro P / R / F1 **— / 0.000 / 0.000**" in md


def test_macro_precision_over_facets_leaves_out_a_facet_that_answered_nothing(attribute_run) -> None:
    """A facet that kept nothing made no error, but it counted as precision 0.000 in the macro average: with colour
    silent the report said macro precision 0.250 where the one facet that answered was right half the time, and
    0.000 when no facet answered (micro precision said "—")."""
    m, _, _ = attribute_run
    silent = copy.deepcopy(m)
    f = silent["facets"]["color"]
    f["answered"], f["coverage"] = 0, 0.0
    f["micro"].update(precision=0.0, recall=0.0, f1=0.0, tp=0, fp=0, fn=f["micro"]["tp"] + f["micro"]["fn"])
    silent["attributes"] = attribute_summary(silent["facets"])
    assert silent["attributes"]["macro"]["precision"] == pytest.approx(0.5)
    assert "macro P / R / F1 0.500 / 0.167 / 0.200" in render_markdown(silent)
    g = silent["facets"]["ideal-for"]
    g["answered"], g["coverage"] = 0, 0.0
    g["micro"].update(precision=0.0, recall=0.0, f1=0.0, tp=0, fp=0, fn=g["micro"]["tp"] + g["micro"]["fn"])
    silent["attributes"] = attribute_summary(silent["facets"])
    assert silent["attributes"]["macro"]["precision"] is None
    assert "macro P / R / F1 — / 0.000 / 0.000" in render_markdown(silent)


def test_a_nested_gold_attribute_value_is_an_input_problem_naming_the_product_and_field(tmp_path: Path) -> None:
    """A list or mapping inside a value of gold_attribute_field was read as its Python repr: "['Black']" resolved to
    Black by accident of normalisation, "{'who': 'Men'}" was reported as a value the taxonomy lacks."""
    from tagllm.evaluation.gold import load_gold
    from tagllm.evaluation.gold_values import NESTED

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    gold = [
        {"id": "x", "gold_category": "Tops > T-Shirts",
         "gold_attribute_tags": {"Color": [["Black"]], "Ideal For": {"who": "Men"}}},
        {"id": "y", "gold_category": "Tops > T-Shirts",
         # a pair's own list is its values, as a mapping's is: nested is a list inside that list
         "gold_attribute_tags": [["Color", [["White"]]], "Ideal For: Men"]},
    ]  # fmt: skip
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_attribute_field: gold_attribute_tags\ntagger:\n  taxonomy: shop.yaml\n"
    )
    cfg = load_eval_config(tmp_path / "eval.yaml")
    loaded = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    gold_of = [item.gold for item in loaded.items]
    assert gold_of == [{"category": ["tees"]}, {"category": ["tees"], "ideal-for": ["men"]}]
    field = "gold_attribute_tags"
    assert loaded.unknown == [
        {"product_id": "x", "facet": "color", "field": field, "value": '["Black"]', "reason": NESTED},
        {"product_id": "x", "facet": "ideal-for", "field": field, "value": '{"who": "Men"}', "reason": NESTED},
        {"product_id": "y", "facet": "color", "field": field, "value": '["White"]', "reason": NESTED},
    ]


@pytest.mark.parametrize(("field", "facet"), [("gold_color", "color"), ("gold_ideal_for", "ideal-for")])
def test_a_gold_field_named_for_a_flat_facet_holds_that_facets_values(tmp_path: Path, field: str, facet: str) -> None:
    """gold_field: gold_color put its values under the hierarchical facet: 'Black' was reported as a category the
    taxonomy lacks and the run stopped as 'no gold value of the sample is in taxonomy'."""
    from tagllm.evaluation.gold import load_gold

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    gold = [
        {"id": "a", "title": "Black tee", "gold_color": "Black", "gold_ideal_for": "Men"},
        {"id": "b", "title": "Mug", "gold_color": ["White", "Black"], "gold_ideal_for": ["Women", "Men"]},
        {"id": "c", "title": "Tee", "gold_color": {"category": "Tops > T-Shirts"}, "gold_ideal_for": "Girls"},
    ]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "eval.yaml").write_text(f"gold: gold.jsonl\ngold_field: {field}\ntagger:\n  taxonomy: shop.yaml\n")
    cfg = load_eval_config(tmp_path / "eval.yaml")
    loaded = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    expected = {
        "color": [{"color": ["black"]}, {"color": ["white", "black"]}, {"category": ["tees"]}],
        "ideal-for": [{"ideal-for": ["men"]}, {"ideal-for": ["women", "men"]}, {}],
    }[facet]
    assert [item.gold for item in loaded.items] == expected  # a mapping still names its facets
    unknown = {"color": [], "ideal-for": [{"product_id": "c", "facet": "ideal-for", "value": "Girls",
                                          "reason": "not in taxonomy"}]}[facet]  # fmt: skip
    assert loaded.unknown == unknown


def test_a_facet_no_gold_carries_is_shown_as_not_scored_not_as_zeros(tmp_path: Path) -> None:
    # "ideal-for", asked for but in no product's gold, was reported as recall 0.000, F1 0.000, coverage 0.0% (and
    # zero bars in the per-facet plot): read as a facet the tagger got wrong, where nothing was scored
    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    gold = [{**g, "gold_attribute_tags": [t for t in g["gold_attribute_tags"] if "Ideal" not in t]} for g in GOLD]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_field: gold_category\ngold_attribute_field: gold_attribute_tags\n"
        "facets: [category, ideal-for, color]\nbootstrap: 0\ntagger:\n  taxonomy: shop.yaml\n"
    )
    cfg = load_eval_config(tmp_path / "eval.yaml")
    outcome = run_eval(cfg, factory=lambda c: AnsweringTagger(c, []), root=tmp_path / "run", use_cache=False)
    m, run = outcome.metrics[0], outcome.runs[0]
    assert m["facets"]["ideal-for"]["n"] == 0
    assert headline(m)[1] == "ideal-for: n=0  not scored: no product in the sample has a gold value for it"
    md = (run / "report.md").read_text()
    assert "| `ideal-for` | 0 | — | — | — | — | — | not scored: no gold value |" in md.splitlines()
    assert "## Facet `ideal-for` (0 products)\n\nNo product in the sample has a gold value for this facet" in md
    html = (run / "report.html").read_text()
    row = html[html.index("<code>ideal-for</code></a>") :].split("</tr>")[0]
    assert row.count('<td class="n">—</td>') == 5 and "not scored: no gold value" in row
    if "data-plot" in html:  # matplotlib installed: the per-facet plot names the scored facets only
        summary = html[html.index('data-plot="per-facet"') :].split("</figure>")[0]
        assert ">color<" in summary and "ideal-for" not in summary


def test_a_scored_facet_the_tagger_does_not_tag_stops_the_run_before_tagging(tmp_path: Path) -> None:
    """The tagger's facets leaving out a facet the gold carries (colour): every product was tagged, then scored
    'nothing answered' on colour, exit 0, a setup mistake found only after the tagging."""
    from tagllm.errors import ConfigError

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_attribute_field: gold_attribute_tags\nbootstrap: 0\n"
        "tagger:\n  taxonomy: shop.yaml\n  facets: [category, ideal-for]\n"
    )
    seen: list[Product] = []
    cfg = load_eval_config(tmp_path / "eval.yaml")
    with pytest.raises(ConfigError, match=r"scores color, which the tagger does not tag .*add them to the tagger's"):
        run_eval(cfg, factory=lambda c: AnsweringTagger(c, seen), root=tmp_path / "run", use_cache=False)
    assert seen == [] and not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("facets", "said"),
    [
        ("facets: [category, color]\ntagger:\n  taxonomy: shop.yaml\n  facets: [category, colour]\n", "tagger.facets"),
        ("facets: [category, colour]\ntagger:\n  taxonomy: shop.yaml\n  facets: [category, color]\n", "facets"),
    ],
)
def test_a_facet_the_taxonomy_lacks_is_named_with_its_setting_before_tagging(
    tmp_path: Path, facets: str, said: str
) -> None:
    """A misspelt facet in the tagger's facets was told 'the eval scores color, which the tagger does not tag', never
    that the taxonomy has no 'colour'; one in the scored facets was told without the setting it is in."""
    from tagllm.errors import ConfigError

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    (tmp_path / "eval.yaml").write_text("gold: gold.jsonl\ngold_attribute_field: gold_attribute_tags\n" + facets)
    seen: list[Product] = []
    cfg = load_eval_config(tmp_path / "eval.yaml")
    with pytest.raises(ConfigError) as raised:
        run_eval(cfg, factory=lambda c: AnsweringTagger(c, seen), root=tmp_path / "run", use_cache=False)
    assert str(raised.value) == (
        f"{said}: taxonomy 'shop' has no facet 'colour'; its facets are: category, ideal-for, color; nothing was tagged"
    )
    assert seen == [] and not (tmp_path / "run").exists()


def test_a_product_with_no_gold_of_a_scored_facet_is_not_tagged_nor_counted(tmp_path: Path) -> None:
    """With `facets` naming the facets to score, a product whose gold carries none of them (the mug, with no
    ideal-for) was tagged and counted as evaluated, scored on nothing; `sample: N` spent its N on such products."""
    from tagllm.evaluation.gold import load_gold

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_attribute_field: gold_attribute_tags\nfacets: [ideal-for]\nbootstrap: 0\n"
        "tagger:\n  taxonomy: shop.yaml\n"
    )
    cfg = load_eval_config(tmp_path / "eval.yaml")
    loaded = load_gold(cfg, load_taxonomy(cfg.tagger.taxonomy))
    assert [(item.id, item.gold) for item in loaded.items] == [
        ("a", {"ideal-for": ["women"]}),
        ("b", {"ideal-for": ["men"]}),
        ("d", {"ideal-for": ["men"]}),
    ]
    assert [x["product_id"] for x in loaded.no_gold] == ["c"] and loaded.in_split == 4
    seen: list[Product] = []
    outcome = run_eval(cfg, factory=lambda c: AnsweringTagger(c, seen), root=tmp_path / "run", use_cache=False)
    assert [p.id for p in seen] == ["a", "b", "d"]
    assert outcome.metrics[0]["sample"]["evaluated"] == 3 and outcome.metrics[0]["facets"]["ideal-for"]["n"] == 3


def test_a_gold_attribute_field_no_record_has_stops_the_run_before_tagging(tmp_path: Path) -> None:
    """A misspelt gold_attribute_field left every attribute facet unscored: the products were tagged and the report
    gave the category alone, exit 0."""
    from tagllm.errors import ConfigError

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_attribute_field: gold_attribute_tag\nbootstrap: 0\ntagger:\n  taxonomy: shop.yaml\n"
    )
    seen: list[Product] = []
    cfg = load_eval_config(tmp_path / "eval.yaml")
    expected = r"gold_attribute_field names 'gold_attribute_tag' \(did you mean 'gold_attribute_tags'\?\), which no"
    with pytest.raises(ConfigError, match=expected + r".*write the name as the gold file spells it"):
        run_eval(cfg, factory=lambda c: AnsweringTagger(c, seen), root=tmp_path / "run", use_cache=False)
    assert seen == []


def test_the_per_facet_plot_draws_no_precision_bar_for_a_facet_that_answered_nothing(
    attribute_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A facet that kept nothing made no error, and the table says precision "—", but the per-facet plot drew its
    precision as a bar of 0.000, read as every answer wrong, with nothing to say it answered nothing."""
    pytest.importorskip("matplotlib")
    import math

    from matplotlib.axes import Axes

    from tagllm.evaluation.report import _pyplot, plot_facets

    m, _, _ = attribute_run
    silent = copy.deepcopy(m)
    f = silent["facets"]["color"]
    f["answered"], f["coverage"] = 0, 0.0
    f["micro"].update(precision=0.0, recall=0.0, f1=0.0, tp=0, fp=0, fn=f["micro"]["tp"] + f["micro"]["fn"])
    drawn: dict[str, list[float]] = {}
    barh = Axes.barh

    def recording(self, y, width, *args, **kwargs):  # type: ignore[no-untyped-def]
        drawn[kwargs["label"]] = list(width)
        return barh(self, y, width, *args, **kwargs)

    monkeypatch.setattr(Axes, "barh", recording)
    svg = plot_facets(silent, _pyplot())
    assert svg is not None and "color (nothing answered)" in svg
    # rows bottom-up: color, ideal-for, category
    assert math.isnan(drawn["precision"][0]) and drawn["precision"][1:] == [
        0.5,
        m["facets"]["category"]["micro"]["precision"],
    ]
    assert drawn["recall"][0] == 0.0


def test_error_examples_list_wrong_answers_before_abstentions(attribute_run) -> None:
    """Listed in product order, the attribute facets' abstentions filled the error examples (21 of 25 in a run of
    Flipkart's attributes, where 4 of its 10 wrong answers were shown): an abstention is no wrong tag."""
    from tagllm.evaluation.examples import error_examples

    _, _, run = attribute_run
    rows = [json.loads(line) for line in (run / "per_product.jsonl").read_text().splitlines()][::-1]  # d, c, b, a
    shown = [
        (e["id"], e["facet"], e["pred"])
        for e in error_examples(rows, {}, [], load_taxonomy(run / ".." / "shop.yaml"), 3)
    ]
    assert shown == [("b", "ideal-for", "Women"), ("b", "color", "Black"), ("d", "ideal-for", None)]


def test_compare_gives_an_attribute_facet_precision_and_recall_not_tree_figures(
    attribute_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that abstains on ideal-for where the other answered wrong raised its precision from 0.500 to 1.000:
    `eval compare` did not show it (only F1, and hierarchical F1 and leaf accuracy, which an attribute facet has no
    tree nor leaves for), so the change an analyst tunes attributes for could not be read from it."""
    from tagllm.evaluation.compare import compare_runs, comparison_lines

    _, _, before = attribute_run
    monkeypatch.setitem(ANSWERS, "b", {"category": ["tees"], "color": ["black"]})  # abstains, where it was wrong
    cfg = load_eval_config(tmp_path / "eval.yaml")
    after = run_eval(cfg, factory=lambda c: AnsweringTagger(c, []), root=tmp_path / "after", use_cache=False).runs[0]
    lines = comparison_lines(compare_runs([before, after], n_boot=0))
    at = lines.index("  ideal-for (n=3): fixed 0, broken 0, changed 1")
    assert [line[:43] for line in lines[at + 1 : at + 6]] == [
        "    precision        0.500 -> 1.000  +0.500",
        "    recall           0.333 -> 0.333  +0.000",
        "    micro F1         0.400 -> 0.500  +0.100",
        "    macro F1         0.333 -> 0.500  +0.167",
        "    coverage         0.667 -> 0.333  -0.333",
    ]
    assert lines[at + 6].startswith("  color (n=3)")
    category = lines.index("  category (n=4): fixed 0, broken 0, changed 0")
    assert [line[4:20].strip() for line in lines[category + 1 : category + 6]] == [
        "micro F1", "macro F1", "hierarchical F1", "leaf accuracy", "coverage",
    ]  # fmt: skip


def test_compare_gives_no_precision_for_a_run_that_answered_nothing_of_a_facet(
    attribute_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that kept no ideal-for tag made no error, but compare printed its precision as 0.000 (0 of 0), which
    reads as every answer wrong, where `eval run` prints —."""
    from tagllm.evaluation.compare import compare_runs, comparison_lines
    from tagllm.evaluation.report import render_comparison_html, render_comparison_markdown

    _, _, before = attribute_run
    for pid in ("a", "b"):
        monkeypatch.setitem(ANSWERS, pid, {"category": ["tees"], "color": ["black"]})
    cfg = load_eval_config(tmp_path / "eval.yaml")
    after = run_eval(cfg, factory=lambda c: AnsweringTagger(c, []), root=tmp_path / "after", use_cache=False).runs[0]
    comparison = compare_runs([before, after], n_boot=0)
    lines = comparison_lines(comparison)
    at = lines.index("  ideal-for (n=3): fixed 0, broken 1, changed 1")
    assert lines[at + 1] == f"    precision        — ({after} answered nothing of it: no precision to compare)"
    assert [line[4:20].strip() for line in lines[at + 2 : at + 6]] == ["recall", "micro F1", "macro F1", "coverage"]
    assert "precision" not in comparison["comparisons"][0]["facets"]["ideal-for"]["headline"]
    md = render_comparison_markdown(comparison)
    assert f"Precision: — ({after} answered nothing of it: no precision to compare)" in md
    assert f"Precision: — ({after} answered nothing of it: no precision to compare)</p>" in render_comparison_html(
        comparison
    )


def test_a_gold_field_no_record_has_stops_the_run_before_tagging(tmp_path: Path) -> None:
    """A misspelt gold_field beside a gold_attribute_field left the category unscored: every product was tagged and
    the report gave the attributes alone, exit 0. The default gold_field missing from an attributes-only gold file
    is no mistake, and runs."""
    from tagllm.errors import ConfigError

    (tmp_path / "shop.yaml").write_text(TAXONOMY)
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_field: gold_categry\ngold_attribute_field: gold_attribute_tags\nbootstrap: 0\n"
        "tagger:\n  taxonomy: shop.yaml\n"
    )
    seen: list[Product] = []
    cfg = load_eval_config(tmp_path / "eval.yaml")
    expected = r"gold_field names 'gold_categry' \(did you mean 'gold_category'\?\), which no record of "
    with pytest.raises(ConfigError, match=expected + r".*write the name as the gold file spells it"):
        run_eval(cfg, factory=lambda c: AnsweringTagger(c, seen), root=tmp_path / "run", use_cache=False)
    assert seen == []
    attributes_only = [{k: v for k, v in g.items() if k != "gold_category"} for g in GOLD]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in attributes_only))
    (tmp_path / "eval.yaml").write_text(
        "gold: gold.jsonl\ngold_attribute_field: gold_attribute_tags\nbootstrap: 0\ntagger:\n  taxonomy: shop.yaml\n"
    )
    cfg = load_eval_config(tmp_path / "eval.yaml")
    outcome = run_eval(cfg, factory=lambda c: AnsweringTagger(c, seen), root=tmp_path / "run", use_cache=False)
    assert list(outcome.metrics[0]["facets"]) == ["ideal-for", "color"]
