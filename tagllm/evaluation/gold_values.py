"""What a gold value names in the taxonomy: a value id, path or unique name resolved per facet, and each record's gold
fields read into value ids with the reason for every value that resolves to none.

Apart from ``gold.py`` (reading the gold file, the split and the sample): this is the part a gold value's meaning
depends on, which the harness's error examples also use without reading a file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tagllm.evaluation.config import EvalConfig
from tagllm.missing import is_blank_cell
from tagllm.models import GOLD_PREFIX
from tagllm.taxonomy import PATH_SEPARATOR, Taxonomy, Value
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.attributes import AttributeResolver


class GoldResolver:
    """Maps a gold value (an id, a path "A > B > C", or a unique name) to a taxonomy id, per facet."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._keys: dict[tuple[str, str], str | None] = {}
        # a bilingual taxonomy's other-language labels (连衣裙, 服装 > 连衣裙), when no name or path is the gold's
        self._labels: dict[tuple[str, str], str | None] = {}
        for value in taxonomy.values.values():
            self._add(self._keys, value, self._value_keys(value))
            self._add(self._labels, value, {self._key(name) for name in taxonomy.other_names(value.id)})

    @staticmethod
    def _add(table: dict[tuple[str, str], str | None], value: Value, keys: set[str]) -> None:
        for key in keys:
            slot = (value.facet, key)
            # A name shared by two values is ambiguous: remember that so it is reported, not guessed.
            if slot in table and table[slot] != value.id:
                table[slot] = None
            else:
                table[slot] = value.id

    @staticmethod
    def _path_key(path: str) -> str:
        return PATH_SEPARATOR.join(normalize(p) for p in path.split(">") if p.strip())

    @classmethod
    def _key(cls, raw: str) -> str:
        return cls._path_key(raw) if ">" in raw else normalize(raw)

    def resolve(self, facet: str, raw: str) -> str | None:
        if raw in self.taxonomy and self.taxonomy[raw].facet == facet:
            return raw
        slot = (facet, self._key(raw))
        return self._keys[slot] if slot in self._keys else self._labels.get(slot)

    def sharing(self, facet: str, raw: str) -> list[str]:
        """The paths of the values a gold value names when it names several (a name two leaves share: Flipkart's
        "Bike Light Bulbs" under two parents), which ``resolve`` does not guess between; empty when it names one or
        none. Such a value was reported as "not in taxonomy", where the analyst found it, twice."""
        key = self._key(raw)
        slot = (facet, key)
        if slot in self._keys:
            if self._keys[slot] is not None:
                return []
            named = [v for v in self.taxonomy.values.values() if v.facet == facet and key in self._value_keys(v)]
        elif slot in self._labels and self._labels[slot] is None:
            named = [
                v
                for v in self.taxonomy.values.values()
                if v.facet == facet and key in {self._key(name) for name in self.taxonomy.other_names(v.id)}
            ]
        else:
            return []
        return sorted(v.path or v.name for v in named)

    def names(self, facet: str, raw: str) -> bool:
        """Whether a gold value names a value of ``facet``: one, or several that share it."""
        return self.resolve(facet, raw) is not None or bool(self.sharing(facet, raw))

    def _value_keys(self, value: Value) -> set[str]:
        return {normalize(value.id), normalize(value.name), *([self._path_key(value.path)] if value.path else [])}


NESTED = "a list or mapping inside the gold value, not a value: write each value as a string"


def gold_values(raw: Any, default_facet: str) -> dict[str, list[Any]]:
    """The gold values per facet as given: scalars, or a list or mapping nested where a value belongs, which
    ``load_gold`` reports (its Python repr, "['S', 'M']", is no value of any taxonomy)."""
    if isinstance(raw, dict):
        listed = {f: _json_text(v) for f, v in raw.items()}  # {"color": "[\"Red\", \"Blue\"]"}: a JSON list's text
        given = {str(f): _given(v) for f, v in listed.items()}
        return {f: values for f, values in given.items() if values}
    values = _given(raw)
    return {default_facet: values} if values else {}


def _given(raw: Any) -> list[Any]:
    """A cell's gold values but its blank ones: a missing cell was reported as a gold value the taxonomy lacks
    ('nan', '<NA>'), and its product tagged for nothing."""
    return [x for x in (raw if isinstance(raw, list) else [raw]) if not is_blank_cell(x)]


def _json_text(raw: Any) -> Any:
    """A gold cell of a CSV or Parquet file holding JSON text, the {facet: [values]} mapping or a list of values, read
    as that mapping or list: the whole text was reported as one value the taxonomy lacks, and none of the record's
    gold scored (a list of one value resolved only because its brackets and quotes were folded away)."""
    if not isinstance(raw, str) or not raw.lstrip().startswith(("{", "[")):
        return raw
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    return parsed if isinstance(parsed, dict | list) else raw


def _shown(value: Any) -> str:
    """A gold value as the report names it: a nested list or mapping as the JSON the file had, not Python's repr."""
    return json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, list | dict) else str(value)


def facet_names(taxonomy: Taxonomy) -> dict[str, str]:
    """The facet each key of a gold mapping names: its name, or its name or title as written otherwise ("Category",
    "Ideal For" for ideal-for), as the keys of attribute tags are read; {"Category": …} was reported as an unknown
    facet, every value of it unscored."""
    names: dict[str, str] = {}
    for name, spec in taxonomy.facets.items():
        for text in (name, spec.title or name):
            names.setdefault(normalize(text), name)
    return {**names, **{name: name for name in taxonomy.facets}}


def field_facet(field: str, facets_named: dict[str, str]) -> str | None:
    """The facet a gold field names, its ``gold_`` prefix aside (``gold_color``: color; ``gold_ideal_for``:
    ideal-for): a value or list in the field is that facet's. None where the field names no facet: the hierarchical
    facet's, then. gold_color's values were read as categories ('Black' a category the taxonomy lacks)."""
    name = field.removeprefix(GOLD_PREFIX)
    return facets_named.get(name) or facets_named.get(normalize(name))


def resolved_gold(
    cfg: EvalConfig,
    taxonomy: Taxonomy,
    resolver: GoldResolver,
    facets_named: dict[str, str],
    default_facet: str,
    data: dict[str, Any],
    pid: str,
    unknown: list[dict[str, Any]],
) -> dict[str, list[str]]:
    """The value ids of a gold record's gold field (``cfg.gold_field``) by facet, each value resolved onto the
    taxonomy; a value of a facet the taxonomy lacks, a nested one, or one that resolves to nothing goes to
    ``unknown`` with the reason."""
    gold: dict[str, list[str]] = {}
    for given_facet, values in gold_values(_json_text(data.get(cfg.gold_field)), default_facet).items():
        facet = facets_named.get(given_facet) or facets_named.get(normalize(given_facet)) or given_facet
        if facet not in taxonomy.facets:
            unknown.extend(
                {"product_id": pid, "facet": facet, "value": _shown(v), "reason": "unknown facet"} for v in values
            )
            continue
        for given in values:
            if isinstance(given, list | dict):
                unknown.append(
                    {"product_id": pid, "facet": facet, "field": cfg.gold_field, "value": _shown(given),
                     "reason": NESTED}
                )  # fmt: skip
                continue
            value = str(given)
            vid = resolver.resolve(facet, value)
            if vid is None:
                unknown.append(
                    {"product_id": pid, "facet": facet, "value": value, "reason": _why(resolver, facet, value)}
                )
            else:
                gold.setdefault(facet, []).append(vid)
    return gold


def add_attribute_gold(
    cfg: EvalConfig,
    attributes: AttributeResolver,
    data: dict[str, Any],
    pid: str,
    gold: dict[str, list[str]],
    unknown: list[dict[str, Any]],
) -> None:
    """Add to ``gold`` the attribute tags of a gold record's attribute field (``cfg.gold_attribute_field``), each
    once; a value of a scored facet that is nested or not in the taxonomy goes to ``unknown``."""
    assert cfg.gold_attribute_field is not None
    labels, unresolved = attributes.resolve(data.get(cfg.gold_attribute_field))
    for facet, ids in labels.items():
        if ids:  # a facet listed with no ids carries a value the taxonomy lacks: reported as unknown below
            gold.setdefault(facet, []).extend(i for i in ids if i not in gold.get(facet, []))
    for key, value, why in unresolved:
        named = attributes.facet(key)
        # keys naming no facet were left out on purpose (free text, codes): not reported
        if named is None or (cfg.facets is not None and named not in cfg.facets):
            continue
        if why == "nested":
            unknown.append(
                {"product_id": pid, "facet": named, "field": cfg.gold_attribute_field, "value": value,
                 "reason": NESTED}
            )  # fmt: skip
        elif why == "not in taxonomy":
            unknown.append({"product_id": pid, "facet": named, "value": value, "reason": why})


def _why(resolver: GoldResolver, facet: str, value: str) -> str:
    """Why a gold value resolves to no value of the facet: several have it, another facet's value has it (a colour
    in the category column: "not in taxonomy" sent the analyst looking for a value the taxonomy holds), or none."""
    shared = resolver.sharing(facet, value)
    if not shared:
        return resolver.taxonomy.other_facet(facet, value, resolver.names) or "not in taxonomy"
    named = "; ".join(shared[:3]) + (f"; and {len(shared) - 3} more" if len(shared) > 3 else "")
    return f"names {len(shared)} values of the taxonomy ({named}): write its path or id"
