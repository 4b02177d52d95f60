"""Attribute facets learned from products' "Key: Value" tags: which keys are facets, their values, what was left out."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from tagllm.attributes.kinds import KIND_REASONS, noted_size, value_kind
from tagllm.attributes.tags import (
    VALUE_SEPARATORS,
    is_placeholder,
    key_of,
    parse_attribute_tags,
    states,
    tidy_value,
    value_key,
)
from tagllm.attributes.variants import merge_variants
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.text import has_cjk, normalize

DEFAULT_MIN_PRODUCTS = 5  # a key seen on fewer products says too little to be a facet
DEFAULT_MIN_VALUE_COUNT = 2  # a value seen once is as often a typo or a one-off description as a real value
MIN_REPEAT_SHARE = 0.5  # below this share of products whose value another product shares, a key is free text
MIN_MULTI_SHARE = 0.02  # products with several values of a key, above which the facet is multi-valued


# -- learning facets -------------------------------------------------------------------------------------------
@dataclass
class LearnedValue:
    """One value of a learned facet: its name (the commonest spelling), other spellings, and how often seen."""

    id: str
    name: str
    synonyms: list[str]
    count: int


@dataclass
class LearnedFacet:
    """An attribute key that behaves like a facet: a small set of repeating values."""

    name: str
    title: str
    spellings: list[str]
    values: list[LearnedValue]
    products: int
    multi_valued: bool
    rare_values: int = 0
    rare_examples: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)  # (misspelling, the value it was merged into)
    odd_values: int = 0  # values left out as numbers, dates, codes or descriptions
    odd_reason: str = ""


@dataclass
class LeftOut:
    """An attribute key that is not made a facet, and why."""

    key: str
    products: int
    reason: str
    examples: list[str]


@dataclass
class AttributeReport:
    """What ``learn_attributes`` found: the facets, the keys left out with their reasons, and the bad input."""

    facets: list[LearnedFacet]
    left_out: list[LeftOut]
    records: int = 0
    with_tags: int = 0
    placeholders: int = 0
    unparseable: list[str] = field(default_factory=list)  # the first 20
    unparseable_count: int = 0
    nested: list[str] = field(default_factory=list)  # the first 20 values that are a list or a mapping
    nested_count: int = 0

    def summary(self) -> list[str]:
        """Lines a user reads: each facet with its values, then each reason with the keys it left out."""
        lines = [f"{self.with_tags} of {self.records} record(s) carry attribute tags; {len(self.facets)} facet(s):"]
        for f in self.facets:
            kind = "multi-valued" if f.multi_valued else "single-valued"
            shown = ", ".join(v.name for v in f.values[:8]) + (", …" if len(f.values) > 8 else "")
            rare = f"; {f.rare_values} rare value(s) left out" if f.rare_values else ""
            if f.merged:
                rare += f"; {len(f.merged)} misspelling(s) merged, e.g. " + ", ".join(
                    f"{a!r} -> {b!r}" for a, b in f.merged[:3]
                )
            if f.odd_values:
                rare += f"; {f.odd_values} tag(s) left out as {f.odd_reason}"
            lines.append(f"  {f.name} ({f.title!r}, {kind}): {len(f.values)} values from {f.products} products{rare}")
            lines.append(f"    {shown}")
        lines.extend(self._two_languages())
        by_reason: dict[str, list[LeftOut]] = defaultdict(list)
        for item in self.left_out:
            by_reason[item.reason.split(" (")[0]].append(item)
        for reason, items in by_reason.items():
            lines.append(f"left out, {reason}: {len(items)} key(s)")
            for item in sorted(items, key=lambda i: -i.products)[:10]:
                example = "; e.g. " + ", ".join(repr(e) for e in item.examples[:3]) if item.examples else ""
                lines.append(f"  {item.key!r} ({item.products} products{example})")
            if len(items) > 10:
                lines.append(f"  … and {len(items) - 10} more")
        if self.placeholders:
            lines.append(f"{self.placeholders} empty or placeholder value(s) such as '', 'NA' or 'Other' ignored")
        if self.unparseable:
            lines.append(f"{self.unparseable_count} item(s) not of the form 'Key: Value', e.g. {self.unparseable[0]!r}")
        if self.nested:
            lines.append(
                f"{self.nested_count} value(s) left out as a list or mapping where a value belongs, e.g. "
                f"{self.nested[0]!r}: write each value as a string"
            )
        return lines

    def _two_languages(self) -> list[str]:
        """Facets learned from Chinese keys beside ones from other keys: a catalogue writing one attribute in both
        ("Color" and "颜色") learns it twice, as two facets, and nothing in the tags says which keys are one."""
        chinese = [f.title for f in self.facets if has_cjk(f.title)]
        other = [f.title for f in self.facets if not has_cjk(f.title)]
        if not chinese or not other:
            return []
        return [
            f"keys in two languages: {len(chinese)} facet(s) from Chinese keys ({_some(chinese)}) beside "
            f"{len(other)} from other keys ({_some(other)}): an attribute written in both is learned as two facets; "
            "write its keys in one language to learn it as one (a key that is a label of a facet of the taxonomy "
            "this extends is read as that facet)"
        ]


def _some(titles: list[str]) -> str:
    return ", ".join(titles[:5]) + (", …" if len(titles) > 5 else "")


def _slug(text: str) -> str:
    return "-".join(normalize(text.replace("'", "").replace("’", "")).split()) or "x"


def _split_multi(values: list[str], key: str) -> dict[str, list[str]]:
    """How each raw value splits into values: "Women, Girls" does when its parts are values of their own.

    A part is a value of its own when it is a raw value alone or a part of two different raw values: jewellery's
    "Everyday, Love, Wedding and Engagement, Workwear" and "Everyday, Workwear, Wedding and Engagement, Love" share
    parts that are rarely listed alone, where a description's comma-separated phrases are not repeated elsewhere.
    Measured (benchmarks/attributes.py, Flipkart held out): Occasion F1 at the default threshold 0.737 -> 0.781,
    micro-F1 over facets 0.691 -> 0.701 (fashion unchanged; OpenBG within its run-to-run spread)."""
    distinct = set(values)
    parts_of = {raw: [p for p in VALUE_SEPARATORS.split(raw) if p.strip()] for raw in distinct}
    standalone = {value_key(v, key) for v, parts in parts_of.items() if len(parts) == 1}
    shared = Counter(k for parts in parts_of.values() if len(parts) > 1 for k in {value_key(p, key) for p in parts})
    known_keys = standalone | {k for k, n in shared.items() if n >= 2}
    out: dict[str, list[str]] = {}
    for raw, parts in parts_of.items():
        known = sum(value_key(p, key) in known_keys for p in parts)
        out[raw] = parts if len(parts) > 1 and known >= 1 and 2 * known >= len(parts) else [raw]
    return out


def learn_attributes(
    records: Iterable[Any],
    *,
    min_products: int = DEFAULT_MIN_PRODUCTS,
    min_value_count: int = DEFAULT_MIN_VALUE_COUNT,
    reserved: Iterable[str] = (),
    known: Iterable[str] = (),
    texts: Iterable[str | None] | None = None,
) -> AttributeReport:
    """Find the facets in products' attribute tags (one record's field value each: see ``parse_attribute_tags``).

    A key becomes a facet when at least ``min_products`` products carry it and its values repeat; a key whose
    values are mostly years, numbers or measurements, or codes is left out as such, one whose values rarely
    repeat as free text. Spelling variants of a value become one value with synonyms (``value_key``); a value
    seen on fewer than ``min_value_count`` products is left out, unless it is a misspelling of a much commoner value
    (``tagllm.attributes.variants``: then it is a synonym of that), ``texts`` (each record's text, e.g. its title,
    in the records' order) show that one of its products states it, or one of its products lists it in one tag beside
    a value that recurs ("Everyday, Work, Wedding and Engagement": Work is an item of the catalogue's list).
    ``reserved``: facet names already taken; ``known``: names and titles of facets the taxonomy has, whose keys are
    left out (their tags are that facet's).
    """
    report = AttributeReport([], [])
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    per_key: dict[str, list[tuple[list[str], str]]] = defaultdict(list)  # key -> (raw values, text) per product
    for raw, text in zip(records, repeat(None) if texts is None else texts, strict=False):
        report.records += 1
        nested: list[tuple[str, Any]] = []  # {"Size": {"EU": "40"}}: its Python repr was learned as a value
        pairs, bad = parse_attribute_tags(raw, nested)
        shown = nested[: max(0, 20 - len(report.nested))]
        report.nested.extend(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in shown)
        report.nested_count += len(nested)
        report.unparseable.extend(bad[: max(0, 20 - len(report.unparseable))])
        report.unparseable_count += len(bad)
        if pairs or nested:
            report.with_tags += 1
        mine: dict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            if is_placeholder(value):
                report.placeholders += 1
                continue
            k = key_of(key)
            if not k:  # " : Red", "-: Blue", "%%: Green" name no attribute: learned, they made one facet named 'x'
                report.unparseable_count += 1
                if len(report.unparseable) < 20:
                    report.unparseable.append(f"{key}: {value}")
                continue
            spellings[k][key] += 1
            mine[k].append(value)
        for k, values in mine.items():
            per_key[k].append((values, text or ""))
    taken = {_slug(r) for r in reserved}
    known_keys = {key_of(name) for name in known}
    for k, products in sorted(per_key.items(), key=lambda kv: -len(kv[1])):
        title = spellings[k].most_common(1)[0][0]
        if k in known_keys:  # learned again beside it ('color-attribute', titled 'Color'), no tag named either
            examples = [v for v, _ in Counter(v for values, _ in products for v in values).most_common(3)]
            report.left_out.append(LeftOut(title, len(products), "a facet of the taxonomy already", examples))
            continue
        learned = _learn_key(title, products, min_products, min_value_count)
        if isinstance(learned, LeftOut):
            report.left_out.append(learned)
            continue
        name = _slug(title)
        while name in taken:
            name = f"{name}-attribute"
        taken.add(name)
        learned.name = name
        learned.spellings = [s for s, _ in spellings[k].most_common()]
        for v in learned.values:
            v.id = f"{name}/{v.id}"
        report.facets.append(learned)
    return report


def _learn_key(
    title: str, products: list[tuple[list[str], str]], min_products: int, min_value_count: int
) -> LearnedFacet | LeftOut:
    """The facet one attribute key becomes, or why it is left out: too few products, values that are numbers, codes
    or free text, or a single value."""
    counts = Counter(v for values, _ in products for v in values)
    examples = [v for v, _ in counts.most_common(3)]
    carriers = len(products)
    if carriers < min_products:
        return LeftOut(title, carriers, f"too few products (under {min_products})", examples)
    read = _KeyValues.read(title, products, _split_multi(list(counts), title))
    if len(read.per_product) < min_products:
        return LeftOut(title, carriers, KIND_REASONS[read.kinds.most_common(1)[0][0]], examples)
    variants = read.merge_misspellings()
    support = read.support()
    repeated = sum(1 for keys in read.per_product if any(support[v] >= 2 for v in keys))
    if repeated < MIN_REPEAT_SHARE * len(read.per_product):
        distinct = len(support)
        return LeftOut(title, carriers, f"free text (values rarely repeat: {distinct} distinct)", examples)
    # A value below the count is as often a typo or a one-off description as a real value, but one that its product's
    # text states is a real value that a new product stating it can be given, and so is one that a product lists in
    # one tag beside values that recur (a jewellery listing's "Everyday, Work, Wedding and Engagement, Special,
    # Love"): an item of the catalogue's own list of values, not a description (a misspelling of a listed value was
    # merged into it above).
    beside = _listed_beside_recurring(read.listed, support, min_value_count)
    kept = [v for v, n in support.items() if n >= min_value_count or v in read.stated or v in beside]
    if len(kept) < 2:
        reason = "a single value (nothing to choose)" if kept else "free text (no value repeats)"
        return LeftOut(title, carriers, reason, examples)
    rare = [v for v in support if support[v] < min_value_count and v not in read.stated and v not in beside]
    kept_keys = set(kept)  # once, not per product: a key of thousands of values on as many products took minutes
    multi = sum(1 for keys in read.per_product if len(keys & kept_keys) > 1)
    kinds, groups = read.kinds, read.groups
    return LearnedFacet(
        name="",
        title=title,
        spellings=[],
        values=read.learned_values(kept, support),
        products=len(read.per_product),
        multi_valued=multi >= 2 and multi >= MIN_MULTI_SHARE * len(read.per_product),
        rare_values=len(rare),
        merged=[(spelling, _value_name(groups[target])) for spelling, target in variants],
        rare_examples=[_value_name(groups[v]) for v in rare[:5]],
        odd_values=sum(kinds.values()),
        odd_reason=KIND_REASONS[kinds.most_common(1)[0][0]].split(" (")[0] if kinds else "",
    )


@dataclass
class _KeyValues:
    """The values one attribute key carries across the products, by value key (a value's spellings folded), with
    what decides which are kept: how many products carry each, which a product's text states, which a product lists
    in one tag beside others, and the values that are no value (numbers, dates, codes) counted by kind."""

    kinds: Counter[str] = field(default_factory=Counter)
    per_product: list[set[str]] = field(default_factory=list)
    groups: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # value key -> spellings
    stated: set[str] = field(default_factory=set)  # value keys that a product's own text states
    # per product, the value keys it lists in one tag beside others ("Casual, Party")
    listed: list[set[str]] = field(default_factory=list)
    noted: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # a size's spellings with a note

    @classmethod
    def read(cls, title: str, products: list[tuple[list[str], str]], split: dict[str, list[str]]) -> _KeyValues:
        """Read each product's values of the key (``split``: how each raw value splits into values). Numbers, dates,
        codes and descriptions are dropped value by value: "Length" holds "Midi/Knee Length" for dresses and "94 inch
        / 240 cm" for curtains, and the first kind still makes a facet."""
        read = cls()
        for tags, text in products:
            keys = set()
            in_lists: set[str] = set()
            for raw_value, part in ((r, p) for r in tags for p in split[r]):
                kind = value_kind(part)
                if kind is not None:
                    read.kinds[kind] += 1
                    continue
                size = noted_size(part)  # "M (38)" is the size M, its note a spelling of it
                vkey = value_key(size or part, title)
                read.groups[vkey][size or part] += 1
                if size:
                    read.noted[vkey].add(part)
                keys.add(vkey)
                if len(split[raw_value]) > 1:
                    in_lists.add(vkey)
                if text and vkey not in read.stated and states(text, part):
                    read.stated.add(vkey)
            if keys:
                read.per_product.append(keys)
                read.listed.append(in_lists)
        return read

    def support(self) -> Counter[str]:
        """How many products carry each value key."""
        return Counter(vkey for keys in self.per_product for vkey in keys)

    def merge_misspellings(self) -> list[tuple[str, str]]:
        """Merge each misspelt value into the value it misspells: its products count for that value, and its
        spellings become synonyms. Returns (misspelling, the value's key it merged into) for the report."""
        support = self.support()
        words = {v: normalize(self.groups[v].most_common(1)[0][0]).split() for v in support}
        merged = merge_variants(support, words)
        variants: list[tuple[str, str]] = []
        if not merged:
            return variants
        self.per_product = [{merged.get(v, v) for v in keys} for keys in self.per_product]
        for variant, target in merged.items():
            variants.extend((spelling, target) for spelling in self.groups[variant])
            self.groups[target].update(self.groups.pop(variant))
        self.stated = {merged.get(v, v) for v in self.stated}
        self.listed = [{merged.get(v, v) for v in keys} for keys in self.listed]
        return variants

    def learned_values(self, kept: list[str], support: Counter[str]) -> list[LearnedValue]:
        """The kept value keys as facet values, commonest first: named by their commonest spelling, the other
        spellings (and a size's noted spellings) as synonyms, each with an id of its own."""
        values: list[LearnedValue] = []
        used: set[str] = set()
        for vkey in sorted(kept, key=lambda v: (-support[v], v)):
            name = _value_name(self.groups[vkey])
            spellings = [*self.groups[vkey], *sorted(self.noted[vkey])]
            synonyms = list(dict.fromkeys(s for s in spellings if normalize(s) != normalize(name)))
            vid = _slug(name)
            while vid in used:
                vid += "-2"
            used.add(vid)
            values.append(LearnedValue(vid, name, synonyms, support[vkey]))
        return values


def _value_name(spellings: Counter[str]) -> str:
    """A value's name: its commonest spelling once tidied ("Cotton." and "Cotton" are counted as one spelling)."""
    tidied: Counter[str] = Counter()
    for spelling, count in spellings.items():
        tidied[tidy_value(spelling)] += count
    return tidied.most_common(1)[0][0]


def with_attribute_facets(taxonomy: Taxonomy, report: AttributeReport) -> Taxonomy:
    """A new taxonomy: ``taxonomy``'s facets plus the learned ones (applying everywhere until scoped)."""
    facets = dict(taxonomy.facets)
    values = dict(taxonomy.values)
    for f in report.facets:
        facets[f.name] = Facet(f.name, f.title, "", hierarchical=False, multi_valued=f.multi_valued)
        for v in f.values:
            values[v.id] = Value(v.id, v.name, f.name, synonyms=tuple(v.synonyms))
    languages = taxonomy.languages
    if "zh-CN" not in languages and any(has_cjk(v.name) for f in report.facets for v in f.values):
        languages = (*languages, "zh-CN")
    return Taxonomy(taxonomy.name, facets, values, source=taxonomy.source, languages=languages)


def _listed_beside_recurring(listed: list[set[str]], support: Counter[str], min_value_count: int) -> set[str]:
    """The value keys that some product lists in one tag beside a value seen on at least ``min_value_count``
    products."""
    out: set[str] = set()
    for keys in listed:
        recurring = {v for v in keys if support[v] >= min_value_count}
        if recurring:
            out.update(v for v in keys if recurring - {v})
    return out
