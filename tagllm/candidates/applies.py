"""Where an attribute facet applies: the weight of a facet for a product, from its category candidates.

Category first, then the facets of that category: a facet that does not apply to the product's chosen category (its
best category candidate) gets weight 0, so none of its values comes out; otherwise its weight is the share of the
likely categories' probability (candidates at least half as likely as the best) that falls on categories it applies
to (a T-shirt that may as well be a nightshirt keeps its sleeve length at the T-shirt's share). A value's
probability is its probability given that the facet applies, times that weight.
"""

from __future__ import annotations

import numpy as np

from tagllm.models import Candidate
from tagllm.taxonomy import Taxonomy

LIKELY_SHARE = 0.5  # the likely categories: candidates with at least this share of the best one's probability


def is_scoped(taxonomy: Taxonomy, facet: str) -> bool:
    """Whether the facet applies to some categories only (the others apply everywhere: weight 1)."""
    return not taxonomy.facets[facet].hierarchical and taxonomy.categories_of(facet) is not None


def facet_weights(taxonomy: Taxonomy, facet: str, categories: list[list[Candidate]]) -> np.ndarray:
    """Per product, the weight of ``facet`` given its ranked category candidates (no candidate: weight 0)."""
    scope = taxonomy.categories_of(facet)
    out = np.ones(len(categories))
    if scope is None:
        return out
    for i, candidates in enumerate(categories):
        if not candidates or candidates[0].id not in scope:
            out[i] = 0.0
            continue
        likely = [c for c in candidates if c.score >= LIKELY_SHARE * candidates[0].score]
        total = sum(c.score for c in likely)
        out[i] = sum(c.score for c in likely if c.id in scope) / total if total > 0 else 1.0
    return out
