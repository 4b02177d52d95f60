"""The nodes a taxonomy is made of: ``Value`` (a category or an attribute value) and ``Facet`` (a tag group)."""

from __future__ import annotations

from dataclasses import dataclass

CATEGORY = "category"
PATH_SEPARATOR = " > "


@dataclass(frozen=True, slots=True)
class Value:
    """One taxonomy node: a category or an attribute value."""

    id: str
    name: str
    facet: str
    parent_id: str | None = None
    path: str | None = None
    synonyms: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # (language, label) pairs, e.g. ("zh-CN", "连衣裙")
    handle: str | None = None

    def label(self, language: str) -> str | None:
        return next((text for lang, text in self.labels if lang == language), None)


@dataclass(frozen=True, slots=True)
class Facet:
    """A tag group: the hierarchical category tree, or a flat set such as colour or material."""

    name: str
    title: str = ""
    description: str = ""
    hierarchical: bool = False
    multi_valued: bool = False
    required: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    categories: frozenset[str] | None = None
    """The category ids this facet applies to (a T-shirt has a sleeve length, a skillet does not); None: every
    category. Stored expanded: a subtree declared in a taxonomy file is listed node by node."""
