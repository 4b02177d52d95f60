"""Facets learned from labelled data: attribute facets from "Key: Value" tags, and where each facet applies."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagllm.taxonomy import CATEGORY, Facet, Taxonomy, Value
from tagllm.text import IRREGULAR_PLURALS, has_cjk, normalize, singular

DEFAULT_MIN_PRODUCTS = 5  # a key seen on fewer products says too little to be a facet
DEFAULT_MIN_VALUE_COUNT = 2  # a value seen once is as often a typo or a one-off description as a real value
MIN_REPEAT_SHARE = 0.5  # below this share of products whose value another product shares, a key is free text
MAX_VALUE_WORDS, MAX_VALUE_CHARS = 6, 40  # a value longer than this is a description, not a tag
MIN_MULTI_SHARE = 0.02  # products with several values of a key, above which the facet is multi-valued
DEFAULT_SCOPE_SUPPORT = 3  # examples carrying a facet that a category needs before the facet is scoped to it
DEFAULT_SCOPE_SHARE = 0.3  # ... and the share of the category's attribute-labelled examples they must be
DEFAULT_EVERYWHERE_SHARE = 0.9  # a facet carried by this share of all attribute-labelled examples applies everywhere

# Values that say nothing about the product: a facet gets no value for them.
PLACEHOLDERS = frozenset(
    {"", "na", "n a", "none", "null", "nil", "other", "others", "not applicable", "unknown", "no information",
     "其他", "其它", "其他 other", "无", "见描述", "见详情", "不详", "未知", "详见描述"}
)  # fmt: skip
# British and American spellings a catalogue mixes; values and keys are compared in one of them.
SPELLINGS = {
    "colour": "color", "colours": "colors", "coloured": "colored", "multicolour": "multicolor", "grey": "gray",
    "jewellery": "jewelry", "aluminium": "aluminum", "fibre": "fiber", "centre": "center", "metre": "meter",
    "litre": "liter", "organiser": "organizer", "favourite": "favorite", "tyre": "tire",
}  # fmt: skip
_SPLIT = re.compile(r"\s*[,，、;；]\s*")
_TAG_ITEMS = re.compile(r"\s*(?:;|\||\n)\s*")  # items of a CSV cell: "Color: Red; Material: Cotton"
_KEY_VALUE = re.compile(r"^\s*([^:：]+?)\s*[:：]\s*(.+?)\s*$", re.DOTALL)
_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
_TOKENS = re.compile(r"[a-z]+|\d+|[^\W\d_a-z]+", re.UNICODE)
_UNITS = frozenset({
    "mm", "cm", "m", "km", "in", "inch", "inches", "ft", "feet", "g", "gm", "gms", "gram", "grams", "kg", "mg", "lb",
    "lbs", "oz", "ml", "l", "ltr", "liter", "litre", "w", "kw", "v", "mah", "gb", "mb", "tb", "kb", "mbps", "gbps",
    "kbps", "hz", "khz", "mhz", "ghz", "rpm", "mp", "px", "dpi", "pcs", "pc", "piece", "pieces", "pack", "of", "x",
    "to", "k",
})  # fmt: skip
_CJK_UNITS = frozenset({
    "毫米", "厘米", "公分", "米", "英寸", "寸", "克", "千克", "公斤", "斤", "毫升", "升", "个月", "月", "年", "天",
    "周岁", "岁", "片", "支", "只", "个", "件", "瓦", "伏", "包", "袋", "瓶", "盒", "套", "张", "层", "码", "号", "度",
})  # fmt: skip


# -- parsing ---------------------------------------------------------------------------------------------------
def parse_attribute_tags(raw: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """(key, value) pairs from a record's attribute field, and the items that are not "Key: Value".

    The field may hold a list of "Key: Value" strings (``gold_attribute_tags``), a mapping of key to a value or a
    list of values (sellers' ``attributes``), or one string: a JSON list or mapping, or items separated by ``;``,
    ``|`` or new lines (a CSV cell). Chinese full-width colons count as colons.
    """
    if raw is None or raw == "":
        return [], []
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in "[{":
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                raw = _TAG_ITEMS.split(text)
        else:
            raw = _TAG_ITEMS.split(text)
    pairs: list[tuple[str, str]] = []
    bad: list[str] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            for item in value if isinstance(value, list) else [value]:
                if item is not None and str(item).strip() and str(key).strip():
                    pairs.append((str(key).strip(), " ".join(str(item).split())))
        return pairs, bad
    if not isinstance(raw, list):
        return [], [str(raw)]
    for item in raw:
        match = _KEY_VALUE.match(str(item)) if item is not None else None
        if match is None:
            if item is not None and str(item).strip():
                bad.append(str(item))
            continue
        pairs.append((match.group(1), " ".join(match.group(2).split())))
    return pairs, bad


# -- comparison keys -------------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("’", "")
    text = re.sub(r"\b100\s*%\s*", " ", text)  # "100% Cotton" is cotton
    words = [SPELLINGS.get(w, w) for w in normalize(text).split()]
    return [IRREGULAR_PLURALS.get(s, s) for s in (singular(w) for w in words)]


@functools.lru_cache(maxsize=1 << 16)
def key_of(key: str) -> str:
    """The comparison key of an attribute key: "Colour", "color" and "COLORS" meet."""
    return "".join(_words(key)) or normalize(key)


@functools.lru_cache(maxsize=1 << 16)
def value_key(value: str, key: str = "") -> str:
    """The comparison key that merges a value's spelling variants within one attribute key.

    Case, punctuation, spaces, apostrophes, plurals and British spellings are folded ("Women's", "Womens",
    "women" meet; so do "V-Neck" and "V Neck"), and words repeating the key are dropped when others remain
    ("Round Neck" under Neck is "Round").
    """
    words = _words(value)
    key_words = set(_words(key)) if key else set()
    kept = [w for w in words if w not in key_words]
    return "".join(kept or words) or normalize(value)


@functools.lru_cache(maxsize=1 << 16)
def is_placeholder(value: str) -> bool:
    """Whether a value says nothing ("NA", "Other", "其他/other", "见描述")."""
    return normalize(value) in PLACEHOLDERS


@functools.lru_cache(maxsize=1 << 16)
def _kind(value: str) -> str | None:
    """What a value looks like when it is not a category-like word: 'date', 'number' or 'code'."""
    text = unicodedata.normalize("NFKC", value).casefold()
    if _YEAR.search(text):
        return "date"
    tokens = _TOKENS.findall(text)
    if any(t.isdigit() for t in tokens) and all(t.isdigit() or t in _UNITS or t in _CJK_UNITS for t in tokens):
        return "number"
    letters = [t for t in tokens if t.isascii() and t.isalpha() and t not in _UNITS]
    if " " not in text.strip() and any(t.isdigit() for t in tokens) and (letters or re.search(r"\d{5}", text)):
        return "code"
    return None


_KIND_REASONS = {
    "date": "years or dates",
    "number": "numbers or measurements",
    "code": "codes or model numbers",
    "text": "free text (long descriptions)",
}


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
    unparseable: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        """Lines a user reads: each facet with its values, then each reason with the keys it left out."""
        lines = [f"{self.with_tags} of {self.records} record(s) carry attribute tags; {len(self.facets)} facet(s):"]
        for f in self.facets:
            kind = "multi-valued" if f.multi_valued else "single-valued"
            shown = ", ".join(v.name for v in f.values[:8]) + (", …" if len(f.values) > 8 else "")
            rare = f"; {f.rare_values} rare value(s) left out" if f.rare_values else ""
            if f.odd_values:
                rare += f"; {f.odd_values} tag(s) left out as {f.odd_reason}"
            lines.append(f"  {f.name} ({f.title!r}, {kind}): {len(f.values)} values from {f.products} products{rare}")
            lines.append(f"    {shown}")
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
            lines.append(f"{self.placeholders} placeholder value(s) such as 'NA' or 'Other' ignored")
        if self.unparseable:
            lines.append(f"{len(self.unparseable)} item(s) not of the form 'Key: Value', e.g. {self.unparseable[0]!r}")
        return lines


def _slug(text: str) -> str:
    return "-".join(normalize(text.replace("'", "").replace("’", "")).split()) or "x"


def _split_multi(values: list[str], key: str) -> dict[str, list[str]]:
    """How each raw value splits into values: "Women, Girls" does when its parts are values of their own."""
    distinct = set(values)
    standalone = {value_key(v, key) for v in distinct if not _SPLIT.search(v)}
    out: dict[str, list[str]] = {}
    for raw in distinct:
        parts = [p for p in _SPLIT.split(raw) if p.strip()]
        known = sum(value_key(p, key) in standalone for p in parts)
        out[raw] = parts if len(parts) > 1 and known >= 1 and 2 * known >= len(parts) else [raw]
    return out


def learn_attributes(
    records: Iterable[Any],
    *,
    min_products: int = DEFAULT_MIN_PRODUCTS,
    min_value_count: int = DEFAULT_MIN_VALUE_COUNT,
    reserved: Iterable[str] = (),
) -> AttributeReport:
    """Find the facets in products' attribute tags (one record's field value each: see ``parse_attribute_tags``).

    A key becomes a facet when at least ``min_products`` products carry it and its values repeat; a key whose
    values are mostly years, numbers or measurements, or codes is left out as such, one whose values rarely
    repeat as free text. Spelling variants of a value become one value with synonyms (``value_key``); a value
    seen on fewer than ``min_value_count`` products is left out. ``reserved``: facet names already taken.
    """
    report = AttributeReport([], [])
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    per_key: dict[str, list[list[str]]] = defaultdict(list)  # key -> one list of raw values per product
    for raw in records:
        report.records += 1
        pairs, bad = parse_attribute_tags(raw)
        report.unparseable.extend(bad[: max(0, 20 - len(report.unparseable))])
        if pairs:
            report.with_tags += 1
        mine: dict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            if is_placeholder(value):
                report.placeholders += 1
                continue
            k = key_of(key)
            spellings[k][key] += 1
            mine[k].append(value)
        for k, values in mine.items():
            per_key[k].append(values)
    taken = {_slug(r) for r in reserved}
    for k, products in sorted(per_key.items(), key=lambda kv: -len(kv[1])):
        title = spellings[k].most_common(1)[0][0]
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


def _value_kind(value: str) -> str | None:
    """Why a value is not a tag: it is a year or date, a number or measurement, a code, or a long description."""
    kind = _kind(value)
    if kind is None and (len(value.split()) > MAX_VALUE_WORDS or len(value) > MAX_VALUE_CHARS):
        return "text"
    return kind


def _learn_key(
    title: str, products: list[list[str]], min_products: int, min_value_count: int
) -> LearnedFacet | LeftOut:
    counts = Counter(v for values in products for v in values)
    examples = [v for v, _ in counts.most_common(3)]
    carriers = len(products)
    if carriers < min_products:
        return LeftOut(title, carriers, f"too few products (under {min_products})", examples)
    # Numbers, dates, codes and descriptions are dropped value by value: "Length" holds "Midi/Knee Length" for
    # dresses and "94 inch / 240 cm" for curtains, and the first kind still makes a facet.
    split = _split_multi(list(counts), title)
    kinds: Counter[str] = Counter()
    per_product: list[set[str]] = []
    groups: dict[str, Counter[str]] = defaultdict(Counter)  # value key -> spellings
    for tags in products:
        keys = set()
        for part in (p for raw in tags for p in split[raw]):
            kind = _value_kind(part)
            if kind is not None:
                kinds[kind] += 1
                continue
            vkey = value_key(part, title)
            groups[vkey][part] += 1
            keys.add(vkey)
        if keys:
            per_product.append(keys)
    if len(per_product) < min_products:
        return LeftOut(title, carriers, _KIND_REASONS[kinds.most_common(1)[0][0]], examples)
    support = Counter(vkey for keys in per_product for vkey in keys)
    repeated = sum(1 for keys in per_product if any(support[v] >= 2 for v in keys))
    if repeated < MIN_REPEAT_SHARE * len(per_product):
        distinct = len(support)
        return LeftOut(title, carriers, f"free text (values rarely repeat: {distinct} distinct)", examples)
    kept = [v for v, n in support.items() if n >= min_value_count]
    if len(kept) < 2:
        reason = "a single value (nothing to choose)" if kept else "free text (no value repeats)"
        return LeftOut(title, carriers, reason, examples)
    values: list[LearnedValue] = []
    used: set[str] = set()
    for vkey in sorted(kept, key=lambda v: (-support[v], v)):
        name = groups[vkey].most_common(1)[0][0]
        synonyms = list(dict.fromkeys(s for s in groups[vkey] if normalize(s) != normalize(name)))
        vid = _slug(name)
        while vid in used:
            vid += "-2"
        used.add(vid)
        values.append(LearnedValue(vid, name, synonyms, support[vkey]))
    rare = [v for v in support if support[v] < min_value_count]
    multi = sum(1 for keys in per_product if len(keys & set(kept)) > 1)
    return LearnedFacet(
        name="",
        title=title,
        spellings=[],
        values=values,
        products=len(per_product),
        multi_valued=multi >= 2 and multi >= MIN_MULTI_SHARE * len(per_product),
        rare_values=len(rare),
        rare_examples=[groups[v].most_common(1)[0][0] for v in rare[:5]],
        odd_values=sum(kinds.values()),
        odd_reason=_KIND_REASONS[kinds.most_common(1)[0][0]].split(" (")[0] if kinds else "",
    )


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


# -- tags onto a taxonomy --------------------------------------------------------------------------------------
class AttributeResolver:
    """Maps "Key: Value" tags onto a taxonomy's flat facets: the key by facet name or title, the value by id, name,
    synonym or the same spelling-folded key the facets were learned with. Gold is never guessed: a value that
    matches nothing, or two values, stays unresolved."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._facets: dict[str, str | None] = {}
        for name, facet in taxonomy.facets.items():
            if facet.hierarchical:
                continue
            for text in {name, facet.title or name}:
                for k in (normalize(text), key_of(text)):
                    self._facets[k] = name if self._facets.get(k, name) == name else None
        self._values: dict[tuple[str, str], str | None] = {}
        for v in taxonomy.values.values():
            facet = taxonomy.facets[v.facet]
            if facet.hierarchical:
                continue
            for text in (v.name, *v.synonyms, *(label for _, label in v.labels)):
                for k in {normalize(text), value_key(text, facet.title or v.facet)}:
                    slot = (v.facet, k)
                    self._values[slot] = v.id if self._values.get(slot, v.id) == v.id else None

    def facet(self, key: str) -> str | None:
        """The facet an attribute key names, or None."""
        return self._facets.get(normalize(key)) or self._facets.get(key_of(key))

    def value(self, facet: str, text: str) -> tuple[list[str], list[str]]:
        """The value ids ``text`` names in ``facet`` (several for "Women, Girls"), and the parts that name none."""
        if text in self.taxonomy.values and self.taxonomy.values[text].facet == facet:
            return [text], []
        title = self.taxonomy.facets[facet].title or facet
        for k in (normalize(text), value_key(text, title)):
            vid = self._values.get((facet, k))
            if vid:
                return [vid], []
        parts = [p for p in _SPLIT.split(text) if p.strip()]
        if len(parts) < 2:
            return [], [text]
        ids: list[str] = []
        missed: list[str] = []
        for part in parts:
            found, lost = self.value(facet, part)
            ids.extend(i for i in found if i not in ids)
            missed.extend(lost)
        return ids, missed

    def resolve(self, raw: Any) -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
        """A record's attribute field as {facet: [value ids]}, plus (key, value, why) for what did not resolve.

        Keys that name no facet ("Style Code", left out when the facets were learned) and values that name no
        value of their facet are returned as unresolved; placeholders ("NA") are skipped."""
        pairs, bad = parse_attribute_tags(raw)
        labels: dict[str, list[str]] = {}
        unresolved = [("", item, "not 'Key: Value'") for item in bad]
        for key, text in pairs:
            if is_placeholder(text):
                continue
            facet = self.facet(key)
            if facet is None:
                unresolved.append((key, text, "unknown facet"))
                continue
            ids, missed = self.value(facet, text)
            unresolved.extend((key, m, "not in taxonomy") for m in missed if not is_placeholder(m))
            if ids:
                slot = labels.setdefault(facet, [])
                slot.extend(i for i in ids if i not in slot)
        return labels, unresolved


# -- where facets apply ----------------------------------------------------------------------------------------
def learn_scopes(
    taxonomy: Taxonomy,
    labels: Iterable[dict[str, list[str]]],
    *,
    min_support: int = DEFAULT_SCOPE_SUPPORT,
    min_share: float = DEFAULT_SCOPE_SHARE,
    everywhere_share: float = DEFAULT_EVERYWHERE_SHARE,
) -> dict[str, frozenset[str] | None]:
    """The categories each flat facet applies to, learned from which categories' examples carry it.

    ``labels`` holds each example's labels ({facet: [value ids]}). Only examples with a category and at least one
    other facet's label count (a product with no attribute tag says nothing about which attributes apply). Going
    down the category tree from its roots, a facet takes a category's whole subtree as soon as at least
    ``min_support`` of the subtree's counted examples carry it and they are at least ``min_share`` of them; else
    it looks at the children. So a facet seen on most T-shirts applies to the T-shirt subtree, and one seen across
    Clothing applies to all of Clothing, its unlabelled leaves included. A facet carried by ``everywhere_share`` of
    all counted examples, or taking every root, applies everywhere (None); one too rare to pass anywhere applies to
    the categories its examples come from. Facets no example carries are left out of the result (their scope
    stays as it was).
    """
    hierarchical = [name for name, f in taxonomy.facets.items() if f.hierarchical]
    category = CATEGORY if CATEGORY in taxonomy.facets else (hierarchical[0] if hierarchical else None)
    if category is None:
        return {}
    total: Counter[str] = Counter()  # category node -> counted examples in its subtree
    carried: dict[str, Counter[str]] = defaultdict(Counter)  # facet -> node -> examples carrying it
    counted = 0
    for example in labels:
        leaves = [v for v in example.get(category, []) if v in taxonomy.values]
        facets = [f for f, ids in example.items() if f != category and ids and f in taxonomy.facets]
        if not leaves or not facets:
            continue
        counted += 1
        nodes = {a for leaf in leaves for a in taxonomy.lineage(leaf)}
        total.update(nodes)
        for f in facets:
            carried[f].update(nodes)
    roots = [v.id for v in taxonomy.children(None) if v.facet == category]
    out: dict[str, frozenset[str] | None] = {}
    for facet, counts in carried.items():
        if taxonomy.facets[facet].hierarchical:
            continue
        carriers = sum(counts[r] for r in roots)
        if carriers >= everywhere_share * counted:
            out[facet] = None
            continue
        chosen: list[str] = []
        stack = [r for r in roots if counts[r]]
        while stack:
            node = stack.pop()
            if counts[node] >= min_support and counts[node] >= min_share * total[node]:
                chosen.append(node)
            else:
                stack.extend(c.id for c in taxonomy.children(node) if counts[c.id])
        if not chosen:  # too rare to pass anywhere: the categories its examples come from
            chosen = [n for n in counts if counts[n] and not any(counts[c.id] for c in taxonomy.children(n))]
        if set(roots) <= set(chosen):
            out[facet] = None
        else:
            out[facet] = frozenset(c for node in chosen for c in taxonomy.subtree(node))
    return out


# -- a taxonomy from labelled products -------------------------------------------------------------------------
@dataclass
class LearnedTaxonomy:
    """What ``learn_taxonomy`` built, and what a user should know about how."""

    taxonomy: Taxonomy
    attributes: AttributeReport | None
    scopes: dict[str, frozenset[str] | None]
    records: int = 0
    with_category: int = 0
    bad_records: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        lines = self.attributes.summary() if self.attributes else []
        lines.append(f"{self.with_category} of {self.records} record(s) have a category of the taxonomy")
        for facet, scope in self.scopes.items():
            roots = self.taxonomy.scope_roots(facet)
            if roots is None:
                lines.append(f"  {facet}: applies everywhere")
            else:
                shown = "; ".join(self.taxonomy.path_of(r) for r in roots[:4]) + ("; …" if len(roots) > 4 else "")
                lines.append(f"  {facet}: applies to {len(scope or ())} categories in {len(roots)} subtree(s): {shown}")
        for problem in self.bad_records[:10]:
            lines.append(f"skipped: {problem}")
        return lines


def learn_taxonomy(
    source: str | Path,
    taxonomy: Taxonomy,
    *,
    label_field: str | None = "gold_category",
    attribute_field: str | None = "gold_attribute_tags",
    min_products: int = DEFAULT_MIN_PRODUCTS,
    min_value_count: int = DEFAULT_MIN_VALUE_COUNT,
    min_support: int = DEFAULT_SCOPE_SUPPORT,
    min_share: float = DEFAULT_SCOPE_SHARE,
    everywhere_share: float = DEFAULT_EVERYWHERE_SHARE,
    name: str | None = None,
    input_format: str | None = None,
) -> LearnedTaxonomy:
    """``taxonomy`` (its category tree) plus the attribute facets of labelled products, scoped to where they apply.

    ``attribute_field`` holds each product's attribute tags (see ``parse_attribute_tags``; None: learn no new
    facet, only where the taxonomy's facets apply); ``label_field`` its category ("A > B > C", an id, or a
    ``{facet: [values]}`` mapping that may label other facets too). Facets are learned by ``learn_attributes``,
    scopes by ``learn_scopes``.
    """
    from tagllm.io import read_records
    from tagllm.retrieval.index import LabelResolver, labels_from_record

    records: list[tuple[int, dict[str, Any]]] = []
    bad: list[str] = []
    for record in read_records(source, format=input_format):
        if record.data is None:
            bad.append(record.error.message if record.error else f"{source}:{record.line}: unreadable")
        else:
            records.append((record.line, record.data))
    report = None
    if attribute_field:
        report = learn_attributes(
            (data.get(attribute_field) for _, data in records),
            min_products=min_products,
            min_value_count=min_value_count,
            reserved=taxonomy.facets,
        )
        taxonomy = with_attribute_facets(taxonomy, report)
    if name:
        taxonomy = Taxonomy(name, dict(taxonomy.facets), dict(taxonomy.values), taxonomy.source, taxonomy.languages)
    resolver = LabelResolver(taxonomy)
    attributes = AttributeResolver(taxonomy) if attribute_field else None
    labelled: list[dict[str, list[str]]] = []
    with_category = 0
    for line, data in records:
        labels: dict[str, list[str]] = {}
        if label_field and data.get(label_field) not in (None, "", [], {}):
            found = labels_from_record(data, label_field, resolver, f"{source}:{line}")
            if isinstance(found, dict):
                labels.update(found)
            else:
                bad.append(found.message)
        if attributes is not None and attribute_field:
            for facet, ids in attributes.resolve(data.get(attribute_field))[0].items():
                labels.setdefault(facet, []).extend(i for i in ids if i not in labels.get(facet, []))
        with_category += any(taxonomy.facets[f].hierarchical for f in labels)
        labelled.append(labels)
    scopes = learn_scopes(
        taxonomy, labelled, min_support=min_support, min_share=min_share, everywhere_share=everywhere_share
    )
    if scopes:
        taxonomy = taxonomy.with_scopes(dict(scopes))
    return LearnedTaxonomy(taxonomy, report, scopes, len(records), with_category, bad)
