"""With no examples: another name written closed from a category's two-word name is read as those two words
(WordNet's "watchband", for a "Watch Strap", is "Watch Bands")."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tagllm import Tagger
from tagllm.candidates.features import COLUMN
from tagllm.candidates.synonyms import synonyms
from tagllm.config import TaggerConfig
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy

# A small shop's tree, written for these tests.
SHOP = """
name: test-hypernyms
facets:
  - name: category
    hierarchical: true
    values:
      - id: apparel
        name: Apparel
        children:
          - {id: dresses, name: Dresses}
          - id: jewelry
            name: Jewelry
            children:
              - {id: watch-bands, name: Watch Bands}
              - {id: watches, name: Watches}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    path: Path = tmp_path_factory.mktemp("hypernyms") / "shop.yaml"
    path.write_text(textwrap.dedent(SHOP))
    return load_taxonomy(path)


def test_another_name_written_closed_is_read_as_the_category_s_two_words(shop: Taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    # "Watch Strap" closes to WordNet's watchstrap, whose other name "watchband" no name heads as one word
    assert "watchband" in synonyms()["watchstrap"]
    tagger = Tagger(shop, embedder=embedder, config=TaggerConfig(facets=[CATEGORY]))
    title = "Replacement Watch Strap 20mm Quick Release"
    scorer = tagger.scorer
    features = scorer.features(scorer.prepare([title], tagger.embedder.encode([title])), CATEGORY)
    head = {features.ids[v]: float(h) for v, h in zip(features.values, features.matrix[:, COLUMN["head"]], strict=True)}
    assert head["watch-bands"] == 1.0  # before: no head score
    assert head.get("watches", 0.0) < 0.5
