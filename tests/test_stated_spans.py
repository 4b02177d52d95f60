"""The cover lookup that the stated-value finder and the mention evidence share: a mention inside a longer mention
of another value is left out."""

import random
from pathlib import Path

import pytest

from tagllm.phrases import Spans
from tagllm.taxonomy import Facet, Taxonomy
from tagllm.testing import category_values, hashing_embedder


def covered_by_brute_force(spans: set[tuple[int, int, int]], start: int, end: int, pos: int) -> bool:
    return any(s <= start and end <= e and (e - s) > (end - start) and p != pos for s, e, p in spans)


def test_lookup_by_start_agrees_with_comparing_every_pair():
    rng = random.Random(0)
    for _ in range(2000):
        spans = set()
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 15)
            spans.add((start, start + rng.randint(1, 4), rng.randint(0, 4)))
        lookup = Spans(spans)
        for start, end, pos in spans:
            assert lookup.inside_longer(start, end, pos) == covered_by_brute_force(spans, start, end, pos)


def test_a_shorter_mention_of_the_same_value_is_not_a_cover():
    spans = Spans([(0, 2, 1), (1, 2, 1), (1, 2, 2)])  # "navy blue": blue (value 2) inside navy blue (value 1)
    assert spans.inside_longer(1, 2, 2)
    assert not spans.inside_longer(1, 2, 1)
    assert not spans.inside_longer(0, 2, 1)


def test_outermost_keeps_the_values_named_once_outside_every_longer_name():
    # "ngk spark plugs and drain plugs": plugs (2) inside spark plugs (1), and alone at 4-5
    assert Spans([(1, 3, 1), (2, 3, 2)]).outermost() == {1}
    assert Spans([(1, 3, 1), (2, 3, 2), (4, 5, 2)]).outermost() == {1, 2}


@pytest.fixture
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


@pytest.mark.usefixtures("_cache_dir")
def test_a_category_named_only_inside_a_longer_category_name_is_no_mention():
    from tagllm.retrieval.labels import LabelSpace
    from tagllm.retrieval.lexical import LexicalModel

    tree = [
        ("hw", "Hardware", None),
        ("plugs", "Plugs", "hw"),
        ("car", "Vehicle Parts", None),
        ("spark", "Spark Plugs", "car"),
    ]
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    taxonomy = Taxonomy("t", facets, {v.id: v for v in category_values(tree)})
    space = LabelSpace(taxonomy, "category", hashing_embedder(), LexicalModel())
    assert space.mentions("ngk spark plugs for ford") == {"plugs", "spark"}  # every name the text holds
    assert space.named("ngk spark plugs for ford") == {"spark"}
    assert space.named("spark plugs and sink plugs") == {"spark", "plugs"}
    assert space.named("vehicle parts spark plugs") == {"car", "spark"}  # an ancestor named apart counts
