"""With no examples: the best category's confidence where the tree offers it no rival. The answer's confidence is
calibrated on the best's share of the probability of it and its rivals (``zero.AnswerCalibration``); on a tree of one
branch there is no rival, and that share was 1 whatever the title said."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from tagllm import Tagger
from tagllm.candidates.zero import SHARE_CLIP, answer_share
from tagllm.config import TaggerConfig
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy

# A shop selling shirts alone, written for these tests: one branch, one category under it.
SHIRTS = """
name: test-shirts
facets:
  - name: category
    hierarchical: true
    values:
      - id: apparel
        name: Apparel
        children:
          - id: clothing
            name: Clothing
            children:
              - {id: shirts, name: Shirts}
"""


@pytest.fixture(scope="module")
def shirts(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    path: Path = tmp_path_factory.mktemp("shirts") / "shirts.yaml"
    path.write_text(textwrap.dedent(SHIRTS))
    return load_taxonomy(path)


def answer(taxonomy: Taxonomy, embedder, titles: list[str]) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    tagger = Tagger(taxonomy, embedder=embedder, config=TaggerConfig(facets=[CATEGORY]))
    results = tagger.tag([{"id": str(i), "title": t} for i, t in enumerate(titles)])
    best = [r.best(CATEGORY) for r in results]
    assert all(b is not None for b in best)
    return [(b.id, b.confidence) for b in best if b is not None]


def test_a_product_of_another_kind_is_no_sure_answer_on_a_tree_of_one_branch(shirts: Taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    # every title gets the one category there is; only the shirt's is likely right
    others = ["Stainless Steel Electric Kettle 1.7L", "Wireless Gaming Mouse", "Garden Hose 30m", "2 Slice Toaster"]
    answers = answer(shirts, embedder, ["Men's Cotton Oxford Shirt, Blue", *others])
    assert {category for category, _ in answers} == {"shirts"}
    shirt, *wrong = (confidence for _, confidence in answers)
    assert all(confidence < 0.5 for confidence in wrong)  # before: 1.00 each
    assert shirt > 0.6 and shirt > max(wrong) + 0.2


def test_a_best_with_no_rival_has_its_own_probability_as_its_share() -> None:
    best, total = np.array([0.3, 0.3, 0.0, 0.8]), np.array([0.3, 0.6, 0.0, 2.0])
    shares = answer_share(best, total)
    assert np.allclose(shares, [0.3, 0.5, SHARE_CLIP, 0.4])  # alone: its probability; else its share of the sum


# A shop selling two kitchen appliances, written for these tests: each has one weak rival, the other.
KITCHEN = """
name: test-kitchen
facets:
  - name: category
    hierarchical: true
    values:
      - id: kitchen
        name: Kitchen Appliances
        children:
          - {id: kettles, name: Kettles}
          - {id: toasters, name: Toasters}
"""


def test_a_product_whose_kind_the_tree_lacks_is_no_sure_answer_beside_one_weak_rival(
    tmp_path: Path,
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    # the best's share of it and its one rival reads as a product with a place in the tree; how fully the title's
    # head noun names the best (the answer calibration's evidence) says a mouse or a shirt is less likely a kettle
    # or a toaster than the share alone says
    path = tmp_path / "kitchen.yaml"
    path.write_text(textwrap.dedent(KITCHEN))
    kitchen = load_taxonomy(path)
    titles = ["Stainless Steel Electric Kettle 1.7L", "4 Slice Toaster, Brushed Steel"]
    others = ["Wireless Gaming Mouse", "Men's Cotton Oxford Shirt, Blue", "Garden Hose 30m"]
    answers = answer(kitchen, embedder, [*titles, *others])
    assert [category for category, _ in answers[:2]] == ["kettles", "toasters"]
    right = [confidence for _, confidence in answers[:2]]
    wrong = [confidence for _, confidence in answers[2:]]
    # before (share alone): the mouse Kettles at 0.74, the shirt Toasters at 0.59, the hose 0.68; now 0.61, 0.44, 0.53
    assert all(confidence < 0.65 for confidence in wrong)
    assert min(right) > 0.9 and min(right) > max(wrong) + 0.3
