"""A small shop's tree written for a test, tagged with no examples, and the (loser, winner) pairs the head's rules make
for a title: what the zero-example rule tests (``test_zero_shades``, ``test_zero_complements``) share."""

from __future__ import annotations

import textwrap

import pytest

from tagllm import Tagger
from tagllm.config import TaggerConfig
from tagllm.taxonomy import CATEGORY, load_taxonomy


def shop_tagger(tmp_path_factory: pytest.TempPathFactory, embedder, shop: str, name: str) -> Tagger:  # type: ignore[no-untyped-def]
    """A category-only tagger with no examples over the tree ``shop`` (YAML), written as ``name``.yaml."""
    path = tmp_path_factory.mktemp(name) / f"{name}.yaml"
    path.write_text(textwrap.dedent(shop))
    return Tagger(load_taxonomy(path), embedder=embedder, config=TaggerConfig(facets=[CATEGORY]))


def beaten(tagger: Tagger, title: str) -> set[tuple[str, str]]:
    """The (loser, winner) value ids the head's rules pair for ``title``."""
    scorer = tagger.scorer
    batch = scorer.prepare([title], tagger.embedder.encode([title]))
    features = scorer.features(batch, CATEGORY)
    losers, winners = batch.outranked[CATEGORY]
    ids, size = features.ids, len(features.ids)
    return {(ids[loser % size], ids[winner % size]) for loser, winner in zip(losers, winners, strict=True)}
