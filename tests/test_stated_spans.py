"""The stated-value finder's cover lookup: a mention inside a longer mention of another value is left out."""

import random

from tagllm.candidates.stated import _Spans


def covered_by_brute_force(spans: set[tuple[int, int, int]], start: int, end: int, pos: int) -> bool:
    return any(s <= start and end <= e and (e - s) > (end - start) and p != pos for s, e, p in spans)


def test_lookup_by_start_agrees_with_comparing_every_pair():
    rng = random.Random(0)
    for _ in range(2000):
        spans = set()
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 15)
            spans.add((start, start + rng.randint(1, 4), rng.randint(0, 4)))
        lookup = _Spans(spans)
        for start, end, pos in spans:
            assert lookup.inside_longer(start, end, pos) == covered_by_brute_force(spans, start, end, pos)


def test_a_shorter_mention_of_the_same_value_is_not_a_cover():
    spans = _Spans([(0, 2, 1), (1, 2, 1), (1, 2, 2)])  # "navy blue": blue (value 2) inside navy blue (value 1)
    assert spans.inside_longer(1, 2, 2)
    assert not spans.inside_longer(1, 2, 1)
    assert not spans.inside_longer(0, 2, 1)
