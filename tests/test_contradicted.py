"""A sole mention that the examples' words and neighbours contradict goes below the runner-up the words back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tagllm.candidates.scorer as scorer_module
from tagllm.candidates import CandidateScorer
from tagllm.candidates.contradicted import demote_contradicted
from tagllm.candidates.features import COLUMN, FEATURES
from tagllm.retrieval.index import ExampleIndex, read_examples

DATA = Path(__file__).parent / "data"


def _row(*, stated: float = 0.0, linear: float = 0.0, emb_vote: float = 0.0, lex_vote: float = 0.0) -> np.ndarray:
    row = np.zeros(len(FEATURES))
    row[COLUMN["stated"]], row[COLUMN["lex_linear"]] = stated, linear
    row[COLUMN["emb_vote"]], row[COLUMN["lex_vote"]] = emb_vote, lex_vote
    return row


def _demoted(best: np.ndarray, runner_up: np.ndarray) -> np.ndarray:
    probs = np.array([0.6, 0.3])
    return demote_contradicted(probs, np.vstack([best, runner_up]), np.array([0, 2]))


def test_a_sole_mention_nothing_backs_goes_below_the_runner_up_the_words_back() -> None:
    # "Decorative" named in a showpiece's title, gold Ethnic: the words and the neighbours back Ethnic
    probs = _demoted(_row(stated=0.95, linear=-0.8, emb_vote=0.04), _row(linear=0.6, emb_vote=0.5, lex_vote=0.4))
    assert probs[0] < probs[1]
    assert probs[1] == 0.3  # the runner-up keeps its own probability: nothing is raised
    assert probs[0] > 0.29


def test_the_mention_stays_first_when_the_words_back_no_other_value() -> None:
    # no value has positive linear evidence: nothing contradicts the mention, it stays the answer
    probs = _demoted(_row(stated=0.95, linear=-0.3), _row(linear=-0.5, emb_vote=0.2))
    assert probs.tolist() == [0.6, 0.3]


def test_the_mention_stays_first_when_neighbours_vote_for_it_or_the_words_back_it() -> None:
    backed_by_the_words = _demoted(_row(stated=0.95, linear=0.2), _row(linear=0.6))
    voted = _demoted(_row(stated=0.95, linear=-0.8, emb_vote=0.12), _row(linear=0.6))
    assert backed_by_the_words.tolist() == [0.6, 0.3]
    assert voted.tolist() == [0.6, 0.3]


def test_a_value_named_beside_another_or_not_named_is_not_demoted() -> None:
    shared = _demoted(_row(stated=0.45, linear=-0.8), _row(linear=0.6))
    unstated = _demoted(_row(linear=-0.8), _row(linear=0.6))
    assert shared.tolist() == [0.6, 0.3]
    assert unstated.tolist() == [0.6, 0.3]


def test_each_product_is_read_apart_and_a_lone_candidate_stays() -> None:
    matrix = np.vstack(
        [
            _row(stated=0.95, linear=-0.8),  # product 0's lone candidate: nothing to put above it
            _row(linear=0.6),  # product 1: the words' value, runner-up by probability
            _row(stated=0.95, linear=-0.8),  # product 1's contradicted mention
        ]
    )
    probs = demote_contradicted(np.array([0.9, 0.4, 0.7]), matrix, np.array([0, 1, 3]))
    assert probs[0] == 0.9
    assert probs[2] < probs[1] == 0.4


def test_the_scorer_puts_a_contradicted_mention_below_the_value_the_examples_back(
    monkeypatch: pytest.MonkeyPatch,
    demo_taxonomy,  # type: ignore[no-untyped-def]
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    """Through ``CandidateScorer.score``: the demo examples never say "baby" and back Women for a maxi dress, so the
    title's sole mention of Baby is contradicted. The 30 demo examples are too few to fit an audience stacker, so
    the fitted stacker is stood in for by one that follows the text's mentions, as fitted stackers learn to."""
    examples, errors = read_examples(DATA / "demo_examples.jsonl", demo_taxonomy)
    assert errors == []
    index = ExampleIndex.build(examples, demo_taxonomy, embedder)
    scorer = CandidateScorer(demo_taxonomy, index, embedder, ["audience"], k=5)
    texts = ["Baby Floral Maxi Dress, Red Polyester"]
    emb = embedder.encode(texts)

    def best(stacker_fitted: bool) -> list[str]:
        scorer.stackers = {"audience": object()} if stacker_fitted else {}  # type: ignore[dict-item]
        _, result = scorer.score(texts, emb)
        return [candidate.id for candidate in result[0]["audience"][:2]]

    # with no stacker the text's mentions are all the evidence there is: the mention stays first
    assert best(stacker_fitted=False)[0] == "audience-baby"

    def follows_mentions(stacker, data, matrix, starts, chinese=None):  # type: ignore[no-untyped-def]
        return 0.9 * matrix[:, COLUMN["stated"]] + 0.1 * matrix[:, COLUMN["emb_vote"]]

    monkeypatch.setattr(scorer_module, "probabilities", follows_mentions)
    assert best(stacker_fitted=True) == ["audience-women", "audience-baby"]
