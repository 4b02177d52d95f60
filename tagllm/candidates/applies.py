"""Where an attribute facet applies: the weight of a facet's value for a product, from its category candidates.

Category first, then the facets of that category: a value whose facet does not apply to the product's chosen
category (its best category candidate) gets weight 0, so it never comes out; otherwise its weight is the share of
the likely categories' probability (candidates at least half as likely as the best) that falls on categories it
applies to (a T-shirt that may as well be a nightshirt keeps its sleeve length at the T-shirt's share). A value's
probability is its probability given that the facet applies, times that weight.

A facet applies to the categories that list it and, value by value, to those that list a kind of it with a value of
the same name (``Taxonomy.value_scope``): Shopify's Cotton is a material of T-shirts through their fabric, Stainless
steel one of skillets through their cookware material, and Cotton is no material of a candle.

Where the best category lists no facet of a value's kind at all, a value the text states is weighed instead by the
share of all the category candidates' probability on categories it applies to (``uncertain_weights``): the category
chosen with no examples is often wrong ("Brand Women Purple Top" on Minerals).
"""

from __future__ import annotations

import numpy as np

from tagllm.candidates.stated.materials import is_material_facet
from tagllm.models import Candidate
from tagllm.taxonomy import Taxonomy

LIKELY_SHARE = 0.5  # the likely categories: candidates with at least this share of the best one's probability


def is_scoped(taxonomy: Taxonomy, facet: str) -> bool:
    """Whether the facet applies to some categories only (the others apply everywhere: weight 1)."""
    return not taxonomy.facets[facet].hierarchical and taxonomy.categories_of(facet) is not None


def facet_weights(taxonomy: Taxonomy, facet: str, categories: list[list[Candidate]]) -> np.ndarray:
    """Per product, the weight of ``facet`` given its ranked category candidates (no candidate: weight 0), by the
    categories that list the facet itself."""
    return scope_weights(taxonomy.categories_of(facet), categories)


def value_weights(
    taxonomy: Taxonomy, facet: str, ids: list[str], categories: list[list[Candidate]], rows: np.ndarray,
    values: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Per candidate (product ``rows[j]``, value ``ids[values[j]]``), the weight of the value given the product's
    ranked category candidates: values sharing a scope are weighed together, once per product."""
    out = np.ones(len(rows))
    scopes: dict[frozenset[str] | None, list[int]] = {}
    for position in np.unique(values).tolist():
        scopes.setdefault(taxonomy.value_scope(facet, ids[position]), []).append(position)
    for scope, positions in scopes.items():
        mask = np.isin(values, positions)
        out[mask] = scope_weights(scope, categories)[rows[mask]]
    return out


def scope_weights(scope: frozenset[str] | None, categories: list[list[Candidate]]) -> np.ndarray:
    """Per product, the share of its likely categories' probability that falls in ``scope`` (None: everywhere, 1),
    0 when its best category is outside it."""
    out = np.ones(len(categories))
    if scope is None:
        return out
    for i, candidates in enumerate(categories):
        out[i] = likely_share(scope, candidates) if candidates and candidates[0].id in scope else 0.0
    return out


def unlisted_weights(
    taxonomy: Taxonomy, facet: str, categories: list[list[Candidate]], rows: np.ndarray, outright: np.ndarray,
    given: np.ndarray, weights: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """``weights`` (per candidate: product ``rows[j]``) with the values the text states outright weighed so that
    their probability is ``outright`` (per candidate, 0 for the others; at most ``given``, their probability if the
    facet applies) where the product's best category lists no facet of this kind: "Men's Electric Shaver" is for men
    and "Camping Tent, Polyester" made of polyester whether or not the taxonomy lists an audience for shavers or a
    material for tents, and the category chosen with no examples is often wrong. Where the category lists the facet
    but not the value ("Unisex" where only Male and Female apply; Cotton for a candle), the scope stands."""
    unlisted = np.array([bool(c) and not taxonomy.applies(facet, c[0].id) for c in categories], dtype=bool)
    mask = (outright > 0) & unlisted[rows] & (given > 0)
    out = weights.copy()
    out[mask] = np.minimum(outright[mask] / given[mask], 1.0)
    return out


def beside_weights(
    taxonomy: Taxonomy, facet: str, ids: list[str], categories: list[list[Candidate]], rows: np.ndarray,
    values: np.ndarray, beside: np.ndarray, given: np.ndarray, weights: np.ndarray, unlisted: float = 1.0,
) -> np.ndarray:  # fmt: skip
    """``weights`` (per candidate: product ``rows[j]``, value ``ids[values[j]]``) with the values the text states
    weighed so that their probability is ``beside`` (per candidate, 0 for the others; at most ``given``) where the
    product's best category lists a facet of this kind but not the value, and a category near it (another of its
    grandparent's subtree) lists the value: Shopify lists a category's material under one kind of it, unevenly from
    one category to the next (a tote bag's bag material has no Jute, while other luggage and bag categories list it;
    no drinkware category lists Copper, other tableware does), so a value its neighbours take is the product's where
    the text states it; a value no neighbour takes stays out (Cotton for a candle). In a facet of materials the same
    holds where the best category lists no material at all, at most at ``unlisted`` (``_listed_beside``). A value the
    best category lists itself, which the share of its likely categories listing it weighs below ``beside`` ("Cashmere
    Blend Jumper" on sweaters, with likely categories beside that list no material), holds at ``beside`` too: the
    chosen category taking it says no less than a neighbour taking it."""
    out = weights.copy()
    seen: dict[tuple[str, str], bool] = {}  # (value, category) -> listed by it or beside it: a batch repeats them
    below = (beside > 0) & (given > 0) & (weights * given < np.minimum(beside, given))
    for j in np.flatnonzero(below).tolist():
        candidates = categories[rows[j]]
        if not candidates:
            continue
        pair = (ids[values[j]], candidates[0].id)
        if pair not in seen:
            seen[pair] = taxonomy.value_applies(*pair) or _listed_beside(taxonomy, facet, *pair)
        if seen[pair]:
            cap = 1.0 if taxonomy.applies(facet, candidates[0].id) else unlisted
            out[j] = max(out[j], min(min(beside[j], cap) / given[j], 1.0))
    return out


def _listed_beside(taxonomy: Taxonomy, facet: str, value_id: str, category_id: str) -> bool:
    """Whether ``category_id``, which does not list ``value_id`` (``beside_weights`` asks only then), lists a facet of
    ``facet``'s kind (in a facet of materials, or lists none: Shopify gives no material to sleeping bags, tents or
    saris, while their neighbours have one), and another category under its grandparent (its parent, at the top of
    the tree) lists the value: Shopify files a product's neighbours a level apart as often as side by side (mugs
    under drinkware, table knives beside it under tableware), and a category chosen with no examples is often a near
    miss. A colour or an audience the category lists no facet for is left to the text alone ("Red Velvet Cake Mix":
    no colour of the mix)."""
    parent = taxonomy.values[category_id].parent_id
    if parent is None:
        return False
    if not taxonomy.applies(facet, category_id) and not is_material_facet(facet):
        return False
    scope = taxonomy.value_scope(facet, value_id)
    above = taxonomy.values[parent].parent_id or parent  # the grandparent
    return scope is not None and any(c in scope for c in taxonomy.subtree(above) if c != category_id)


def likely_share(scope: frozenset[str], candidates: list[Candidate]) -> float:
    """The share of the likely categories' probability (candidates at least LIKELY_SHARE as likely as the best)
    that falls in ``scope``; 1 when they have no probability, 0 when there are none."""
    if not candidates:
        return 0.0
    share = scope_share(scope, candidates, LIKELY_SHARE)
    return 1.0 if share is None else share


def scope_share(scope: frozenset[str], candidates: list[Candidate], least: float = 0.0) -> float | None:
    """The share of the probability of the category candidates at least ``least`` as likely as the best (0: all of
    them) that falls in ``scope``; None when they have no probability."""
    kept = [c for c in candidates if c.score >= least * candidates[0].score] if candidates else []
    total = sum(c.score for c in kept)
    return sum(c.score for c in kept if c.id in scope) / total if total > 0 else None


def uncertain_weights(
    taxonomy: Taxonomy, facet: str, ids: list[str], categories: list[list[Candidate]], rows: np.ndarray,
    values: np.ndarray, stated: np.ndarray, weights: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """``weights`` (per candidate: product ``rows[j]``, value ``ids[values[j]]``) with each value the text states
    (``stated`` > 0) weighed at least by the share of all the product's category candidates' probability that falls
    in the value's scope, where its best category lists no facet of this kind: the category chosen with no examples
    is often wrong ("Mineral Women Purple Top" on Minerals, "Fossil Men Brown Wallet" on Fossils), and the
    candidates below it that carry the facet say how likely the stated value is the product's. Where most of the
    candidates' probability carries no such facet the share keeps the value under the backend's keep probability.
    A category that lists the facet without the value keeps its scope (Cotton for a candle)."""
    out = weights.copy()
    for j in np.flatnonzero(stated > 0).tolist():
        candidates = categories[rows[j]]
        if not candidates or taxonomy.applies(facet, candidates[0].id):
            continue
        scope = taxonomy.value_scope(facet, ids[values[j]])
        share = scope_share(scope, candidates) if scope is not None else None
        if share is not None:
            out[j] = max(out[j], share)
    return out
