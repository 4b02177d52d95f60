"""With no examples: the category's confidence where nothing in the tree fits. The answer's calibration weighs the
best candidate's own evidence (``zero.AnswerCalibration.evidence``), fitted with training titles whose gold branch
is taken out (``benchmarks/zero_nothing_fits.py``, ``benchmarks/zero_calibration.py``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks.zero_nothing_fits import Scored, case_gold, top_levels, without_gold
from tagllm.candidates.features import COLUMN, FEATURES
from tagllm.candidates.zero import AnswerCalibration, best_evidence

# a tree 0 > 1 > 2, 0 > 3, and 4 > 5: value positions with their ancestors and themselves
PARENT = np.array([-1, 0, 1, 0, -1, 4])
LINEAGE_PTR = np.array([0, 1, 3, 6, 8, 9, 11])
LINEAGE = np.array([0, 0, 1, 0, 1, 2, 0, 3, 4, 4, 5])
TABLES = SimpleNamespace(parent=PARENT, lineage_ptr=LINEAGE_PTR, lineage=LINEAGE)
SIZE = 6


def two_products() -> Scored:
    # product 0 has every value as a candidate, product 1 values 3 and 5
    rows = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    values = np.array([0, 1, 2, 3, 4, 5, 3, 5])
    matrix = np.arange(len(rows) * 2, dtype=float).reshape(-1, 2)
    return Scored(matrix, np.array([0, 6, 8]), rows, values, SIZE)


def test_taking_the_gold_out_drops_it_and_what_is_below_it_and_keeps_its_parent() -> None:
    gold = np.array([0 * SIZE + 1, 1 * SIZE + 5])  # product 0: value 1 (its child 2 goes too); product 1: value 5
    kept = without_gold(two_products(), gold, TABLES, "kind")  # type: ignore[arg-type]
    assert kept.values.tolist() == [0, 3, 4, 5, 3]
    assert kept.rows.tolist() == [0, 0, 0, 0, 1]
    assert kept.starts.tolist() == [0, 4, 5]
    assert kept.matrix[:, 0].tolist() == [0.0, 6.0, 8.0, 10.0, 12.0]  # each row's evidence goes with it


def test_taking_the_top_level_branch_out_drops_every_value_of_that_branch_alone() -> None:
    gold = np.array([0 * SIZE + 2, 1 * SIZE + 5])
    assert top_levels(gold, TABLES, SIZE).tolist() == [0 * SIZE + 0, 1 * SIZE + 4]  # type: ignore[arg-type]
    kept = without_gold(two_products(), gold, TABLES, "top")  # type: ignore[arg-type]
    assert kept.values.tolist() == [4, 5, 3]
    assert kept.starts.tolist() == [0, 2, 3]
    assert without_gold(two_products(), gold, TABLES, "whole").values.tolist() == [0, 1, 2, 3, 4, 5, 3, 5]  # type: ignore[arg-type]


def test_a_case_accepts_its_ids_or_every_value_of_its_names() -> None:
    cases = [
        {"title": "a", "category_id": ["b2", "zz"]},
        {"title": "b", "category": ["Mugs"], "accept": {"category": ["cups"]}},
    ]
    ids, names = ["a1", "b2", "c3", "d4"], ["Cups", "Plates", "Mugs", "Mugs"]
    assert case_gold(cases, ids, names) == [{1}, {0, 2, 3}]


def test_the_best_candidates_evidence_is_its_row() -> None:
    probs = np.array([0.2, 0.7, 0.1, 0.4, 0.9])
    rows = np.array([0, 0, 0, 2, 2])
    matrix = np.arange(10, dtype=float).reshape(5, 2)
    assert best_evidence(probs, rows, matrix, 3).tolist() == [[2.0, 3.0], [0.0, 0.0], [8.0, 9.0]]


def test_an_answer_the_titles_head_does_not_name_is_less_sure_at_the_same_share() -> None:
    calibration = AnswerCalibration(slope=1.0, intercept=0.0, stacker_weight=0.0, evidence=(("head", 2.0),))
    best, total = np.array([0.6, 0.6]), np.array([0.8, 0.8])
    evidence = np.zeros((2, len(FEATURES)))
    evidence[0, COLUMN["head"]] = 1.0  # the head names the first best fully, the second not at all
    named, unnamed = calibration(best, total, evidence)
    assert unnamed == pytest.approx(0.75)  # the share alone, 0.6 / 0.8
    assert named == pytest.approx(1 / (1 + np.exp(-(np.log(3) + 2.0))))
    assert np.allclose(calibration(best, total), [0.75, 0.75])  # no evidence given: the share alone


def test_the_answers_evidence_weights_go_to_json_and_back() -> None:
    calibration = AnswerCalibration(0.9, 0.2, 0.0, (("head", 1.5), ("head_emb", -0.25)))
    data = calibration.to_json()
    assert data["evidence"] == {"head": 1.5, "head_emb": -0.25}
    assert AnswerCalibration.from_json(data) == calibration
    older = {"share": [0.9, 0.2], "stacker_weight": 0.0}  # a file written before the evidence: none weighed
    assert AnswerCalibration.from_json(older) == AnswerCalibration(0.9, 0.2, 0.0)
