"""Gold labels: read the gold file, keep the split, resolve the answers onto the taxonomy, draw the sample."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagllm.errors import ConfigError, InputError
from tagllm.evaluation.config import EvalConfig, SampleSpec
from tagllm.evaluation.gold_fields import (
    check_gold_attribute_field,
    check_gold_field,
    check_hidden,
    no_gold_field,
    other_splits,
)
from tagllm.missing import is_blank_cell
from tagllm.models import GOLD_PREFIX, RecordError
from tagllm.taxonomy import PATH_SEPARATOR, Taxonomy, Value
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.attributes import AttributeResolver


@dataclass
class GoldItem:
    """One gold product: what the tagger may see, and the answers it may not."""

    id: str
    record: dict[str, Any]
    gold: dict[str, list[str]]
    line: int = 0

    @property
    def title(self) -> str:
        return str(self.record.get("title") or "")


@dataclass
class GoldSet:
    """The scored sample and what was wrong with the gold file."""

    items: list[GoldItem]
    facets: list[str]
    total_records: int
    in_split: int
    unknown: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)
    repeated: list[dict[str, Any]] = field(default_factory=list)  # records whose id an earlier record has
    no_gold: list[dict[str, Any]] = field(default_factory=list)  # records with no gold value at all: not tagged


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

    def _value_keys(self, value: Value) -> set[str]:
        return {normalize(value.id), normalize(value.name), *([self._path_key(value.path)] if value.path else [])}


NESTED = "a list or mapping inside the gold value, not a value: write each value as a string"


def _gold_values(raw: Any, default_facet: str) -> dict[str, list[Any]]:
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


def _facet_names(taxonomy: Taxonomy) -> dict[str, str]:
    """The facet each key of a gold mapping names: its name, or its name or title as written otherwise ("Category",
    "Ideal For" for ideal-for), as the keys of attribute tags are read; {"Category": …} was reported as an unknown
    facet, every value of it unscored."""
    names: dict[str, str] = {}
    for name, spec in taxonomy.facets.items():
        for text in (name, spec.title or name):
            names.setdefault(normalize(text), name)
    return {**names, **{name: name for name in taxonomy.facets}}


def _field_facet(field: str, facets_named: dict[str, str]) -> str | None:
    """The facet a gold field names, its ``gold_`` prefix aside (``gold_color``: color; ``gold_ideal_for``:
    ideal-for): a value or list in the field is that facet's. None where the field names no facet: the hierarchical
    facet's, then. gold_color's values were read as categories ('Black' a category the taxonomy lacks)."""
    name = field.removeprefix(GOLD_PREFIX)
    return facets_named.get(name) or facets_named.get(normalize(name))


def strip_answers(record: dict[str, Any], cfg: EvalConfig) -> dict[str, Any]:
    """The record the tagger sees: no ``gold_*`` field, no gold field, no split marker, no hidden field."""
    hidden = {cfg.gold_field, cfg.split_field, *cfg.hide_fields}
    if cfg.gold_attribute_field:
        hidden.add(cfg.gold_attribute_field)
    return {k: v for k, v in record.items() if not k.startswith(GOLD_PREFIX) and k not in hidden}


def load_gold(cfg: EvalConfig, taxonomy: Taxonomy) -> GoldSet:
    """Read the gold file, keep the split, resolve answers onto the taxonomy and draw the sample."""
    from tagllm.io import RecordSource, line_id

    facets_named = _facet_names(taxonomy)
    default_facet = _field_facet(cfg.gold_field, facets_named) or next(
        (f for f, spec in taxonomy.facets.items() if spec.hierarchical), next(iter(taxonomy.facets))
    )
    resolver = GoldResolver(taxonomy)
    attributes = None
    if cfg.gold_attribute_field:
        from tagllm.attributes import AttributeResolver

        attributes = AttributeResolver(taxonomy)
    items: list[GoldItem] = []
    unknown: list[dict[str, Any]] = []
    unreadable: list[dict[str, Any]] = []
    repeated: list[dict[str, Any]] = []
    no_gold: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    fields: set[str] = set()
    splits: set[str] = set()  # the split values of the records left out by the split, to name when none is kept
    total = 0
    records = RecordSource(cfg.gold)
    records.require_title()  # a table with no title column (one Excel saved with semicolons): said as for products
    for record in records:
        total += 1
        if record.data is None:
            unreadable.append(_unreadable(record.line, record.error))
            continue
        data = record.data
        fields.update(data)
        if cfg.split is not None and str(data.get(cfg.split_field)) != cfg.split:
            if len(splits) < 20:
                splits.add(str(data.get(cfg.split_field)))
            continue
        if repeat := _repeated_key(cfg, data, record.line, records.name):
            unreadable.append(_unreadable(record.line, repeat))  # it would be scored on one of two values
            continue
        raw_id = data.get("id")
        infinite = isinstance(raw_id, float) and math.isinf(raw_id)  # 1e400 and 2e400 alike: both would be "inf"
        pid = str(raw_id).strip() if raw_id is not None and not infinite else ""
        pid = pid or line_id(record.line)  # as `tagllm generate` names a record without an id (or a blank one)
        if pid in first_line:  # predictions are keyed by id: a second record would be scored on the first's
            repeated.append({"product_id": pid, "line": record.line, "first_line": first_line[pid]})
            continue
        first_line[pid] = record.line
        unknown_before = len(unknown)
        gold = _resolved_gold(cfg, taxonomy, resolver, facets_named, default_facet, data, pid, unknown)
        if attributes is not None and cfg.gold_attribute_field:
            _add_attribute_gold(cfg, attributes, data, pid, gold, unknown)
        if cfg.facets is not None:  # a product carrying only facets not scored was tagged and counted, scored on none
            gold = {facet: ids for facet, ids in gold.items() if facet in cfg.facets}
        reported = [u for u in unknown[unknown_before:] if cfg.facets is None or u["facet"] in cfg.facets]
        if not gold and not reported:  # nothing to score it on, and no value to report: say so
            no_gold.append({"product_id": pid, "line": record.line, "field": cfg.gold_field})
            continue
        # a record without an id is tagged under its line's name, as `tagllm generate` names it
        # an infinite id keeps its number, which the tagger's reading refuses naming the field, as generate's does
        items.append(GoldItem(pid, {**strip_answers(data, cfg), "id": raw_id if infinite else pid}, gold, record.line))
    check_hidden(cfg, fields)
    check_gold_field(cfg, fields)
    check_gold_attribute_field(cfg, fields)
    in_split = len(items) + len(no_gold)
    facets = cfg.facets or sorted({f for item in items for f in item.gold}, key=list(taxonomy.facets).index)
    for facet in facets:
        if facet not in taxonomy.facets:
            raise ConfigError(f"facet {facet!r} is not in taxonomy {taxonomy.name!r} ({', '.join(taxonomy.facets)})")
    items = _sample(items, cfg.sample)
    if not items:
        where = f" in split {cfg.split!r} (field {cfg.split_field!r})" if cfg.split is not None else ""
        raise InputError(
            f"the sample is empty: {cfg.gold} has {total} record(s), {in_split}{where}, "
            f"sample {cfg.sample.describe()}"
            + (f", {len(no_gold)} of them with no gold value in {cfg.gold_field!r}" if no_gold else "")
            + no_gold_field(cfg, fields, no_gold)
            + other_splits(cfg, in_split, splits)
            + "; nothing to evaluate"
        )
    if unknown and not any(item.gold.get(facet) for item in items for facet in facets):
        # every gold value unknown: often the gold of another taxonomy than the config's; every product was tagged
        # (an LLM's hours) for a report with no score in it, exit 0
        shown = ", ".join(repr(u["value"]) for u in unknown[:3]) + (" …" if len(unknown) > 3 else "")
        raise ConfigError(
            f"{cfg.gold}: no gold value of the sample is in taxonomy {taxonomy.name!r} (values it lacks: {shown}), so "
            "nothing could be scored; name the taxonomy the gold was labelled against (tagger: taxonomy), or the field "
            "that holds the gold values (gold_field)"
        )
    return GoldSet(items, facets, total, in_split, unknown, unreadable, repeated, no_gold)


def _resolved_gold(
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
    for given_facet, values in _gold_values(_json_text(data.get(cfg.gold_field)), default_facet).items():
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


def _add_attribute_gold(
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
    """Why a gold value resolves to no value of the facet: none has it, or several do."""
    shared = resolver.sharing(facet, value)
    if not shared:
        return "not in taxonomy"
    named = "; ".join(shared[:3]) + (f"; and {len(shared) - 3} more" if len(shared) > 3 else "")
    return f"names {len(shared)} values of the taxonomy ({named}): write its path or id"


def _unreadable(line: int, error: RecordError | None) -> dict[str, Any]:
    """A gold record that cannot be read, as the report lists it: its line, and the id and field named where known."""
    entry: dict[str, Any] = {"line": line, "message": error.message if error else "unreadable"}
    if error is not None and error.record_id:
        entry["product_id"] = error.record_id
    if error is not None and error.field:
        entry["field"] = error.field
    return entry


def _repeated_key(cfg: EvalConfig, data: dict[str, Any], line: int, name: str) -> RecordError | None:
    """The error of a gold cell of JSON text (a CSV or Parquet column) that gives a key two values: json keeps the
    last, and the record would be scored on one of two gold values. None if it gives none."""
    from tagllm.io.json_keys import RepeatedKey, loads_unique, repeated_key

    for column in (cfg.gold_field, cfg.gold_attribute_field):
        raw = data.get(column) if column else None
        if column is None or not isinstance(raw, str) or raw.lstrip()[:1] not in ("{", "["):
            continue
        try:
            loads_unique(raw.strip())
        except RepeatedKey as exc:
            return repeated_key(name, line, exc, data, (column,))
        except (ValueError, RecursionError):  # not JSON: read as items separated by ';', '|' or new lines
            pass
    return None


def _sample(items: list[GoldItem], spec: SampleSpec) -> list[GoldItem]:
    if spec.mode == "all" or spec.n is None:
        return items
    if spec.mode == "first":
        return items[: spec.n]
    import random

    rng = random.Random(spec.seed)
    chosen = sorted(rng.sample(range(len(items)), min(spec.n, len(items))))
    return [items[i] for i in chosen]
