"""Metric code against scikit-learn on the same inputs and against hand-worked hierarchical examples."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from tagllm.evaluation import metrics as m
from tagllm.taxonomy import from_paths


@pytest.fixture
def tree():
    # A > B > C, A > B > D, A > E, F  (ids are the paths)
    return from_paths(["A > B > C", "A > B > D", "A > E", "F"], name="tree")


def _sk(gold, pred, average):
    mlb = MultiLabelBinarizer()
    mlb.fit([*gold, *pred])
    p, r, f, _ = precision_recall_fscore_support(
        mlb.transform(gold), mlb.transform(pred), average=average, zero_division=0
    )
    return p, r, f


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_micro_and_macro_match_sklearn_on_random_multilabel_data(seed):
    rng = np.random.default_rng(seed)
    labels = [f"t{i}" for i in range(12)]
    gold = [set(rng.choice(labels, rng.integers(0, 4), replace=False)) for _ in range(60)]
    pred = [set(rng.choice(labels, rng.integers(0, 4), replace=False)) for _ in range(60)]
    gold[0], pred[0] = {"only-gold"}, {"only-pred"}  # labels with no predictions / no support
    for average, ours in (("micro", m.micro_prf(gold, pred)), ("macro", m.macro_prf(gold, pred))):
        p, r, f = _sk(gold, pred, average)
        assert ours.precision == pytest.approx(p)
        assert ours.recall == pytest.approx(r)
        assert ours.f1 == pytest.approx(f)


def test_per_tag_matches_sklearn_per_label():
    gold = [{"a"}, {"a", "b"}, {"c"}, set()]
    pred = [{"a"}, {"b"}, {"a"}, {"c"}]
    table = m.per_tag_prf(gold, pred)
    mlb = MultiLabelBinarizer().fit([*gold, *pred])
    p, r, f, s = precision_recall_fscore_support(mlb.transform(gold), mlb.transform(pred), zero_division=0)
    for i, label in enumerate(mlb.classes_):
        assert (table[label].precision, table[label].recall, table[label].f1) == pytest.approx((p[i], r[i], f[i]))
        assert table[label].tp + table[label].fn == s[i]


def test_hierarchical_prf_hand_worked(tree):
    gold = [["A > B > C"], ["A > E"], ["A > B > C"], ["F"]]
    pred = [["A > B > D"], ["F"], [], ["F"]]
    # closures: {A, A>B, A>B>C} vs {A, A>B, A>B>D}: tp 2 fp 1 fn 1
    #           {A, A>E} vs {F}: tp 0 fp 1 fn 2;  {A, A>B, A>B>C} vs {}: fn 3;  {F} vs {F}: tp 1
    h = m.hierarchical_prf(gold, pred, tree)
    assert (h.tp, h.fp, h.fn) == (3, 2, 6)
    assert h.precision == pytest.approx(3 / 5)
    assert h.recall == pytest.approx(1 / 3)
    assert h.f1 == pytest.approx(3 / 7)


def test_hierarchical_parent_prediction_gets_partial_credit(tree):
    h = m.hierarchical_prf([["A > B > C"]], [["A > B"]], tree)
    assert (h.precision, h.recall) == pytest.approx((1.0, 2 / 3))
    # an id the taxonomy lacks is a lone node that can only miss
    h = m.hierarchical_prf([["A > E"]], [["nope"]], tree)
    assert (h.tp, h.fp, h.fn) == (0, 1, 2)


def test_leaf_accuracy_counts_abstention_as_wrong():
    assert m.leaf_accuracy(["x", "y", "z", "w"], ["x", None, "q", "w"]) == 0.5
    assert m.leaf_accuracy([], []) == 0.0


def test_precision_recall_at_k():
    p, r = m.precision_recall_at_k([{"a"}, {"b", "c"}], [["a", "x"], ["x", "c"]], k=2)
    assert (p, r) == pytest.approx(((1 / 2 + 1 / 2) / 2, (1 + 1 / 2) / 2))


def test_calibration_hand_worked():
    bins, ece = m.calibration([0.95, 0.95, 0.15, 0.15], [1, 0, 0, 0], n_bins=10)
    # bin 9: conf .95 acc .5 (2/4 weight); bin 1: conf .15 acc 0 (2/4 weight)
    assert ece == pytest.approx(0.5 * 0.45 + 0.5 * 0.15)
    assert bins[9].count == 2 and bins[1].count == 2
    _, ece1 = m.calibration([1.0], [1])
    assert ece1 == 0.0


def test_precision_coverage_curve_and_threshold():
    curve = m.precision_coverage_curve([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1], n_total=5)
    got = [x for c in curve for x in (c.threshold, c.coverage, c.precision)]
    assert got == pytest.approx([0.9, 0.2, 1.0, 0.8, 0.4, 1.0, 0.7, 0.6, 2 / 3, 0.6, 0.8, 0.75])
    assert m.suggest_threshold(curve, 0.95).threshold == 0.8
    assert m.suggest_threshold(curve, 0.7).threshold == 0.6
    assert m.suggest_threshold(curve, 1.01) is None


def test_bootstrap_interval_contains_point_and_paired_delta_detects_a_real_change():
    a = np.array([1.0] * 50 + [0.0] * 50)
    lo, hi = m.bootstrap_ci(a, m.mean_of, n_boot=500)
    assert lo < 0.5 < hi
    b = np.array([1.0] * 90 + [0.0] * 10)
    d = m.paired_bootstrap(a, b, m.mean_of, n_boot=500)
    assert d.delta == pytest.approx(0.4) and d.is_significant and d.p_value < 0.01
    same = m.paired_bootstrap(a, a.copy(), m.mean_of, n_boot=200)
    assert not same.is_significant and same.p_value == 1.0


def test_confusions_ignore_abstentions():
    assert m.confusions(["a", "a", "a", "b"], ["b", "b", None, "b"]) == [("a", "b", 2)]


def test_macro_f1_of_matrix_matches_macro_prf():
    gold = [{"a"}, {"a", "b"}, {"c"}, set(), {"d"}]
    pred = [{"a"}, {"b"}, {"a"}, {"c"}, set()]
    assert m.macro_f1_of_matrix(m.label_matrix(gold, pred)) == pytest.approx(m.macro_prf(gold, pred).f1)
