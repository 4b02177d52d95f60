"""benchmarks/attributes.py's pieces: the precision at equal coverage (the SVM keeps as many answers as tagllm, its
surest ones), the SVM's margins, candidate recall, the values the taxonomy lacks, the ceiling of any threshold."""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/ is a folder of scripts, not an installed package: its modules import each other from the repo root,
# which pytest does not put on sys.path (the test passed only where PYTHONPATH held the repo).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import attribute_held_out  # noqa: E402
from benchmarks.attribute_baselines import Answers, at_equal_coverage, svm_predict  # noqa: E402
from benchmarks.attribute_ceiling import best_threshold, ceiling_note, svm_answers  # noqa: E402
from benchmarks.attribute_scoring import Lacking, Recall, abstentions  # noqa: E402


def test_the_svm_keeps_its_largest_margins_for_as_many_products_as_tagllm_answers() -> None:
    gold = [{"red"}, {"blue"}, {"red"}, None, {"blue"}]
    ours = [{"red"}, set(), {"blue"}, {"red"}, set()]  # answers 2 of the 4 products with a gold value: one right
    svm = Answers(
        values=[{"red"}, {"blue"}, {"blue"}, {"red"}, {"red"}],
        confidence=[0.1, 0.9, 0.2, 2.0, 0.5],  # the surest is the product without gold: it is not counted
    )
    mine, theirs = at_equal_coverage(gold, ours, svm)
    assert (mine.n, mine.answered, mine.prf.tp, mine.prf.fp) == (4, 2, 1, 1)
    # the SVM keeps products 1 (right) and 4 (wrong), its two largest margins among the four
    assert (theirs.n, theirs.answered, theirs.prf.tp, theirs.prf.fp) == (4, 2, 1, 1)
    assert theirs.prf.fn == 3  # products 0, 2 and 4 lose their gold value: abstained or wrong


def test_the_svm_answers_with_its_top_class_margin() -> None:
    train = [("red cotton shirt", {"red"}), ("blue denim jeans", {"blue"}), ("green silk scarf", {"green"})] * 3
    answers = svm_predict(train, ["red shirt", "plain thing"])
    assert answers.values[0] == {"red"}
    assert answers.confidence[0] > answers.confidence[1]


def test_candidate_recall_says_where_a_gold_value_was_lost() -> None:
    recall = Recall()
    known, carried = {"red", "blue", "teal"}, {"red", "blue"}  # teal is in the taxonomy, no example carries it
    recall.add({"red"}, {"red", "blue"}, known, carried)  # offered
    recall.add({"blue", "teal"}, {"red"}, known, carried)  # blue not proposed, teal not learnable
    recall.add({"mauve"}, {"red", "blue", "teal"}, known, carried)  # not a value of the taxonomy
    assert (recall.gold, recall.known, recall.carried, recall.proposed) == (4, 3, 2, 1)
    assert (recall.products, recall.candidates) == (3, 6)
    assert recall.line("Color") == (
        "Color 0.250 (1/4; in the taxonomy 0.750, carried by an example 0.500; 2.0 candidates per product)"
    )
    total = Recall.total([recall, recall])
    assert (total.gold, total.known, total.carried, total.proposed, total.candidates) == (8, 6, 4, 2, 12)


def test_the_values_the_taxonomy_lacks_are_split_by_whether_the_svm_could_learn_them() -> None:
    lacking = Lacking()
    known, seen = {"red", "blue"}, {"red", "blue", "teal"}  # teal: carried by one training product, not learned
    lacking.add({"red"}, known, seen, {"red"})  # a value of the taxonomy: not lacking
    lacking.add({"teal", "blue"}, known, seen, {"teal"})  # lacking, carried, and the SVM's answer
    lacking.add({"mauve"}, known, seen, {"red"})  # never seen in training: no method can answer it
    lacking.add({"teal"}, known, seen, {"blue"})
    assert (lacking.values, lacking.carried, lacking.svm_right) == (3, 2, 1)


def test_the_ceiling_keeps_the_most_right_answers_any_threshold_keeps_at_the_target() -> None:
    # from 0.8: 3 of 3 right; from 0.6: 4 of 5 (0.8, below 0.9); from 0.3: 9 of 10 right (0.9, the most right)
    answers = [(0.9, True), (0.85, True), (0.8, True), (0.7, False), (0.6, True)]
    answers += [(0.5, True)] * 3 + [(0.4, True), (0.3, True)]
    ceiling = best_threshold(answers, gold=12)
    assert (ceiling.right, ceiling.kept, ceiling.threshold) == (9, 10, 0.3)
    assert round(ceiling.recall, 3) == 0.75
    # answers of equal confidence are kept together: 1 of 2 right at 0.9 reaches nothing
    tied = best_threshold([(0.9, True), (0.9, False)], gold=2)
    assert (tied.right, tied.kept, tied.threshold) == (0, 0, 1.01)
    note = ceiling_note("toy", {"Color": ceiling, "Neck": tied}, svm_f1=0.8)
    assert note.endswith(
        "Color 9/10 right, recall 0.750 (from 0.30); Neck 0/0 right, recall 0.000 (no threshold reaches it); "
        "micro-F1 over facets 0.750 against the SVM's 0.800"
    )
    assert attribute_held_out.ceiling_note is ceiling_note


def test_the_svm_ceiling_keeps_a_products_values_together_by_its_margin() -> None:
    gold: list[set[str] | None] = [{"men", "women"}, {"men"}, None, {"girls"}]
    values = [{"men", "women"}, {"women"}, {"men"}, {"boys"}]
    answers = svm_answers(gold, values, [2.0, 1.0, 3.0, 0.5])  # the product with no gold value is left out
    assert answers == [(2.0, True), (2.0, True), (1.0, False), (0.5, False)]
    svm = best_threshold(answers, gold=4)
    assert (svm.right, svm.kept, svm.threshold) == (2, 2, 2.0)
    ours = best_threshold([(0.9, True), (0.8, True), (0.7, True)], gold=4)
    note = ceiling_note("toy", {"Ideal For": ours}, svm_f1=0.5, svm_ceilings={"Ideal For": svm})
    assert note.endswith(
        "micro-F1 over facets 0.857 against the SVM's 0.500 (the SVM's own ceiling, its answers kept from one margin "
        "per facet at precision >= 0.9: Ideal For 2/2; micro-F1 0.667)"
    )


def test_abstentions_say_what_the_svm_got_right_where_tagllm_gave_nothing() -> None:
    gold: list[set[str] | None] = [{"red"}, {"blue"}, {"men", "women"}, None]
    ours: list[set[str]] = [set(), set(), {"women"}, {"red"}]
    svm: list[set[str]] = [{"red"}, {"green"}, {"men", "women"}, {"red"}]
    assert abstentions("Color", gold, ours, svm) == (
        "Color abstains on 2 of 3, the SVM right there 1/2; where it answers, right 1 against the SVM's 2"
    )
