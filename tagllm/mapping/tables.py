"""The lookup tables of one taxonomy (names, synonyms, aliases, labels), built once and cached on disk as JSON."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tagllm.cache import atomic_write
from tagllm.mapping.families import facet_aliases
from tagllm.mapping.keys import exact_key, keys, label_key, label_scripts
from tagllm.taxonomy import Taxonomy, Value
from tagllm.text import normalize

TABLES_VERSION = 21
"""Bump when the keys below change: cached tables of an older shape are then rebuilt."""

_BUILDERS = ("mapping/tables.py", "mapping/families.py", "mapping/abbreviations.py", "mapping/keys.py", "text.py")
"""The modules whose code decides the tables' contents (relative to the package)."""


@cache
def builders_digest() -> str:
    """A digest of the code that builds the tables, part of the cache path beside ``TABLES_VERSION``: a rule changed
    without a bump (an alias rule, a key's normalisation) used to be served the tables of the code before it."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1()
    for name in _BUILDERS:
        try:
            digest.update((package / name).read_bytes())
        except OSError:
            digest.update(name.encode())  # a package without its sources (zipped, frozen) keys by the version alone
    return digest.hexdigest()[:10]


NAME_TABLES = ("norm", "sing", "compact", "sorted")
Table = dict[str, str]
"""key -> the values it names, packed as "facet\x1fid\x1eid\x1dfacet\x1fid": flat strings load from JSON several
times faster than nested dicts and lists, and most keys name a single value of a single facet."""
_FACETS_SEP, _FACET_SEP, _ID_SEP = "\x1d", "\x1f", "\x1e"


def _pack(table: dict[str, dict[str, list[str]]]) -> Table:
    return {
        key: _FACETS_SEP.join(facet + _FACET_SEP + _ID_SEP.join(ids) for facet, ids in by_facet.items())
        for key, by_facet in table.items()
    }


def scope(packed: str | None, facet: str | None) -> list[str]:
    """The ids a packed table entry names in ``facet`` (in every facet when None)."""
    if not packed:
        return []
    if _FACETS_SEP not in packed:
        name, ids = packed.split(_FACET_SEP, 1)
        return ids.split(_ID_SEP) if facet is None or name == facet else []
    out: list[str] = []
    for group in packed.split(_FACETS_SEP):
        name, ids = group.split(_FACET_SEP, 1)
        if facet is None:
            out.extend(ids.split(_ID_SEP))
        elif name == facet:
            return ids.split(_ID_SEP)
    return out


@dataclass
class Tables:
    """Lookup tables built once per taxonomy version and cached on disk as JSON (never pickle)."""

    exact: Table
    names: dict[str, Table]  # one table per key kind in NAME_TABLES
    synonyms: dict[str, Table]
    aliases: dict[str, Table]  # names the facet rules give (families.py)
    labels: Table
    exact_labels: Table
    scripts: list[str]

    @classmethod
    def build(cls, taxonomy: Taxonomy, facets: Collection[str] | None = None) -> Tables:
        """The tables of every value, or of the values of ``facets`` only (a tagger's: Shopify has 31,000 values,
        most of them in attribute facets a run does not ask for)."""
        exact: dict[str, dict[str, list[str]]] = {}
        names: dict[str, dict[str, dict[str, list[str]]]] = {k: {} for k in NAME_TABLES}
        synonyms: dict[str, dict[str, dict[str, list[str]]]] = {k: {} for k in NAME_TABLES}
        aliases: dict[str, dict[str, dict[str, list[str]]]] = {k: {} for k in NAME_TABLES}
        labels: dict[str, dict[str, list[str]]] = {}
        exact_labels: dict[str, dict[str, list[str]]] = {}

        def put(table: dict[str, dict[str, list[str]]], key: str, value: Value) -> None:
            if key:
                ids = table.setdefault(key, {}).setdefault(value.facet, [])
                if value.id not in ids:
                    ids.append(value.id)

        texts: set[str] = set()
        wanted = list(taxonomy.facets) if facets is None else [f for f in taxonomy.facets if f in facets]
        for value in (v for f in wanted for v in taxonomy.facet_values(f)):
            put(exact, exact_key(value.name), value)
            for kind, key in zip(NAME_TABLES, keys(value.name), strict=True):
                put(names[kind], key, value)
            if value.path and value.path != value.name:
                # a full path needs no singular or reordered reading: the path stage matches it segment by segment
                put(exact, exact_key(value.path), value)
                put(names["norm"], normalize(value.path), value)
            for synonym in value.synonyms:
                for kind, key in zip(NAME_TABLES, keys(synonym), strict=True):
                    put(synonyms[kind], key, value)
            for _, label in value.labels:
                put(labels, label_key(label), value)
                put(exact_labels, exact_key(label), value)
            texts.update((value.name, *value.synonyms, *(label for _, label in value.labels)))
        for facet in wanted:
            for alias, value in facet_aliases(taxonomy.facet_values(facet)):
                for kind, key in zip(NAME_TABLES, keys(alias), strict=True):
                    put(aliases[kind], key, value)
        return cls(
            _pack(exact),
            {k: _pack(t) for k, t in names.items()},
            {k: _pack(t) for k, t in synonyms.items()},
            {k: _pack(t) for k, t in aliases.items()},
            _pack(labels),
            _pack(exact_labels),
            sorted(label_scripts(texts)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "exact": self.exact,
            "names": self.names,
            "synonyms": self.synonyms,
            "aliases": self.aliases,
            "labels": self.labels,
            "exact_labels": self.exact_labels,
            "scripts": self.scripts,
        }

    @classmethod
    def from_json(cls, data: Any) -> Tables:
        """The tables ``to_json`` wrote; a ``ValueError`` for JSON of another shape (another program's file, a hand
        edit), which crashed the Mapper with a TypeError when it was not a dict of them."""
        grouped = ("names", "synonyms", "aliases")
        if not (
            isinstance(data, dict)
            and all(isinstance(data.get(t), dict) for t in ("exact", "labels", "exact_labels", *grouped))
            and all(set(data[g]) == set(NAME_TABLES) for g in grouped)
            and all(isinstance(t, dict) for g in grouped for t in data[g].values())
            and isinstance(data.get("scripts"), list)
        ):
            raise ValueError("not tagllm's mapping tables")
        return cls(
            data["exact"],
            data["names"],
            data["synonyms"],
            data["aliases"],
            data["labels"],
            data["exact_labels"],
            data["scripts"],
        )


def slug(text: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40]
    return f"{safe}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def load_tables(taxonomy: Taxonomy, cache_dir: Path, facets: Collection[str] | None = None) -> tuple[Tables, bool]:
    """The taxonomy's tables (of ``facets`` only, when given) from the cache (True) or built now and cached (False);
    a damaged file is rebuilt."""
    name = (
        "tables.json"
        if facets is None
        else f"tables-{hashlib.sha1(chr(31).join(sorted(facets)).encode()).hexdigest()[:12]}.json"
    )
    version = f"v{TABLES_VERSION}-{builders_digest()}"
    path = cache_dir / "mapping" / f"{slug(taxonomy.name)}-{taxonomy.version}-{version}" / name
    if path.exists():
        try:
            return Tables.from_json(json.loads(path.read_bytes())), True
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is rebuilt below, never trusted
    tables = Tables.build(taxonomy, facets)
    try:
        data = json.dumps(tables.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
        atomic_write(path, lambda handle: handle.write(data), ".json")
    except OSError:
        pass  # a read-only cache dir only costs the build next time
    return tables, False
