"""Problems in a taxonomy's shape that load without error and that ``taxonomy check`` reports."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.taxonomy.model import Taxonomy
    from tagllm.taxonomy.nodes import Value


def taxonomy_problems(taxonomy: Taxonomy, *, synonyms: bool = True, labels: bool = True) -> list[str]:
    """Problems an analyst should fix: duplicate names under one parent, names with no letters or digits, which
    the mapper matches to nothing but their exact string (a parent cycle is refused when the taxonomy is built;
    the own format refuses all three), a flat facet whose values have parents; with ``synonyms`` the synonyms with
    no letters or digits and those that map nothing to their value (``synonym_clashes``), and with ``labels`` the
    other-language labels two values under one parent share (``label_clashes``): the own format loads these."""
    clashes = {later.id: earlier for earlier, later in name_clashes(taxonomy)}
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
    for text, value, other in synonym_clashes(taxonomy) if synonyms else ():
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
    for language, label, earlier, later in label_clashes(taxonomy) if labels else ():
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


def label_clashes(taxonomy: Taxonomy) -> list[tuple[str, str, Value, Value]]:
    """(language, label, the earlier value, the later one) for values of one facet under one parent whose labels
    in a language are equal as ``name_clashes`` compares names, and whose names are not: Shopify's zh-CN labels
    Racquetball and Squash both 壁球, Kickboxing and Taekwondo 跆拳道 (70 such pairs), which taxonomy check did
    not report. Two values whose names clash are reported as such, not again for their labels."""
    named = {later.id for _, later in name_clashes(taxonomy)}
    seen: dict[tuple[str, str | None, str, str], Value] = {}
    clashes: list[tuple[str, str, Value, Value]] = []
    for v in taxonomy.values.values():
        if v.id in named:
            continue
        for language, label in v.labels:
            if not label.strip():
                continue
            key = (v.facet, v.parent_id, language, _as_read(label))
            if key in seen and seen[key].id != v.id:
                clashes.append((language, label, seen[key], v))
            else:
                seen.setdefault(key, v)
    return clashes


def synonym_clashes(taxonomy: Taxonomy) -> list[tuple[str, Value, Value]]:
    """(synonym, its value, the other value) for each synonym of a value that another value of its facet under the
    same parent also has, or is named: 'dark blue' on Navy and on Ink was mapped to neither, and taxonomy check
    said nothing."""
    named: dict[tuple[str, str | None, str], Value] = {}
    for v in taxonomy.values.values():
        named.setdefault((v.facet, v.parent_id, normalize(v.name)), v)
    carried: dict[tuple[str, str | None, str], Value] = {}
    clashes: list[tuple[str, Value, Value]] = []
    for v in taxonomy.values.values():
        for text in dict.fromkeys(v.synonyms):
            if not normalize(text):  # names nothing, so clashes with nothing: reported as such by check
                continue
            key = (v.facet, v.parent_id, normalize(text))
            other = named.get(key) or carried.get(key)
            if other is not None and other.id != v.id:
                clashes.append((text, v, other))
            else:
                carried.setdefault(key, v)
    return clashes


def name_clashes(taxonomy: Taxonomy) -> list[tuple[Value, Value]]:
    """Values of one facet under one parent whose names are equal but for case, spacing and Unicode form (the
    earlier value, the later one): "Café" typed with its accent as a character of its own, or "Ｒｅｄ" in
    full-width letters, is the name beside it to a reader and to the mapper, which found it ambiguous. The
    mapper's exact stage tells "C" from "C#" and "C++", so those do not clash."""
    seen: dict[tuple[str, str | None, str], Value] = {}
    clashes: list[tuple[Value, Value]] = []
    for v in taxonomy.values.values():
        if not v.name.strip():
            continue
        key = (v.facet, v.parent_id, _as_read(v.name))
        if key in seen:
            clashes.append((seen[key], v))
        else:
            seen[key] = v
    return clashes


def _as_read(name: str) -> str:
    """A name as a reader and the mapper take it: case, spacing and Unicode form (full-width letters) folded."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
