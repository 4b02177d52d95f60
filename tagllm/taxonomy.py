"""The controlled taxonomy: facets, values with stable ids, hierarchy, synonyms, other-language labels; loaders."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tagllm.errors import TaxonomyError
from tagllm.text import normalize

CATEGORY = "category"
PATH_SEPARATOR = " > "
REPO_TAXONOMY_DIR = Path(__file__).resolve().parents[1] / "taxonomy"
MIN_KIND_VALUES = 3  # a facet with fewer values than this is not told to be a kind of another by its values alone
_FACET_WORD = re.compile(r"[^a-z0-9]+")


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


@dataclass
class Taxonomy:
    """Facets and their values, indexed by id, with hierarchy helpers and a content version hash."""

    name: str
    facets: dict[str, Facet]
    values: dict[str, Value]
    source: str = ""
    languages: tuple[str, ...] = ("en",)
    _children: dict[str | None, list[str]] = field(default_factory=dict, repr=False)
    _by_facet: dict[str, list[Value]] = field(default_factory=dict, repr=False)
    _version: str | None = field(default=None, repr=False)
    _lineages: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _value_scopes: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict, repr=False)
    _value_names: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for value in self.values.values():
            if value.facet not in self.facets:
                raise TaxonomyError(
                    f"taxonomy {self.name!r}: value {value.id!r} names facet {value.facet!r}, "
                    f"which is not declared (facets: {', '.join(self.facets)})"
                )
            self._by_facet.setdefault(value.facet, []).append(value)
            self._children.setdefault(value.parent_id, []).append(value.id)
        for value in self.values.values():
            if value.parent_id is not None and value.parent_id not in self.values:
                raise TaxonomyError(
                    f"taxonomy {self.name!r}: value {value.id!r} has parent {value.parent_id!r}, which does not exist"
                )

    # -- lookups -----------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.values)

    def __contains__(self, value_id: object) -> bool:
        return value_id in self.values

    def __getitem__(self, value_id: str) -> Value:
        try:
            return self.values[value_id]
        except KeyError:
            raise TaxonomyError(f"taxonomy {self.name!r} has no value with id {value_id!r}") from None

    def facet_values(self, facet: str) -> list[Value]:
        if facet not in self.facets:
            raise TaxonomyError(
                f"taxonomy {self.name!r} has no facet {facet!r}; its facets are: {', '.join(self.facets)}"
            )
        return self._by_facet.get(facet, [])

    def children(self, value_id: str | None) -> list[Value]:
        return [self.values[c] for c in self._children.get(value_id, [])]

    def ancestors(self, value_id: str) -> list[Value]:
        """Ancestors from the root down, not including the value itself."""
        out: list[Value] = []
        parent = self.values[value_id].parent_id
        while parent is not None:
            out.append(self.values[parent])
            parent = self.values[parent].parent_id
        return out[::-1]

    def lineage(self, value_id: str) -> list[str]:
        """Ids from the root down to and including ``value_id``: the ancestor-closed set hierarchical metrics use.

        Cached: candidate scoring asks for it tens of times per product. Treat the list as read-only.
        """
        cached = self._lineages.get(value_id)
        if cached is None:
            cached = self._lineages[value_id] = [v.id for v in self.ancestors(value_id)] + [value_id]
        return cached

    def is_leaf(self, value_id: str) -> bool:
        return not self._children.get(value_id)

    def path_of(self, value_id: str) -> str:
        value = self.values[value_id]
        return value.path or value.name

    # -- which facets apply where --------------------------------------------------------------------------------
    def applies(self, facet: str, category_id: str | None) -> bool:
        """Whether ``facet`` applies to products of category ``category_id`` (None: the category is unknown, and
        only facets that apply everywhere do): listed for the category, or one of its kinds is (``kinds_of``)."""
        scope = self.facets[facet].categories
        if scope is None or category_id in scope:
            return True
        return category_id is not None and any(
            category_id in (self.facets[k].categories or ()) for k in self.kinds_of(facet)
        )

    def value_applies(self, value_id: str, category_id: str | None) -> bool:
        """Whether a value of a flat facet applies to products of ``category_id`` (``value_scope``)."""
        scope = self.value_scope(self.values[value_id].facet, value_id)
        return scope is None or (category_id is not None and category_id in scope)

    def kinds_of(self, facet: str) -> list[str]:
        """The flat facets that are kinds of ``facet``, where ``facet`` applies to some categories only, and that
        name some value of it: those named as one ('cookware-bakeware-material', 'blade_material' are kinds of
        material) and those whose values (three or more) all name values of ``facet`` ('fabric': every fabric is a
        material).

        Shopify lists a category's material under the kind that fits it (a skillet has a cookware material, a
        T-shirt a fabric, a candle a candle material), so its generic ``material`` is listed on few of the
        categories that have one; a user asking for material means the material those kinds name."""
        return list(self._kind_scopes(facet))

    def value_scope(self, facet: str, value_id: str) -> frozenset[str] | None:
        """The categories a value of a flat facet applies to (None: every category): the facet's own, plus those of
        each kind of it that has a value of the same name (Cotton is a material of T-shirts, whose fabric can be
        Cotton; not of candles, whose candle material is a wax)."""
        own = self.facets[facet].categories
        if own is None:
            return None
        return self._value_scope_table(facet).get(value_id, own)

    def _kind_scopes(self, facet: str) -> dict[str, frozenset[str]]:
        """Each kind of ``facet`` with the names (normalised) of its values that name values of ``facet``."""
        own = self.facets[facet]
        if own.hierarchical or own.categories is None:
            return {}
        names = self._names_of(facet)
        words = _facet_words(facet)
        out: dict[str, frozenset[str]] = {}
        for name, f in self.facets.items():
            if name == facet or f.hierarchical or f.categories is None:
                continue
            theirs = self._names_of(name)
            named = _facet_words(name)
            is_named_kind = len(named) > len(words) and named[-len(words) :] == words
            if (is_named_kind or (len(theirs) >= MIN_KIND_VALUES and theirs <= names)) and theirs & names:
                out[name] = frozenset(theirs & names)
        return out

    def _names_of(self, facet: str) -> frozenset[str]:
        """The normalised names of a facet's values, placeholders ("Other") left out: they name nothing."""
        if facet not in self._value_names:
            from tagllm.attributes import is_placeholder  # tagllm.attributes imports this module

            self._value_names[facet] = frozenset(
                normalize(v.name) for v in self.facet_values(facet) if not is_placeholder(v.name)
            )
        return self._value_names[facet]

    def _value_scope_table(self, facet: str) -> dict[str, frozenset[str]]:
        """Value id -> its scope, for the values whose facet's kinds widen it (cached per facet; values of the same
        name share one frozenset)."""
        if facet not in self._value_scopes:
            own = self.facets[facet].categories or frozenset()
            by_name: dict[str, set[str]] = {}
            for kind, shared in self._kind_scopes(facet).items():
                for name in shared:
                    by_name.setdefault(name, set(own)).update(self.facets[kind].categories or ())
            scopes = {name: frozenset(ids) for name, ids in by_name.items()}
            self._value_scopes[facet] = {
                v.id: scopes[key] for v in self.facet_values(facet) if (key := normalize(v.name)) in scopes
            }
        return self._value_scopes[facet]

    def facets_for(self, category_id: str | None) -> list[str]:
        """The non-category facets that apply to a category, in the taxonomy's order."""
        return [name for name, f in self.facets.items() if not f.hierarchical and self.applies(name, category_id)]

    def categories_of(self, facet: str) -> frozenset[str] | None:
        """The category ids ``facet`` applies to, or None when it applies to every category."""
        return self.facets[facet].categories

    def with_scopes(self, scopes: dict[str, Iterable[str] | None]) -> Taxonomy:
        """A new taxonomy where each facet named in ``scopes`` applies to those category ids (None: everywhere).

        Loaded taxonomies are cached and shared, so this never changes ``self``."""
        facets = dict(self.facets)
        for name, ids in scopes.items():
            if name not in facets:
                raise TaxonomyError(f"taxonomy {self.name!r} has no facet {name!r} to scope")
            scope = None if ids is None else frozenset(ids)
            unknown = sorted(scope - self.values.keys()) if scope is not None else []
            if unknown:
                missing = ", ".join(unknown[:5])
                raise TaxonomyError(f"facet {name!r} is scoped to categories that do not exist: {missing}")
            facets[name] = replace(facets[name], categories=scope)
        return Taxonomy(self.name, facets, dict(self.values), source=self.source, languages=self.languages)

    def scope_roots(self, facet: str) -> list[str] | None:
        """The categories whose subtrees make up where ``facet`` applies, top-most first; None: everywhere.

        A category in the scope whose subtree is not wholly in it (Shopify lists attributes per category) is
        listed too, so every category of the scope is a root or below one."""
        scope = self.facets[facet].categories
        if scope is None:
            return None
        closed: dict[str, bool] = {}

        def whole(vid: str) -> bool:
            if vid not in closed:
                closed[vid] = vid in scope and all(whole(c) for c in self._children.get(vid, []))
            return closed[vid]

        ordered = sorted(scope, key=lambda v: (len(self.lineage(v)), self.path_of(v)))
        return [v for v in ordered if (parent := self.values[v].parent_id) is None or not whole(parent)]

    def is_subtree_scope(self, facet: str) -> bool:
        """Whether ``facet``'s scope is a union of whole subtrees (what the own format's ``applies_to`` says)."""
        roots = self.scope_roots(facet)
        scope = self.facets[facet].categories
        return roots is None or scope == {c for r in roots for c in self.subtree(r)}

    def subtree(self, value_id: str) -> list[str]:
        """``value_id`` and all its descendants."""
        out, stack = [], [value_id]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self._children.get(current, []))
        return out

    # -- identity ----------------------------------------------------------------------------------------------
    @property
    def version(self) -> str:
        """A hash of the content (facets, ids, names, parents, synonyms, labels): results and indexes carry it."""
        if self._version is None:
            digest = hashlib.sha256()
            for facet in sorted(self.facets.values(), key=lambda f: f.name):
                digest.update(repr((facet.name, facet.hierarchical, facet.multi_valued)).encode())
                if facet.categories is not None:
                    digest.update(repr(sorted(facet.categories)).encode())
            for vid in sorted(self.values):
                v = self.values[vid]
                digest.update(repr((v.id, v.facet, v.name, v.parent_id, v.synonyms, v.labels)).encode())
            self._version = digest.hexdigest()[:16]
        return self._version

    def stats(self) -> dict[str, Any]:
        per_facet = {}
        for name, facet in self.facets.items():
            values = self._by_facet.get(name, [])
            entry: dict[str, Any] = {"values": len(values), "hierarchical": facet.hierarchical}
            if not facet.hierarchical:
                entry["applies_to"] = "all" if facet.categories is None else len(facet.categories)
            if facet.hierarchical and values:
                depths = [len(self.ancestors(v.id)) + 1 for v in values]
                entry["max_depth"] = max(depths)
                entry["leaves"] = sum(1 for v in values if self.is_leaf(v.id))
            entry["with_synonyms"] = sum(1 for v in values if v.synonyms)
            for lang in self.languages:
                if lang != "en":
                    entry[f"labels_{lang}"] = sum(1 for v in values if v.label(lang))
            per_facet[name] = entry
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "languages": list(self.languages),
            "facets": len(self.facets),
            "values": len(self.values),
            "per_facet": per_facet,
        }

    def check(self) -> list[str]:
        """Problems an analyst should fix: duplicate names under one parent, empty names, cycles."""
        problems: list[str] = []
        seen: dict[tuple[str, str | None, str], str] = {}
        for v in self.values.values():
            if not v.name.strip():
                problems.append(f"value {v.id!r} has an empty name")
                continue
            # the mapper's exact stage tells "C" from "C#" and "C++": only names equal but for case and spacing clash
            key = (v.facet, v.parent_id, " ".join(v.name.casefold().split()))
            if key in seen:
                problems.append(
                    f"facet {v.facet!r}: values {seen[key]!r} and {v.id!r} share the name {v.name!r} "
                    "under the same parent; the mapper cannot tell them apart"
                )
            else:
                seen[key] = v.id
        for v in self.values.values():
            hops, parent = 0, v.parent_id
            while parent is not None and hops <= len(self.values):
                parent, hops = self.values[parent].parent_id, hops + 1
            if parent is not None:
                problems.append(f"value {v.id!r} is part of a parent cycle")
        return problems


# -- the project's own format -------------------------------------------------------------------------------------
class _ValueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    synonyms: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    parent: str | None = None
    children: list[_ValueSpec] = Field(default_factory=list)


class _FacetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    title: str = ""
    description: str = ""
    hierarchical: bool = False
    multi_valued: bool = False
    required: bool = False
    labels: dict[str, str] = Field(default_factory=dict)
    applies_to: list[str] | None = Field(
        None, description="category ids whose subtrees this facet applies to (default: every category)"
    )
    values: list[_ValueSpec]


class _TaxonomySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    languages: list[str] = Field(default_factory=lambda: ["en"])
    synonym_files: list[str] = Field(default_factory=list)
    facets: list[_FacetSpec]


def _from_spec(spec: _TaxonomySpec, base_dir: Path, source: str) -> Taxonomy:
    facets: dict[str, Facet] = {}
    values: dict[str, Value] = {}

    def add(facet: _FacetSpec, item: _ValueSpec, parent: str | None, parent_path: str | None) -> None:
        if item.id in values:
            raise TaxonomyError(f"{source}: value id {item.id!r} appears twice; ids must be unique")
        parent = item.parent or parent
        if parent is not None and parent_path is None and parent in values:
            parent_path = values[parent].path
        path = f"{parent_path}{PATH_SEPARATOR}{item.name}" if parent_path else item.name
        values[item.id] = Value(
            id=item.id,
            name=item.name,
            facet=facet.name,
            parent_id=parent,
            path=path if facet.hierarchical else None,
            synonyms=tuple(item.synonyms),
            labels=tuple(sorted(item.labels.items())),
        )
        for child in item.children:
            add(facet, child, item.id, path)

    for f in spec.facets:
        if f.name in facets:
            raise TaxonomyError(f"{source}: facet {f.name!r} is declared twice")
        facets[f.name] = Facet(
            name=f.name,
            title=f.title or f.name,
            description=f.description,
            hierarchical=f.hierarchical,
            multi_valued=f.multi_valued,
            required=f.required,
            labels=tuple(sorted(f.labels.items())),
        )
        for item in f.values:
            add(f, item, None, None)
    taxonomy = Taxonomy(spec.name, facets, values, source=source, languages=tuple(spec.languages))
    scopes: dict[str, Iterable[str] | None] = {}
    for f in spec.facets:
        if f.applies_to is None:
            continue
        unknown = [c for c in f.applies_to if c not in values or not facets[values[c].facet].hierarchical]
        if unknown:
            raise TaxonomyError(
                f"{source}: facet {f.name!r} applies_to {', '.join(map(repr, unknown))}: not category ids of this "
                "taxonomy (applies_to lists the ids of the categories whose subtrees the facet applies to)"
            )
        scopes[f.name] = {c for root in f.applies_to for c in taxonomy.subtree(root)}
    if scopes:
        taxonomy = taxonomy.with_scopes(scopes)
    for name in spec.synonym_files:
        taxonomy = add_synonyms(taxonomy, load_synonyms(base_dir / name))
    return taxonomy


def load_own(path: Path) -> Taxonomy:
    """Load the project's YAML/JSON taxonomy format (see ``taxonomy/demo.yaml``)."""
    data = _read_structured(path)
    try:
        spec = _TaxonomySpec.model_validate(data)
    except ValidationError as exc:
        raise TaxonomyError(f"{path}: not a valid taxonomy file:\n{_pydantic_message(exc)}") from None
    return _from_spec(spec, path.parent, str(path))


def to_own_format(taxonomy: Taxonomy, *, description: str = "") -> dict[str, Any]:
    """The taxonomy as the project's own format (what ``load_own`` reads back to the same version hash).

    Hierarchies are written nested; a facet's scope becomes ``applies_to``, which names whole subtrees, so a scope
    that is not a union of subtrees (Shopify lists attributes per category) cannot be written and is an error.
    """

    def spec(v: Value) -> dict[str, Any]:
        out: dict[str, Any] = {"id": v.id, "name": v.name}
        if v.synonyms:
            out["synonyms"] = list(v.synonyms)
        if v.labels:
            out["labels"] = dict(v.labels)
        children = [c for c in taxonomy.children(v.id) if c.facet == v.facet]
        if children:
            out["children"] = [spec(c) for c in children]
        return out

    facets = []
    for name, f in taxonomy.facets.items():
        entry: dict[str, Any] = {"name": name}
        if f.title and f.title != name:
            entry["title"] = f.title
        if f.description:
            entry["description"] = f.description
        for flag in ("hierarchical", "multi_valued", "required"):
            if getattr(f, flag):
                entry[flag] = True
        if f.labels:
            entry["labels"] = dict(f.labels)
        if f.categories is not None:
            if not taxonomy.is_subtree_scope(name):
                raise TaxonomyError(
                    f"facet {name!r} applies to categories that are not whole subtrees; the own format's applies_to "
                    "cannot say that"
                )
            entry["applies_to"] = taxonomy.scope_roots(name)
        entry["values"] = [spec(v) for v in taxonomy.facet_values(name) if v.parent_id is None]
        facets.append(entry)
    out: dict[str, Any] = {"name": taxonomy.name}
    if description:
        out["description"] = description
    out["languages"] = list(taxonomy.languages)
    out["facets"] = facets
    return out


def save_own(taxonomy: Taxonomy, path: str | Path, *, description: str = "", header: str = "") -> Path:
    """Write ``taxonomy`` in the project's YAML (or, for a ``.json`` path, JSON) format; ``header``: a comment."""
    import yaml

    target = Path(path)
    data = to_own_format(taxonomy, description=description)
    if target.suffix == ".json":
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    else:
        comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
        # flow style for the innermost lists and mappings: one line per leaf value, as a person writes it
        text = comment + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
    target.write_text(text, encoding="utf-8")
    return target


def load_synonyms(path: Path) -> dict[str, list[str]]:
    """An analyst's synonym file: a mapping of value id (or exact name) to a list of synonyms."""
    data = _read_structured(path)
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise TaxonomyError(f"{path}: a synonym file maps a value id or name to a list of synonyms")
    return {str(k): [str(s) for s in v] for k, v in data.items()}


def add_synonyms(taxonomy: Taxonomy, synonyms: dict[str, list[str]]) -> Taxonomy:
    """A new taxonomy with synonyms (keyed by value id, path or name) added; unknown keys are an error.

    The input is left as it was: loaded taxonomies are cached and shared, so they are never changed in place.
    """
    by_name: dict[str, list[str]] = {}
    for v in taxonomy.values.values():
        by_name.setdefault(normalize(v.name), []).append(v.id)
        if v.path:
            by_name.setdefault(normalize(v.path), []).append(v.id)
    values = dict(taxonomy.values)
    for key, words in synonyms.items():
        ids = [key] if key in values else by_name.get(normalize(key), [])
        if len(ids) != 1:
            what = "no value" if not ids else f"{len(ids)} values ({', '.join(ids[:5])})"
            raise TaxonomyError(f"synonyms for {key!r}: it matches {what}; key synonyms by value id")
        old = values[ids[0]]
        merged = tuple(dict.fromkeys(old.synonyms + tuple(words)))
        values[ids[0]] = Value(old.id, old.name, old.facet, old.parent_id, old.path, merged, old.labels, old.handle)
    return Taxonomy(taxonomy.name, dict(taxonomy.facets), values, source=taxonomy.source, languages=taxonomy.languages)


# -- plain path lists (Flipkart / OpenBG categories.jsonl, or a text file of "A > B > C") -------------------------
def from_paths(
    paths: Iterable[str | dict[str, Any]], *, name: str = "paths", source: str = "", separator: str = ">"
) -> Taxonomy:
    """A one-facet hierarchical taxonomy from category paths; intermediate nodes are created as needed.

    Items may be strings or dicts with ``path`` and optionally ``id``. Nodes without an id get the path itself
    as id, which is stable across runs and readable in results.
    """
    values: dict[str, Value] = {}
    by_path: dict[str, str] = {}
    for item in paths:
        raw = item if isinstance(item, str) else str(item.get("path") or "")
        given_id = None if isinstance(item, str) else item.get("id")
        parts = [p.strip() for p in raw.split(separator) if p.strip()]
        parent: str | None = None
        for depth, part in enumerate(parts):
            path = PATH_SEPARATOR.join(parts[: depth + 1])
            is_last = depth == len(parts) - 1
            if path in by_path:
                if is_last and given_id and by_path[path] != given_id:
                    raise TaxonomyError(f"{source or name}: path {path!r} has two ids")
                parent = by_path[path]
                continue
            vid = str(given_id) if (is_last and given_id) else path
            if vid in values:
                raise TaxonomyError(f"{source or name}: id {vid!r} appears twice")
            values[vid] = Value(id=vid, name=part, facet=CATEGORY, parent_id=parent, path=path)
            by_path[path] = vid
            parent = vid
    if not values:
        raise TaxonomyError(f"{source or name}: no category paths found")
    facet = Facet(CATEGORY, title="Category", hierarchical=True, required=True)
    languages = ("zh-CN",) if any(_is_cjk_text(v.name) for v in list(values.values())[:50]) else ("en",)
    return Taxonomy(name, {CATEGORY: facet}, values, source=source, languages=languages)


def _is_cjk_text(text: str) -> bool:
    from tagllm.text import has_cjk

    return has_cjk(text)


def load_paths(path: Path) -> Taxonomy:
    """Load a list of category paths: JSONL with a ``path`` field (and ``id``), or text with one path per line."""
    if path.suffix == ".jsonl":
        items: list[str | dict[str, Any]] = list(_read_jsonl(path))
        for lineno, item in enumerate(items, 1):
            if not isinstance(item, dict) or not item.get("path"):
                raise TaxonomyError(f"{path}:{lineno}: a category line needs a 'path' field like \"A > B > C\"")
    else:
        items = [line.strip() for line in _read_text(path).splitlines() if line.strip() and not line.startswith("#")]
    name = path.parent.name if path.stem == "categories" else path.stem
    return from_paths(items, name=name, source=str(path))


# -- Google product taxonomy ---------------------------------------------------------------------------------------
_GOOGLE_LINE = re.compile(r"^\s*(\d+)\s+-\s+(.+?)\s*$")


def load_google(path: Path) -> Taxonomy:
    """Google's product taxonomy: ``taxonomy-with-ids.<lang>.txt`` ("1 - A > B") or a JSONL of {id, path}."""
    if path.suffix == ".jsonl":
        return from_paths(_read_jsonl(path), name="google", source=str(path))
    items: list[str | dict[str, Any]] = []
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _GOOGLE_LINE.match(line)
        if not match:
            raise TaxonomyError(f"{path}:{lineno}: expected 'ID - Path > To > Category', got {line[:80]!r}")
        items.append({"id": match.group(1), "path": match.group(2)})
    return from_paths(items, name="google", source=str(path))


def _facet_words(name: str) -> list[str]:
    """A facet name's words: 'cookware-bakeware-material' -> ['cookware', 'bakeware', 'material']."""
    return [w for w in _FACET_WORD.split(name.casefold()) if w]


# -- Shopify's open product taxonomy ------------------------------------------------------------------------------
def load_shopify(directory: Path, *, attributes: bool = True) -> Taxonomy:
    """Shopify's Standard Product Taxonomy: categories, plus each attribute as a flat facet of its values.

    ``*_zh-CN.jsonl`` beside the English files become Chinese labels on the same ids.
    """
    categories = list(_read_jsonl(directory / "categories.jsonl"))
    zh_names = _zh_names(directory / "categories_zh-CN.jsonl")
    facets: dict[str, Facet] = {CATEGORY: Facet(CATEGORY, "Category", "Shopify product category", True, False, True)}
    values: dict[str, Value] = {}
    scope_of: dict[str, set[str]] = {}  # attribute id -> the categories that list it
    for c in categories:
        labels = (("zh-CN", zh_names[c["id"]]),) if c["id"] in zh_names else ()
        values[c["id"]] = Value(c["id"], c["name"], CATEGORY, c.get("parent_id"), c["path"], (), labels)
        for attribute_id in c.get("attribute_ids") or ():
            scope_of.setdefault(str(attribute_id), set()).add(c["id"])
    if attributes and (directory / "attributes.jsonl").exists():
        zh_values: dict[str, str] = {}
        zh_facets: dict[str, str] = {}
        zh_path = directory / "attributes_zh-CN.jsonl"
        if zh_path.exists():
            for a in _read_jsonl(zh_path):
                zh_facets[a["handle"]] = a["name"]
                zh_values.update(zip(a["value_ids"], a["values"], strict=False))
        for a in _read_jsonl(directory / "attributes.jsonl"):
            handle = a["handle"]
            facet_labels = (("zh-CN", zh_facets[handle]),) if handle in zh_facets else ()
            # Shopify lists each category's attributes on the category itself (children do not simply inherit
            # them: 821 categories lack one of their parent's); an attribute no category lists applies everywhere.
            scope = scope_of.get(str(a["id"]))
            facets[handle] = Facet(
                handle, a["name"], a.get("description") or "", False, True, False, facet_labels,
                frozenset(scope) if scope else None,
            )  # fmt: skip
            for vid, vname, vhandle in zip(a["value_ids"], a["values"], a["value_handles"], strict=False):
                labels = (("zh-CN", zh_values[vid]),) if vid in zh_values else ()
                values[vid] = Value(vid, vname, handle, None, None, (), labels, vhandle)
    return Taxonomy("shopify", facets, values, source=str(directory), languages=("en", "zh-CN"))


def _zh_names(path: Path) -> dict[str, str]:
    return {c["id"]: c["name"] for c in _read_jsonl(path)} if path.exists() else {}


# -- entry point ---------------------------------------------------------------------------------------------------
def taxonomy_dirs() -> list[Path]:
    """Where named taxonomies are looked up: $TAGLLM_TAXONOMY_DIR, ./taxonomy, then the repository's taxonomy/."""
    dirs = [Path(p) for p in os.environ.get("TAGLLM_TAXONOMY_DIR", "").split(os.pathsep) if p]
    return [*dirs, Path.cwd() / "taxonomy", REPO_TAXONOMY_DIR]


def resolve_taxonomy_path(spec: str | Path) -> Path:
    path = Path(spec)
    if path.exists():
        return path
    if path.parent == Path(".") and not path.suffix:
        for directory in taxonomy_dirs():
            for candidate in (directory / str(spec), directory / f"{spec}.yaml", directory / f"{spec}.json"):
                if candidate.exists():
                    return candidate
    dirs = list(dict.fromkeys(d.resolve() for d in taxonomy_dirs()))  # ./taxonomy is the repo's when run there
    known = sorted({name for d in dirs if d.is_dir() for name in _taxonomy_names(d)})
    raise TaxonomyError(
        f"unknown taxonomy {str(spec)!r}: not a file, and no taxonomy of that name in "
        f"{', '.join(map(str, dirs))}" + (f" (known: {', '.join(known)})" if known else "")
    )


def _taxonomy_names(directory: Path) -> list[str]:
    """Names a taxonomy directory offers: its YAML/JSON taxonomies (not synonym files) and taxonomy folders."""
    names = []
    for path in directory.iterdir():
        if path.is_dir() and (path / "categories.jsonl").exists():
            names.append(path.name)
        elif path.suffix in {".yaml", ".json"} and not path.stem.endswith("synonyms"):
            names.append(path.stem)
    return names


_CACHE: dict[tuple[str, float], Taxonomy] = {}


def load_taxonomy(spec: str | Path, *, format: str | None = None) -> Taxonomy:
    """Load a taxonomy from a file, a directory or a name ('demo', 'shopify').

    ``format`` is one of own, shopify, google, paths; by default it is told from the file.
    """
    path = resolve_taxonomy_path(spec)
    key = (f"{path.resolve()}:{format}", path.stat().st_mtime)
    if key in _CACHE:
        return _CACHE[key]
    fmt = format or _detect_format(path)
    loaders: dict[str, Callable[[Path], Taxonomy]] = {
        "own": load_own,
        "shopify": load_shopify,
        "google": load_google,
        "paths": load_paths,
    }
    if fmt not in loaders:
        raise TaxonomyError(f"unknown taxonomy format {fmt!r}; use one of: {', '.join(loaders)}")
    taxonomy = loaders[fmt](path)
    _CACHE[key] = taxonomy
    return taxonomy


def _detect_format(path: Path) -> str:
    if path.is_dir():
        if (path / "categories.jsonl").exists() and (path / "attributes.jsonl").exists():
            return "shopify"
        if (path / "categories.jsonl").exists():
            return "paths"
        raise TaxonomyError(f"{path}: a taxonomy directory needs categories.jsonl (and attributes.jsonl for Shopify)")
    if path.suffix in {".yaml", ".yml", ".json"}:
        return "own"
    if path.suffix == ".txt":
        first = next((ln for ln in _read_text(path).splitlines() if ln.strip() and not ln.startswith("#")), "")
        return "google" if _GOOGLE_LINE.match(first) else "paths"
    if path.suffix == ".jsonl":
        return "paths"
    raise TaxonomyError(f"{path}: cannot tell the taxonomy format; pass format= (own, shopify, google, paths)")


# -- file helpers --------------------------------------------------------------------------------------------------
def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"{path}: not UTF-8 text (byte {exc.start}); re-save it as UTF-8") from None
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read: {exc.strerror}") from None


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaxonomyError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None


def _read_structured(path: Path) -> Any:
    text = _read_text(path)
    try:
        if path.suffix == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text)
    except (json.JSONDecodeError, Exception) as exc:  # yaml.YAMLError has no stable import path when lazy
        raise TaxonomyError(f"{path}: cannot parse: {exc}") from None


def _pydantic_message(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)
