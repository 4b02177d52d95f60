"""Attribute confidences: calibrated out of fold, a keep probability per facet, and the linear text evidence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tagllm.candidates.calibration import (
    EVEN_CHANCE,
    Calibration,
    answers,
    keep_probability,
    text_folds,
)
from tagllm.candidates.linear import LinearModel
from tagllm.candidates.stacker import Stacker


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


def test_a_facet_never_precise_enough_keeps_what_is_more_likely_right_than_wrong() -> None:
    probs = np.linspace(0.99, 0.01, 300)
    right = np.arange(300) % 3 == 0  # a third right at every confidence: no threshold reaches 0.9
    assert keep_probability(probs, right) == EVEN_CHANCE


def test_a_single_valued_facet_answers_with_each_products_best_candidate() -> None:
    probs = np.array([0.3, 0.8, 0.6, 0.1, 0.2])
    right = np.array([1, 0, 1, 1, 0])
    products = np.array([0, 0, 1, 1, 1])
    p, r = answers(probs, right, products, multi_valued=False)
    assert p.tolist() == [0.8, 0.6] and r.tolist() == [False, True]
    p, r = answers(probs, right, products, multi_valued=True)
    assert len(p) == 5


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


def test_a_calibrated_stacker_round_trips_through_json() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, len(Stacker.default().coef))).astype(np.float32)
    y = (x[:, 0] + rng.normal(size=600) > 1).astype(np.int8)
    products = np.repeat(np.arange(200), 3)
    stacker = Stacker.fit_calibrated(
        x, y, products, folds=np.arange(200) % 5, unique=np.ones(200, bool), multi_valued=True, fitted_on=200, k=10
    )
    assert stacker is not None and stacker.calibration != Calibration() and stacker.keep >= EVEN_CHANCE
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
