"""A multi-valued facet's further values: kept from their own threshold where the product's best value is kept."""

from __future__ import annotations

import numpy as np

from tagllm.candidates.calibration import NEVER_KEPT, Keep, further_probability
from tagllm.candidates.stacker import Stacker


def _answers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 products whose best value is at 0.95 and right, with a further value at 0.6 (40 of them, right) or 0.55
    (20, wrong); and 30 products whose one value, at 0.6, is wrong."""
    probs = np.r_[np.full(60, 0.95), np.full(40, 0.6), np.full(20, 0.55), np.full(30, 0.6)]
    right = np.r_[np.ones(100, dtype=bool), np.zeros(50, dtype=bool)]
    products = np.r_[np.arange(60), np.arange(60), np.arange(60, 90)]
    return probs, right, products


def test_further_values_are_kept_from_where_those_beside_a_kept_best_value_are_precise_enough() -> None:
    probs, right, products = _answers()
    further = further_probability(probs, right, products, np.full(len(probs), 0.9))
    assert 0.55 < further <= 0.6


def test_further_values_of_products_whose_best_value_is_not_kept_do_not_count() -> None:
    probs, right, products = _answers()
    kept_from = np.full(len(probs), 0.9)
    kept_from[np.r_[0:40, 60:100]] = 0.99  # the 40 products whose further value is right: their best is not kept
    assert further_probability(probs, right, products, kept_from) == NEVER_KEPT


def test_only_a_multi_valued_facet_measured_with_its_products_has_a_further_threshold() -> None:
    probs, right, products = _answers()
    stated = np.zeros(len(probs))
    assert Keep.measure(probs, right, stated).further is None
    keep = Keep.measure(probs, right, stated, products=products)
    assert keep.unstated > 0.6  # pooled, the wrong best values at 0.6 keep every answer there out
    assert keep.further is not None and 0.55 < keep.further <= 0.6


def test_the_retrieval_backend_keeps_a_further_value_only_beside_a_kept_best_value() -> None:
    from tagllm.backends.base import GenerationRequest
    from tagllm.backends.retrieval import RetrievalBackend
    from tagllm.models import Candidate, Product
    from tagllm.taxonomy import Facet, Taxonomy, Value

    values = {i: Value(id=i, facet="occasion", name=i.title()) for i in ("casual", "party", "formal")}
    taxonomy = Taxonomy("toy", {"occasion": Facet(name="occasion", multi_valued=True)}, values)
    backend = RetrievalBackend(taxonomy, facet_keep={"occasion": Keep(0.8, 0.8, further=0.6)})

    def answer(best: float) -> list[str]:
        candidates = [
            Candidate(id="casual", name="Casual", score=best),
            Candidate(id="party", name="Party", score=0.65),  # above the further values' 0.6
            Candidate(id="formal", name="Formal", score=0.55),  # below it
        ]
        request = GenerationRequest(product=Product(id="1", title="Dress"), candidates={"occasion": candidates})
        return backend.generate([request])[0].ids["occasion"]

    assert answer(0.9) == ["casual", "party"]
    assert answer(0.7) == []  # the best is not kept: nothing is


def test_a_further_threshold_round_trips_through_json_and_an_older_index_has_none() -> None:
    saved = Stacker.default()
    saved.keep = Keep(0.6, 0.9, 0.7, further=0.65)
    again = Stacker.from_json(saved.to_json())
    assert again is not None and again.keep == saved.keep
    older = Stacker.from_json(Stacker.default().to_json() | {"keep": [0.6, 0.9, 0.7]})
    assert older is not None and older.keep.further is None
