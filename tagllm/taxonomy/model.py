"""``Taxonomy``: facets and their values by id, the hierarchy, which facets apply to which categories, a version."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from tagllm.errors import TaxonomyError
from tagllm.taxonomy.nodes import PATH_SEPARATOR, Facet, Value
from tagllm.taxonomy.problems import label_clashes, name_clashes, synonym_clashes, taxonomy_problems
from tagllm.text import normalize

MAX_FACETS_LISTED = 20  # a taxonomy with more facets names the closest to one it lacks, not all of them
MAX_OTHER_FACETS = 3  # other facets a label is a value of, named after the first ("Other": 1,986 of Shopify's)
MIN_KIND_VALUES = 3  # a facet with fewer values than this is not told to be a kind of another by its values alone
_FACET_WORD = re.compile(r"[^a-z0-9]+")


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
                # said as "taxonomy 't': … which does not exist": no file, and not what a parent names
                raise TaxonomyError(
                    f"{self._where()}: facet {value.facet!r}: value {value.id!r} has parent {value.parent_id!r}, "
                    "which is no value's id; a parent is named by its id (not its name): fix it, or leave parent out "
                    "for a value at the top of its facet"
                )
        self._refuse_cycles()

    def _where(self) -> str:
        """The taxonomy as a message names it: its file first, so a user checking several knows which to open."""
        return f"{self.source} (taxonomy {self.name!r})" if self.source else f"taxonomy {self.name!r}"

    def _refuse_cycles(self) -> None:
        """A value that is its own ancestor (``parent:`` pointing back down its subtree) has no root: walking up from
        it never ended, and a run hung before its first product."""
        rooted: set[str | None] = {None}
        for value in self.values.values():
            walked: list[str] = []
            current: str | None = value.id
            while current not in rooted:
                assert current is not None
                if current in walked:
                    cycle = [*walked[walked.index(current) :], current]
                    raise TaxonomyError(
                        f"{self._where()}: the parents of value {current!r} lead back to it "
                        f"({' -> '.join(map(repr, cycle))}); a value's parent must lie above it: fix one of these "
                        "parents"
                    )
                walked.append(current)
                current = self.values[current].parent_id
            rooted.update(walked)

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
            raise self.unknown_facet(facet)
        return self._by_facet.get(facet, [])

    def unknown_facet(self, facet: str) -> TaxonomyError:
        """The error of a facet this taxonomy lacks: its facets when they are few, else the closest ones (Shopify's
        ~2,000 facets, all listed, were a page of text the facet meant was lost in)."""
        if len(self.facets) <= MAX_FACETS_LISTED:
            return TaxonomyError(
                f"taxonomy {self.name!r} has no facet {facet!r}; its facets are: {', '.join(self.facets)}"
            )
        close = difflib.get_close_matches(facet, list(self.facets), n=3, cutoff=0.75)
        guess = f"; did you mean {' or '.join(repr(name) for name in close)}?" if close else ""
        return TaxonomyError(
            f"taxonomy {self.name!r} has no facet {facet!r}{guess} (it has {len(self.facets):,} facets: "
            "`tagllm taxonomy show` prints them)"
        )

    def other_facet(self, facet: str, label: str, names: Callable[[str, str], bool]) -> str | None:
        """What a label that names no value of ``facet`` names instead, when it is a value of other facets: "a value
        of facet 'color', not of category (and of 'finish')" (a colour in the category column: "not in the taxonomy"
        sent the analyst looking for a value the taxonomy holds); None when it names no other facet's value.
        ``names(other, label)``: whether the label names a value of ``other`` (one, or several sharing the name), as
        the reader that gave it reads labels (the examples loader and the gold reader resolve them differently).
        Past ``MAX_OTHER_FACETS`` more, the rest are counted: Shopify's "Other" is a value of 1,986 facets, and the
        message listing them all was 43,155 characters."""
        others = sorted(other for other in self.facets if other != facet and names(other, label))
        if not others:
            return None
        # "and 1 more" would say no less than its name does
        more = others[1:] if len(others) <= MAX_OTHER_FACETS + 2 else others[1 : 1 + MAX_OTHER_FACETS]
        rest = len(others) - 1 - len(more)
        also = f" (and of {', '.join(map(repr, more))}{f' and {rest:,} more' if rest else ''})" if more else ""
        return f"a value of facet {others[0]!r}, not of {facet}{also}"

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

    def other_names(self, value_id: str) -> set[str]:
        """A value's labels in other languages, and in a tree the path of its and its ancestors' labels in one
        language (服装 > 连衣裙) where each of them has one: what a bilingual catalogue labels it with."""
        value = self.values[value_id]
        names = {text for _, text in value.labels}
        if value.parent_id is None:
            return names
        lineage = [*self.ancestors(value_id), value]
        for language, _ in value.labels:
            path = [label for v in lineage if (label := v.label(language))]
            if len(path) == len(lineage):
                names.add(PATH_SEPARATOR.join(path))
        return names

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
        Cotton; not of candles, whose candle material is a wax) or a value that is plainly a kind of it
        (``_headed_names``: Iron is a material of skillets, whose cookware material can be Cast iron)."""
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
                out[name] = frozenset(theirs & names) | _headed_names(theirs - names, names)
        return out

    def _names_of(self, facet: str) -> frozenset[str]:
        """The normalised names of a facet's values, placeholders ("Other") left out: they name nothing."""
        if facet not in self._value_names:
            from tagllm.attributes import is_placeholder  # tagllm.attributes imports tagllm.taxonomy

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

    def layout(self, facet: str) -> str:
        """A hash of ``facet``'s title and its value ids in the order ``facet_values`` lists them: with ``version``, the
        key of a cache holding one row per value (label embeddings). ``version`` leaves the order out (examples and
        results name values by id), and a taxonomy file listing the same values in another order read the rows cached
        in the old one: each value had another's embedding."""
        digest = hashlib.sha256(repr(self.facets[facet].title).encode())
        for value in self.facet_values(facet):
            digest.update(b"\x1f" + value.id.encode())
        return digest.hexdigest()[:16]

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

    def check(self, *, synonyms: bool = True, labels: bool = True) -> list[str]:
        """Problems an analyst should fix (``problems.taxonomy_problems``)."""
        return taxonomy_problems(self, synonyms=synonyms, labels=labels)

    def label_clashes(self) -> list[tuple[str, str, Value, Value]]:
        """Other-language labels two values under one parent share (``problems.label_clashes``)."""
        return label_clashes(self)

    def synonym_clashes(self) -> list[tuple[str, Value, Value]]:
        """Synonyms that map nothing to their value (``problems.synonym_clashes``)."""
        return synonym_clashes(self)

    def name_clashes(self) -> list[tuple[Value, Value]]:
        """Values under one parent whose names read alike (``problems.name_clashes``)."""
        return name_clashes(self)


def _facet_words(name: str) -> list[str]:
    """A facet name's words: 'cookware-bakeware-material' -> ['cookware', 'bakeware', 'material']."""
    return [w for w in _FACET_WORD.split(name.casefold()) if w]


def _headed_names(theirs: frozenset[str], names: frozenset[str]) -> frozenset[str]:
    """Of ``names`` (a facet's value names, normalised), those that a kind's value names (``theirs``) end with, as
    their head after words that only qualify it: "cast iron" and "galvanized iron" are Iron, "oak wood" is Wood,
    "tempered glass" Glass. A qualifier that is itself a word of a value's name makes the value another thing named
    after a material ("steel wool" is no wool, "glass ceramic" no ceramic; "carbon steel" ends with no value), so
    the kind's value then names none."""
    value_words = {w for n in names for w in n.split()}
    out = set()
    for name in theirs:
        words = name.split()
        for i in range(1, len(words)):
            if " ".join(words[i:]) in names:
                if not value_words & set(words[:i]):
                    out.add(" ".join(words[i:]))
                break
    return frozenset(out)
