"""Gold labels: read the gold file, keep the split, resolve the answers onto the taxonomy, draw the sample."""

from __future__ import annotations

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
from tagllm.evaluation.gold_values import GoldResolver, add_attribute_gold, facet_names, field_facet, resolved_gold
from tagllm.models import GOLD_PREFIX, RecordError
from tagllm.taxonomy import Taxonomy

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
    # the id of every record of the file, of any split, unreadable ones where their id is known: predictions of a
    # product it has not are named in the report, where they were left out without a word
    ids: set[str] = field(default_factory=set)
    # "sample first 999 asked, the gold has 8: all scored": a sample larger than the gold took all of it without a
    # word, and the report read "8 products (first 999)"; empty when the sample took what it asked
    sample_note: str = ""


def strip_answers(record: dict[str, Any], cfg: EvalConfig) -> dict[str, Any]:
    """The record the tagger sees: no ``gold_*`` field, no gold field, no split marker, no hidden field."""
    hidden = {cfg.gold_field, cfg.split_field, *cfg.hide_fields}
    if cfg.gold_attribute_field:
        hidden.add(cfg.gold_attribute_field)
    return {k: v for k, v in record.items() if not k.startswith(GOLD_PREFIX) and k not in hidden}


def load_gold(cfg: EvalConfig, taxonomy: Taxonomy) -> GoldSet:
    """Read the gold file, keep the split, resolve answers onto the taxonomy and draw the sample."""
    read = _GoldReading(cfg, taxonomy)
    read.records()
    check_hidden(cfg, read.fields)
    check_gold_field(cfg, read.fields)
    check_gold_attribute_field(cfg, read.fields)
    in_split = len(read.items) + len(read.no_gold)
    facets = cfg.facets or sorted({f for item in read.items for f in item.gold}, key=list(taxonomy.facets).index)
    for facet in facets:
        if facet not in taxonomy.facets:
            # said as the setting it is in ("facets:" of the eval config), with the closest facets when there are many
            raise ConfigError(f"facets: {taxonomy.unknown_facet(facet)}; nothing was tagged")
    items = _sample(read.items, cfg.sample)
    if not items:
        raise InputError(
            f"the sample is empty: {cfg.gold} has {read.total} record(s){_kept(cfg, read.total, in_split)}, "
            f"sample {cfg.sample.describe()}"
            + (f", {len(read.no_gold)} of them with no gold value in {cfg.gold_field!r}" if read.no_gold else "")
            + no_gold_field(cfg, read.fields, read.no_gold)
            + other_splits(cfg, in_split, read.splits)
            + "; nothing to evaluate"
        )
    _refuse_foreign_gold(cfg, taxonomy, items, facets, read.unknown)
    return GoldSet(
        items, facets, read.total, in_split, read.unknown, read.unreadable, read.repeated, read.no_gold, read.ids,
        _sample_note(cfg, len(read.items)),
    )  # fmt: skip


def _sample_note(cfg: EvalConfig, available: int) -> str:
    """What a sample of more products than the gold has took, in words; empty for one that took what it asked."""
    if cfg.sample.mode == "all" or cfg.sample.n is None or cfg.sample.n <= available:
        return ""
    where = f" in split {cfg.split!r}" if cfg.split is not None else ""
    return f"sample {cfg.sample.describe()} asked, the gold has {available}{where}: all scored"


def _kept(cfg: EvalConfig, total: int, in_split: int) -> str:
    """How many records the sample was drawn from, in words: with no split, "9 record(s), 8, sample all" said no
    more than a number; the records left out there are unreadable ones and repeats of an id."""
    if cfg.split is not None:
        return f", {in_split} in split {cfg.split!r} (field {cfg.split_field!r})"
    left_out = total - in_split
    return f", {left_out} of them unreadable or repeating an id" if left_out else ""


def _refuse_foreign_gold(
    cfg: EvalConfig, taxonomy: Taxonomy, items: list[GoldItem], facets: list[str], unknown: list[dict[str, Any]]
) -> None:
    """Every gold value of the sample unknown: often the gold of another taxonomy than the config's. Every product
    was tagged (an LLM's hours) for a report with no score in it, exit 0; so it is said before any is tagged."""
    if not unknown or any(item.gold.get(facet) for item in items for facet in facets):
        return
    shown = ", ".join(repr(u["value"]) for u in unknown[:3]) + (" …" if len(unknown) > 3 else "")
    raise ConfigError(
        f"{cfg.gold}: no gold value of the sample is in taxonomy {taxonomy.name!r} (values it lacks: {shown}), so "
        "nothing could be scored; name the taxonomy the gold was labelled against (tagger: taxonomy), or the field "
        "that holds the gold values (gold_field)"
    )


class _GoldReading:
    """One pass over the gold file: the products kept, and each record left out with why (unreadable, another split,
    an id an earlier record has, no gold value), which the report names and the empty-sample error counts."""

    def __init__(self, cfg: EvalConfig, taxonomy: Taxonomy) -> None:
        self.cfg, self.taxonomy = cfg, taxonomy
        self.facets_named = facet_names(taxonomy)
        self.default_facet = field_facet(cfg.gold_field, self.facets_named) or next(
            (f for f, spec in taxonomy.facets.items() if spec.hierarchical), next(iter(taxonomy.facets))
        )
        self.resolver = GoldResolver(taxonomy)
        self.attributes: AttributeResolver | None = None
        if cfg.gold_attribute_field:
            from tagllm.attributes import AttributeResolver

            self.attributes = AttributeResolver(taxonomy)
        self.items: list[GoldItem] = []
        self.unknown: list[dict[str, Any]] = []
        self.unreadable: list[dict[str, Any]] = []
        self.repeated: list[dict[str, Any]] = []
        self.no_gold: list[dict[str, Any]] = []
        self.first_line: dict[str, int] = {}
        self.ids: set[str] = set()
        self.fields: set[str] = set()
        self.splits: set[str] = (
            set()
        )  # the split values of the records left out by the split, to name when none is kept
        self.total = 0

    def records(self) -> None:
        """Read every record of the gold file into the products kept or the records left out."""
        from tagllm.io import RecordSource
        from tagllm.io.products import named_error

        cfg = self.cfg
        records = RecordSource(cfg.gold)
        records.require_title()  # a table with no title column (one Excel saved with semicolons): said as for products
        for record in records:
            self.total += 1
            if record.data is None:  # named by its id where its line gives one readably, as generate names it
                error = named_error(record, records.name) if record.error is not None else None
                self.unreadable.append(_unreadable(record.line, error))
                if error is not None and error.record_id:
                    self.ids.add(error.record_id)
                continue
            data = record.data
            self.fields.update(data)
            self.ids.add(_record_id(data, record.line))
            if cfg.split is not None and str(data.get(cfg.split_field)) != cfg.split:
                if len(self.splits) < 20:
                    self.splits.add(str(data.get(cfg.split_field)))
                continue
            if repeat := _repeated_key(cfg, data, record.line, records.name):
                self.unreadable.append(_unreadable(record.line, repeat))  # it would be scored on one of two values
                continue
            self._product(data, record.line)

    def _product(self, data: dict[str, Any], line: int) -> None:
        """Keep the record on ``line`` as a gold product, unless an earlier record has its id or it has no gold."""
        cfg = self.cfg
        raw_id = data.get("id")
        infinite = isinstance(raw_id, float) and math.isinf(raw_id)  # 1e400 and 2e400 alike: both would be "inf"
        pid = _record_id(data, line)
        if pid in self.first_line:  # predictions are keyed by id: a second record would be scored on the first's
            self.repeated.append({"product_id": pid, "line": line, "first_line": self.first_line[pid]})
            return
        self.first_line[pid] = line
        unknown, unknown_before = self.unknown, len(self.unknown)
        gold = resolved_gold(
            cfg, self.taxonomy, self.resolver, self.facets_named, self.default_facet, data, pid, unknown
        )
        if self.attributes is not None and cfg.gold_attribute_field:
            add_attribute_gold(cfg, self.attributes, data, pid, gold, unknown)
        if cfg.facets is not None:  # a product carrying only facets not scored was tagged and counted, scored on none
            gold = {facet: ids for facet, ids in gold.items() if facet in cfg.facets}
        reported = [u for u in unknown[unknown_before:] if cfg.facets is None or u["facet"] in cfg.facets]
        if not gold and not reported:  # nothing to score it on, and no value to report: say so
            self.no_gold.append({"product_id": pid, "line": line, "field": cfg.gold_field})
            return
        # a record without an id is tagged under its line's name, as `tagllm generate` names it
        # an infinite id keeps its number, which the tagger's reading refuses naming the field, as generate's does
        record = {**strip_answers(data, cfg), "id": raw_id if infinite else pid}
        self.items.append(GoldItem(pid, record, gold, line))


def _record_id(data: dict[str, Any], line: int) -> str:
    """The id a gold record is scored under: its own, or its line's name, as `tagllm generate` names a record without
    an id (or a blank one); an infinite id has none (1e400 and 2e400 alike would be "inf")."""
    from tagllm.io import line_id

    raw_id = data.get("id")
    infinite = isinstance(raw_id, float) and math.isinf(raw_id)
    pid = str(raw_id).strip() if raw_id is not None and not infinite else ""
    return pid or line_id(line)


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
