"""Problems in a taxonomy's shape that load without error and that ``taxonomy check`` reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.taxonomy.model import Taxonomy


def taxonomy_problems(taxonomy: Taxonomy, *, synonyms: bool = True, labels: bool = True) -> list[str]:
    """Problems an analyst should fix: duplicate names under one parent, names with no letters or digits, which
    the mapper matches to nothing but their exact string (a parent cycle is refused when the taxonomy is built;
    the own format refuses all three), a flat facet whose values have parents; with ``synonyms`` the synonyms with
    no letters or digits and those that map nothing to their value (``synonym_clashes``), and with ``labels`` the
    other-language labels two values under one parent share (``label_clashes``): the own format loads these."""
    clashes = {later.id: earlier for earlier, later in taxonomy.name_clashes()}
    problems: list[str] = []
    for v in taxonomy.values.values():
        if not normalize(v.name):
            problems.append(
                f"value {v.id!r} has no letters or digits in its name {v.name!r}, so nothing but that exact "
                "string maps to it"
            )
        elif v.id in clashes:
            problems.append(
                f"facet {v.facet!r}: values {clashes[v.id].id!r} and {v.id!r} share the name {v.name!r} "
                "under the same parent; the mapper cannot tell them apart"
            )
    problems.extend(flat_facets_with_parents(taxonomy))
    if synonyms:
        problems.extend(empty_synonyms(taxonomy))
    for text, value, other in taxonomy.synonym_clashes() if synonyms else ():
        if normalize(other.name) == normalize(text):
            problems.append(
                f"facet {value.facet!r}: synonym {text!r} of {value.id!r} is the name of {other.id!r}, which the "
                f"mapper gives it: it maps nothing to {value.id!r}"
            )
        else:
            problems.append(
                f"facet {value.facet!r}: values {other.id!r} and {value.id!r} share the synonym {text!r} under the "
                "same parent; the mapper cannot tell which a product stating it means, and gives neither"
            )
    for language, label, earlier, later in taxonomy.label_clashes() if labels else ():
        problems.append(
            f"facet {later.facet!r}: values {earlier.id!r} and {later.id!r} share the {language} label {label!r} "
            "under the same parent; the mapper cannot tell them apart in that language"
        )
    return problems


def empty_synonyms(taxonomy: Taxonomy) -> list[str]:
    """Synonyms with no letters or digits ('', '  ', '-': an empty list item, a cell left blank in a synonym file):
    they name nothing a product states, and loaded without a word. Two such were reported as a synonym two values
    share, and one alone made an attribute label of no letters ("Color: -") in examples or gold read as its value."""
    return [
        f"facet {v.facet!r}: value {v.id!r} has the synonym {text!r}, with no letters or digits: it names nothing; "
        "remove it"
        for v in taxonomy.values.values()
        for text in dict.fromkeys(v.synonyms)
        if not normalize(text)
    ]


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
