"""Problems in a taxonomy's shape that load without error and that ``taxonomy check`` reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tagllm.taxonomy.model import Taxonomy


def flat_facets_with_parents(taxonomy: Taxonomy) -> list[str]:
    """Facets nested like a tree without ``hierarchical: true``: their tree is not read (a child's tag brings no
    parent and no path), and such a file loaded with 0 problems."""
    problems = []
    for name, facet in taxonomy.facets.items():
        children = [v for v in taxonomy.facet_values(name) if v.parent_id is not None]
        if children and not facet.hierarchical:
            problems.append(
                f"facet {name!r} is not hierarchical, yet {len(children)} of its values have a parent (first: "
                f"{children[0].id!r} under {children[0].parent_id!r}): a product tagged with one is not tagged "
                "with its parent; add hierarchical: true to the facet, or list its values flat"
            )
    return problems
