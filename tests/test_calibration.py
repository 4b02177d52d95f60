"""Attribute confidences: calibrated out of fold, a keep probability per facet, and the linear text evidence."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from tagllm.candidates.calibration import (
    EVEN_CHANCE,
    NEVER_KEPT,
    Calibration,
    Keep,
    answer_groups,
    answer_rows,
    effective_counts,
    intraclass_correlation,
    keep_probability,
    text_folds,
)
from tagllm.candidates.linear import LinearModel
from tagllm.candidates.stacker import Stacker
from tagllm.retrieval.lexical import LexicalModel


def test_calibration_is_increasing_and_brings_overconfident_probabilities_down() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=4000)
    right = rng.uniform(size=4000) < p**2  # a stated 0.9 is right 81 times in 100
    calibration = Calibration.fit(p, right)
    grid = np.linspace(0.01, 0.99, 99)
    assert np.all(np.diff(calibration(grid)) > 0)  # the ranking of candidates never changes
    assert calibration(np.array([0.9]))[0] == pytest.approx(0.81, abs=0.05)
    assert calibration(np.array([0.5]))[0] < 0.4


def test_calibration_that_cannot_be_fitted_leaves_probabilities_as_they_are() -> None:
    p = np.array([0.2, 0.7, 0.9])
    assert Calibration.fit(p, np.array([True, True, True])) == Calibration()
    assert np.array_equal(Calibration()(p), p)


def test_keep_probability_is_the_lowest_confidence_from_which_answers_are_precise_enough() -> None:
    # 200 answers from 0.95 down to 0.6: right above 0.75 (all), wrong below (half)
    probs = np.linspace(0.95, 0.6, 200)
    right = np.where(probs >= 0.75, True, np.arange(200) % 2 == 0)
    keep = keep_probability(probs, right)
    assert 0.7 <= keep <= 0.76
    kept = probs >= keep
    assert right[kept].mean() >= 0.9


def test_a_facet_never_precise_enough_keeps_nothing() -> None:
    probs = np.linspace(0.99, 0.01, 300)
    right = np.arange(300) % 3 == 0  # a third right at every confidence: no threshold reaches 0.9
    assert keep_probability(probs, right) == NEVER_KEPT > 1.0


def test_answers_the_text_states_and_the_others_reach_the_precision_each_on_their_own() -> None:
    """300 stated answers, all right, and 60 unstated guesses from 0.95 down, right two times in three: together
    every threshold keeps a pool above 0.9, alone the guesses reach it nowhere and are never kept."""
    probs = np.r_[np.linspace(0.99, 0.6, 300), np.linspace(0.95, 0.6, 60)]
    right = np.r_[np.ones(300, bool), np.arange(60) % 3 != 0]
    stated = np.r_[np.ones(300, bool), np.zeros(60, bool)]
    assert keep_probability(probs, right) < 0.7  # one threshold over both kinds keeps the guesses
    keep = Keep.measure(probs, right, stated)
    assert keep.stated < 0.7 and keep.unstated == NEVER_KEPT


def test_a_kind_of_answer_never_seen_in_fitting_takes_the_threshold_of_all_answers() -> None:
    probs = np.linspace(0.99, 0.6, 100)
    keep = Keep.measure(probs, np.ones(100, bool), np.zeros(100, bool))
    assert keep.stated == keep.unstated == keep_probability(probs, np.ones(100, bool))


def test_the_retrieval_backend_keeps_a_stated_and_an_unstated_value_from_their_own_thresholds() -> None:
    from tagllm.backends.base import GenerationRequest
    from tagllm.backends.retrieval import RetrievalBackend
    from tagllm.models import Candidate, Product
    from tagllm.taxonomy import Facet, Taxonomy, Value

    values = {i: Value(id=i, facet="material", name=i.title()) for i in ("cotton", "silk", "wool")}
    taxonomy = Taxonomy("toy", {"material": Facet(name="material", multi_valued=True)}, values)
    backend = RetrievalBackend(taxonomy, facet_keep={"material": Keep(stated=0.6, unstated=0.9)})
    candidates = [
        Candidate(id="cotton", name="Cotton", score=0.8, evidence={"stated": 0.95}),  # stated, above 0.6
        Candidate(id="silk", name="Silk", score=0.85, evidence={"votes": 0.7}),  # a guess below 0.9
        Candidate(id="wool", name="Wool", score=0.95, evidence={"votes": 0.9}),  # a guess above 0.9
    ]
    request = GenerationRequest(product=Product(id="1", title="Cotton wool blend"), candidates={"material": candidates})
    assert backend.generate([request])[0].ids == {"material": ["cotton", "wool"]}


def test_a_stacker_saved_with_one_keep_probability_reads_it_for_both_kinds() -> None:
    saved = Stacker.default().to_json() | {"keep": 0.7}
    again = Stacker.from_json(saved)
    assert again is not None and again.keep == Keep(0.7, 0.7)


def test_a_single_valued_facet_answers_with_each_products_best_candidate() -> None:
    probs = np.array([0.3, 0.8, 0.6, 0.1, 0.2])
    products = np.array([0, 0, 1, 1, 1])
    assert answer_rows(probs, products, multi_valued=False).tolist() == [1, 2]
    assert answer_rows(probs, products, multi_valued=True).tolist() == [0, 1, 2, 3, 4]


def test_effective_counts_are_n_for_independent_answers_and_fewer_for_repeated_ones() -> None:
    assert effective_counts(np.arange(5)).tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    # one title listed four times is one answer repeated: 16 / 16
    assert effective_counts(np.zeros(4, np.int64))[-1] == 1.0
    # two groups of two: 16 / (4 + 4)
    assert effective_counts(np.array([7, 7, 9, 9]))[-1] == 2.0


def test_answers_repeated_by_copies_of_a_title_need_more_evidence_to_be_kept() -> None:
    """40 answers all right reach 0.9 by the lower bound when independent; the same 40 from 4 titles listed ten
    times each (a listing's variants) are 4 answers and do not."""
    probs = np.linspace(0.99, 0.6, 40)
    right = np.ones(40, bool)
    assert keep_probability(probs, right) < 1.0
    assert keep_probability(probs, right, np.repeat(np.arange(4), 10)) == NEVER_KEPT


def test_copies_that_differ_in_being_right_are_more_answers_than_copies_right_or_wrong_together() -> None:
    """60 titles listed in 4 variants each, all of a title's variants given one answer at one confidence, 0.95 of
    the answers right. Where a title's variants are right or wrong together (3 titles wrong), the 240 answers are 60
    repeated and fall short of the bound; where one variant of every fifth title is wrong and the others right (colour
    variants: one answer, different gold), being right does not repeat within a title and the answers reach it."""
    probs = np.repeat(np.linspace(0.99, 0.9, 60), 4)
    titles = np.repeat(np.arange(60), 4)
    stated = np.zeros(240, bool)
    together = ~np.isin(titles, [10, 30, 50])
    apart = np.ones(240, bool)
    apart[4 * np.arange(2, 60, 5)] = False
    assert together.mean() == apart.mean() == 0.95
    assert intraclass_correlation(together - probs, titles) == pytest.approx(1.0)
    assert intraclass_correlation(apart - probs, titles) == 0.0
    assert Keep.measure(probs, together, stated, titles).thresholds == (NEVER_KEPT,) * 3
    assert Keep.measure(probs, apart, stated, titles).unstated == pytest.approx(0.9)


def test_the_intra_class_correlation_reads_copies_as_one_answer_when_it_cannot_tell() -> None:
    assert intraclass_correlation(np.array([1.0, 0.0, 1.0]), np.arange(3)) == 1.0  # no title listed twice
    assert intraclass_correlation(np.ones(6), np.repeat(np.arange(3), 2)) == 1.0  # nothing varies
    assert effective_counts(np.zeros(4, np.int64), rho=0.0)[-1] == 4.0  # independent copies count in full
    assert effective_counts(np.array([7, 7, 9, 9]), rho=0.5)[-1] == pytest.approx(4 / 1.5)


def test_the_values_of_a_multi_valued_facet_are_different_answers_and_only_copies_repeat_one() -> None:
    """20 products with 3 values each, all right: as 20 answers repeated three times they fall short of the bound,
    as 60 different answers they reach it; the same value on a product's copies stays one answer."""
    probs = np.linspace(0.99, 0.9, 60)
    right = np.ones(60, bool)
    groups, values = np.repeat(np.arange(20), 3), np.tile(np.arange(3), 20)
    assert keep_probability(probs, right, answer_groups(groups, values, multi_valued=False)) == NEVER_KEPT
    assert keep_probability(probs, right, answer_groups(groups, values, multi_valued=True)) < 0.95
    copies = answer_groups(np.array([4, 4, 4]), np.array([2, 2, 1]), multi_valued=True)
    assert copies[0] == copies[1] != copies[2]


def test_copies_of_a_text_share_a_fold() -> None:
    folds = text_folds(["Red Cotton Shirt", "red  cotton shirt!", "RED COTTON SHIRT", "Blue Jeans"] * 3)
    assert len(set(folds[[0, 1, 2, 4, 5, 6, 8, 9, 10]].tolist())) == 1


def test_the_linear_model_learns_the_word_that_decides_a_value() -> None:
    # columns 0-2: "red", "blue", "shirt"; every row says "shirt", the colour word decides
    x = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1], [1, 0, 1], [0, 1, 1]], np.float32))
    y = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 0], [0, 1]], np.float32))
    model = LinearModel(x, y)
    margins = model.margins(sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 1]], np.float32)))
    assert margins.argmax(axis=1).tolist() == [0, 1]
    assert margins[0, 0] > 0 > margins[0, 1]


def test_the_linear_model_weighs_a_texts_words_as_much_as_its_character_ngrams() -> None:
    texts = ["navy cotton kurta", "navy silk kurti", "white cotton kurta", "white silk kurti"]
    x = LexicalModel().fit(texts)
    model = LinearModel(x, sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]], np.float32)))
    assert 0 < model.n_chars < len(model.columns)  # both kinds of feature are kept
    scaled = model.blocks(LexicalModel().fit(["navy kurta tunic"]))
    words = scaled.indices >= model.n_chars
    char_norm = np.sqrt(np.sum(scaled.data[~words] ** 2))
    word_norm = np.sqrt(np.sum(scaled.data[words] ** 2))
    assert char_norm == pytest.approx(1.0, abs=1e-5) and word_norm == pytest.approx(1.0, abs=1e-5)
    # as one vector, normalised as a whole, the words weigh far less than the character n-grams
    whole = x[0, model.columns]
    is_word = whole.indices >= model.n_chars
    assert np.sum(whole.data[is_word] ** 2) < 0.5 * np.sum(whole.data[~is_word] ** 2)


def test_a_calibrated_stacker_round_trips_through_json() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, len(Stacker.default().coef))).astype(np.float32)
    y = (x[:, 0] + rng.normal(size=600) > 1).astype(np.int8)
    products = np.repeat(np.arange(200), 3)
    stacker = Stacker.fit_calibrated(x, y, products, folds=np.arange(200) % 5, multi_valued=True, fitted_on=200, k=10)
    assert stacker is not None and stacker.calibration != Calibration() and stacker.keep.stated >= EVEN_CHANCE
    again = Stacker.from_json(json.loads(json.dumps(stacker.to_json())))
    assert again is not None and again.calibration == stacker.calibration and again.keep == stacker.keep
    probe = rng.normal(size=(5, len(x[0])))
    assert np.allclose(again.predict(probe), stacker.predict(probe))


COLOURS = ("Red", "Blue", "Black", "White", "Green", "Navy")
GARMENTS = ("Cotton Shirt", "Denim Jeans", "Polo T-Shirt", "Linen Kurta", "Wool Sweater")


def _catalogue(path: Path) -> Path:
    """Products whose colour tag is the colour their title names."""
    with path.open("w") as fh:
        for i, colour in enumerate(COLOURS):
            for j, garment in enumerate(GARMENTS):
                for brand in ("Roadster", "Highlander", "Mast"):
                    fh.write(
                        json.dumps({
                            "id": f"{i}-{j}-{brand}",
                            "title": f"{brand} Men {colour} {garment}",
                            "gold_category": "Apparel > Bottoms" if "Jeans" in garment else "Apparel > Tops",
                            "gold_attribute_tags": [f"Colour: {colour}"],
                        }) + "\n"
                    )  # fmt: skip
    return path


def test_a_title_that_states_no_colour_gets_no_colour_and_one_that_does_gets_it(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    from tagllm.assembly import build_index
    from tagllm.attributes import learn_taxonomy
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import from_paths

    tree = from_paths(["Apparel > Tops", "Apparel > Bottoms"], name="toy")
    products = _catalogue(tmp_path / "products.jsonl")
    taxonomy = learn_taxonomy(products, tree).taxonomy
    index = build_index(
        products, taxonomy, embedder, tmp_path / "index", label_field="gold_category",
        attribute_field="gold_attribute_tags",
    )  # fmt: skip
    tagger = Tagger(taxonomy, index=index, embedder=embedder, config=TaggerConfig(facets=["colour"]))
    stated, unstated = tagger.tag([
        {"id": "a", "title": "Mast Men Navy Linen Kurta"},
        {"id": "b", "title": "Roadster Men Polo T-Shirt"},
    ])  # fmt: skip
    assert [t.name for t in stated.tags["colour"]] == ["Navy"]
    assert unstated.tags.get("colour", []) == []


def test_examples_whose_value_the_taxonomy_lacks_teach_the_facet_with_no_right_candidate(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    """Ten more listings, each in a colour no other product has (left out of the learned facet): they carry the
    facet, so its stacker learns from them too, every candidate of theirs wrong."""
    from tagllm.assembly import build_index
    from tagllm.attributes import learn_taxonomy
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import from_paths

    path = _catalogue(tmp_path / "products.jsonl")
    rare = [{"id": f"r{i}", "title": f"Mast Men {garment}", "gold_category": "Apparel > Tops",
             "gold_attribute_tags": [f"Colour: Shade {i}"]} for i, garment in enumerate(GARMENTS * 2)]  # fmt: skip
    path.write_text(path.read_text() + "".join(json.dumps(r) + "\n" for r in rare))
    taxonomy = learn_taxonomy(path, from_paths(["Apparel > Tops", "Apparel > Bottoms"], name="toy")).taxonomy
    assert not any(v.name.startswith("Shade") for v in taxonomy.facet_values("colour"))
    index = build_index(
        path, taxonomy, embedder, tmp_path / "index", label_field="gold_category", attribute_field="gold_attribute_tags"
    )
    assert sum(e.labels.get("colour") == [] for e in index.examples) == len(rare)
    tagger = Tagger(taxonomy, index=index, embedder=embedder, config=TaggerConfig(facets=["colour"]))
    assert tagger.scorer.stackers["colour"].fitted_on == len(COLOURS) * len(GARMENTS) * 3 + len(rare)


def test_a_new_confidence_just_below_the_lowest_right_answer_is_still_kept() -> None:
    """Answers all right from 0.9999 up and all wrong near 0: the threshold lies between them, not on the lowest
    right answer, so a new product at 0.999 is kept."""
    probs = np.r_[np.linspace(1.0, 0.9999, 48), np.linspace(0.01, 0.0, 100)]
    right = np.r_[np.ones(48, bool), np.zeros(100, bool)]
    keep = keep_probability(probs, right)
    assert EVEN_CHANCE <= keep < 0.999


def _variants(path: Path) -> Path:
    """Products whose titles name the colour, and listings of one title in every colour (variants, no colour named)."""
    rows = []
    for i, colour in enumerate(COLOURS):
        for j, garment in enumerate(GARMENTS):
            for brand in ("Roadster", "Highlander"):
                rows.append(
                    {
                        "id": f"{i}-{j}-{brand}",
                        "title": f"{brand} Men {colour} {garment}",
                        "gold_category": "Apparel > Tops",
                        "gold_attribute_tags": [f"Colour: {colour}"],
                    }
                )
            rows.append({"id": f"v-{i}-{j}", "title": f"Mast Men {garment}", "gold_category": "Apparel > Tops",
                         "gold_attribute_tags": [f"Colour: {colour}"]})  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_title_listed_in_every_colour_gets_no_colour_even_from_its_identical_copies(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    """A new listing of a title the index holds in six colours finds identical neighbours, each with another colour:
    they say nothing of its colour, and no colour is kept; a title that names its colour gets it."""
    from tagllm.assembly import build_index
    from tagllm.attributes import learn_taxonomy
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import from_paths

    products = _variants(tmp_path / "products.jsonl")
    taxonomy = learn_taxonomy(products, from_paths(["Apparel > Tops"], name="toy")).taxonomy
    index = build_index(
        products, taxonomy, embedder, tmp_path / "index", label_field="gold_category",
        attribute_field="gold_attribute_tags",
    )  # fmt: skip
    tagger = Tagger(taxonomy, index=index, embedder=embedder, config=TaggerConfig(facets=["colour"]))
    stated, variant = tagger.tag([
        {"id": "a", "title": "Highlander Men Green Wool Sweater"},
        {"id": "b", "title": "Mast Men Denim Jeans"},
    ])  # fmt: skip
    assert [t.name for t in stated.tags["colour"]] == ["Green"]
    assert variant.tags.get("colour", []) == []
    best = variant.provenance.candidates["colour"][0]  # type: ignore[union-attr]
    assert best.score < tagger.scorer.keep_probabilities()["colour"].threshold(best)


def test_a_value_no_other_example_carries_is_unseen_for_its_copies() -> None:
    """Fitting reads a value that only the product and its copies carry as one a new product could not be given."""
    from tagllm.candidates.base import Classes
    from tagllm.candidates.fitting import unseen_values

    y = sp.csr_matrix(np.eye(4, 3, dtype=np.float32)[[0, 0, 1, 2]])
    classes = Classes(["a", "b", "c"], np.array([2.0, 1.0, 1.0]), [[0], [0], [1], [2]], y)
    # product 0 is example 0 with its copy 1 (both "a"); product 1 is example 2 ("b", carried by it alone)
    features = SimpleNamespace(rows=np.array([0, 0, 1, 1]), values=np.array([0, 1, 0, 1]))
    tables = SimpleNamespace(value_class=np.array([0, 1, 2]))
    out = unseen_values(features, tables, classes, [[0, 1], [2]])  # type: ignore[arg-type]
    assert out.tolist() == [True, False, False, True]


def test_a_facet_with_too_few_examples_to_calibrate_keeps_only_what_the_title_states(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    """Six examples carry a fit, too few to fit and calibrate a stacker: the neighbours' fit is no measured evidence,
    so a title that states no fit gets none, and one that states it gets it, as with no examples at all."""
    from tagllm.assembly import build_index
    from tagllm.attributes import learn_taxonomy
    from tagllm.config import TaggerConfig
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import from_paths

    path = _catalogue(tmp_path / "products.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for i, row in enumerate(rows[:6]):  # Slim on four, Regular on two; none of the titles says so
        row["gold_attribute_tags"].append(f"Fit: {'Slim' if i < 4 else 'Regular'}")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    taxonomy = learn_taxonomy(path, from_paths(["Apparel > Tops", "Apparel > Bottoms"], name="toy")).taxonomy
    index = build_index(
        path, taxonomy, embedder, tmp_path / "index", label_field="gold_category", attribute_field="gold_attribute_tags"
    )
    tagger = Tagger(taxonomy, index=index, embedder=embedder, config=TaggerConfig(facets=["fit"]))
    assert "fit" not in tagger.scorer.stackers
    unstated, stated = tagger.tag([
        {"id": "a", "title": rows[0]["title"] + " Shirt"},
        {"id": "b", "title": "Highlander Men Regular Fit Chinos"},
    ])  # fmt: skip
    assert unstated.tags.get("fit", []) == []
    assert [t.name for t in stated.tags["fit"]] == ["Regular"]


def test_a_lower_target_precision_keeps_from_a_lower_confidence_and_a_facet_that_reaches_it_nowhere_keeps_nothing() -> (
    None
):
    from tagllm.candidates.calibration import NEVER_KEPT, keep_probability

    probs = np.linspace(0.99, 0.5, 200)
    right = np.r_[np.ones(100, bool), np.arange(100) % 3 != 0]  # all right at the top, 2 in 3 below
    at = {t: keep_probability(probs, right, target=t) for t in (0.95, 0.9, 0.8)}
    assert 0.5 < at[0.8] < at[0.9] < at[0.95] < NEVER_KEPT
    assert keep_probability(probs, right, target=0.99) == NEVER_KEPT
    assert keep_probability(probs, right) == keep_probability(probs, right, target=0.9)  # the default target


def test_a_value_named_beside_another_of_its_facet_is_kept_from_a_threshold_of_its_own() -> None:
    """A title naming "Black and White" states each colour only as one of several (``shared``), right about half the
    time: it is kept from a threshold of its own, neither riding on the sole mentions' nor on the guesses'."""
    from tagllm.candidates.stated import STATED_PROBABILITY
    from tagllm.models import Candidate

    keep = Keep(stated=0.6, unstated=0.9, shared=0.8)
    for how, threshold in (("sole", 0.6), ("shared", 0.8), ("sole (Chinese)", 0.8), (None, 0.9)):
        evidence = {"stated": STATED_PROBABILITY[how]} if how else {"votes": 0.9}
        assert keep.threshold(Candidate(id="black", name="Black", score=0.8, evidence=evidence)) == threshold
    # 300 sole mentions all right, 60 shared ones right two times in three: alone they reach 0.9 nowhere
    probs = np.r_[np.linspace(0.99, 0.6, 300), np.linspace(0.95, 0.6, 60)]
    right = np.r_[np.ones(300, bool), np.arange(60) % 3 != 0]
    stated = np.r_[np.full(300, STATED_PROBABILITY["sole"]), np.full(60, STATED_PROBABILITY["shared"])]
    assert keep_probability(probs, right) < 0.7  # one threshold over both keeps the shared mentions
    keep = Keep.measure(probs, right, stated)
    assert keep.stated < 0.7 and keep.shared == NEVER_KEPT and keep.unstated == keep_probability(probs, right)


def test_a_kind_is_precise_enough_among_the_answers_the_facets_threshold_lets_through() -> None:
    """Shared mentions right 7 of 10 from 0.9 up and 20 of 20 from 0.6 to 0.7, beside sole mentions all right and
    guesses from 0.79 down right one time in three: over all the shared mentions the share reaches 0.9 from 0.6 (27
    of 30), below the facet's threshold, which then keeps the 10 that fall short. The kind's own threshold is looked
    for at or above the facet's: only its answers from 0.95 up, 5 of 5 right."""
    from tagllm.candidates.stated import STATED_PROBABILITY

    shared = np.r_[np.linspace(0.99, 0.9, 10), np.linspace(0.7, 0.6, 20)]
    probs = np.r_[np.linspace(0.99, 0.8, 300), shared, np.linspace(0.79, 0.6, 120)]
    right = np.r_[np.ones(300, bool), [True] * 5 + [False, True, False, True, False], np.ones(20, bool)]
    right = np.r_[right, np.arange(120) % 3 == 0]
    stated = np.r_[np.full(300, STATED_PROBABILITY["sole"]), np.full(30, STATED_PROBABILITY["shared"]), np.zeros(120)]
    pooled = keep_probability(probs, right)
    assert keep_probability(shared, right[300:330], z=0.0) < 0.7 < pooled < 0.9
    keep = Keep.measure(probs, right, stated)
    assert list(right[300:330][shared >= keep.shared]) == [True] * 5


def test_an_index_saved_before_shared_mentions_had_their_own_threshold_keeps_them_with_the_sole_ones() -> None:
    again = Stacker.from_json(Stacker.default().to_json() | {"keep": [0.6, 0.9]})
    assert again is not None and again.keep.thresholds == (0.6, 0.6, 0.9)
