"""Where facets apply: the categories each flat facet is learned to apply to from labelled examples."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from tagllm.taxonomy import CATEGORY, Taxonomy

DEFAULT_SCOPE_SUPPORT = 3  # examples carrying a facet that a category needs before the facet is scoped to it
DEFAULT_SCOPE_SHARE = 0.3  # ... and the share of the category's attribute-labelled examples they must be
DEFAULT_EVERYWHERE_SHARE = 0.9  # a facet carried by this share of all attribute-labelled examples applies everywhere


def learn_scopes(
    taxonomy: Taxonomy,
    labels: Iterable[dict[str, list[str]]],
    *,
    min_support: int = DEFAULT_SCOPE_SUPPORT,
    min_share: float = DEFAULT_SCOPE_SHARE,
    everywhere_share: float = DEFAULT_EVERYWHERE_SHARE,
    earlier: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, frozenset[str] | None]:
    """The categories each flat facet applies to, learned from which categories' examples carry it.

    ``labels`` holds each example's labels ({facet: [value ids]}). Only examples with a category and at least one
    other facet's label count (a product with no attribute tag says nothing about which attributes apply). Going
    down the category tree from its roots, a facet takes a category's whole subtree as soon as at least
    ``min_support`` of the subtree's counted examples carry it and they are at least ``min_share`` of them; else
    it looks at the children. So a facet seen on most T-shirts applies to the T-shirt subtree, and one seen across
    Clothing applies to all of Clothing, its unlabelled leaves included. A facet carried by ``everywhere_share`` of
    all counted examples when they come from every root, or taking every root, applies everywhere (None); one too
    rare to pass anywhere applies to the categories its examples come from. Facets no example carries are left out of
    the result (their scope stays as it was). A facet ``earlier`` scopes (the taxonomy extended had learned it) keeps
    that scope, widened by the subtrees its examples here pass in: a small new batch (four mugs, all carrying
    material) made it apply everywhere, or only to the batch's categories, as if the examples it was learned from had
    not been.
    """
    for name, share in (("min_share", min_share), ("everywhere_share", everywhere_share)):
        if not 0 <= share <= 1:  # 30 meant as 30%: every facet was scoped to the leaves its examples came from
            raise ValueError(f"{name} is a share from 0 to 1 (0.3 for 30%), not {share}")
    hierarchical = [name for name, f in taxonomy.facets.items() if f.hierarchical]
    category = CATEGORY if CATEGORY in taxonomy.facets else (hierarchical[0] if hierarchical else None)
    if category is None:
        return {}
    total: Counter[str] = Counter()  # category node -> counted examples in its subtree
    carried: dict[str, Counter[str]] = defaultdict(Counter)  # facet -> node -> examples carrying it
    counted = 0
    for example in labels:
        leaves = [v for v in example.get(category, []) if v in taxonomy.values]
        facets = [f for f, ids in example.items() if f != category and ids and f in taxonomy.facets]
        if not leaves or not facets:
            continue
        counted += 1
        nodes = {a for leaf in leaves for a in taxonomy.lineage(leaf)}
        total.update(nodes)
        for f in facets:
            carried[f].update(nodes)
    roots = [v.id for v in taxonomy.children(None) if v.facet == category]
    # examples from every root: a facet carried by nearly all applies everywhere; from Apparel only, it said nothing
    # of Kitchen (an apparel export's 'Fabric' applied to mugs)
    spanning = all(total[r] for r in roots)
    out: dict[str, frozenset[str] | None] = {}
    for facet, counts in carried.items():
        if taxonomy.facets[facet].hierarchical:
            continue
        before = (earlier or {}).get(facet)
        carriers = sum(counts[r] for r in roots)
        if before is None and spanning and carriers >= everywhere_share * counted:
            out[facet] = None
            continue
        chosen: list[str] = []
        stack = [r for r in roots if counts[r]]
        while stack:
            node = stack.pop()
            if counts[node] >= min_support and counts[node] >= min_share * total[node]:
                chosen.append(node)
            else:
                stack.extend(c.id for c in taxonomy.children(node) if counts[c.id])
        if not chosen:  # too rare to pass anywhere: the categories its examples come from
            chosen = [n for n in counts if counts[n] and not any(counts[c.id] for c in taxonomy.children(n))]
        scope = frozenset(c for node in chosen for c in taxonomy.subtree(node)) | (before or frozenset())
        out[facet] = None if all(scope.issuperset(taxonomy.subtree(r)) for r in roots) else scope
    return out
