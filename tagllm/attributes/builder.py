"""``learn_taxonomy``: a category tree plus the attribute facets of labelled products, scoped to where they apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.attributes.facets import (
    DEFAULT_MIN_PRODUCTS,
    DEFAULT_MIN_VALUE_COUNT,
    AttributeReport,
    learn_attributes,
    with_attribute_facets,
)
from tagllm.attributes.resolver import AttributeResolver
from tagllm.attributes.scopes import DEFAULT_EVERYWHERE_SHARE, DEFAULT_SCOPE_SHARE, DEFAULT_SCOPE_SUPPORT, learn_scopes
from tagllm.missing import is_empty_field
from tagllm.taxonomy import Taxonomy

if TYPE_CHECKING:
    from tagllm.retrieval.examples import LabelResolver

SHOWN = 10  # skipped records the summary lists; the rest are counted
# no index is built here: a record with no category tag still gives its attribute tags
CATEGORY_LEFT_OUT = "this {} counts for no category"


@dataclass
class LearnedTaxonomy:
    """What ``learn_taxonomy`` built, and what a user should know about how."""

    taxonomy: Taxonomy
    attributes: AttributeReport | None
    scopes: dict[str, frozenset[str] | None]
    records: int = 0
    with_category: int = 0
    bad_records: list[str] = field(default_factory=list)
    missing_field: str | None = None  # the attribute field when no record has it, and the fields they have
    # facet of the extended taxonomy -> value text its facet lacks -> products giving it (left out: not learned)
    lacking: dict[str, dict[str, int]] = field(default_factory=dict)
    lacking_products: int = 0  # the products that give one or more of them
    # facet of the extended taxonomy whose scope was learned -> its scope there (None: everywhere)
    earlier: dict[str, frozenset[str] | None] = field(default_factory=dict)
    # records whose category label named nothing in the taxonomy: read for their attribute tags, not for scopes
    bad_categories: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        lines = self.attributes.summary() if self.attributes else []
        if self.missing_field:
            lines.insert(1, self.missing_field)
        lines.extend(self._lacking())
        lines.append(f"{self.with_category} of {self.records} record(s) have a category of the taxonomy")
        for facet, scope in self.scopes.items():
            roots = self.taxonomy.scope_roots(facet)
            if roots is None:
                lines.append(f"  {facet}: applies everywhere")
            else:
                shown = "; ".join(self.taxonomy.path_of(r) for r in roots[:4]) + ("; …" if len(roots) > 4 else "")
                lines.append(f"  {facet}: applies to {len(scope or ())} categories in {len(roots)} subtree(s): {shown}")
            if facet in self.earlier and (before := self.earlier[facet]) != scope:  # a facet of the extended one
                was = "was everywhere" if before is None else f"kept its {len(before)} from before, widened"
                lines[-1] += f" ({was})"
        lines.extend(_listed("skipped", self.bad_records, ""))
        uses = " (its attribute tags are learned from; it counts for no facet's scope)" if self.attributes else ""
        lines.extend(_listed("category left out", self.bad_categories, uses))
        return lines

    def _lacking(self) -> list[str]:
        """The values products give for a facet the extended taxonomy has, which it lacks: its key was left out as
        "a facet of the taxonomy already", these values with it."""
        if not self.lacking:
            return []
        values = sum(len(texts) for texts in self.lacking.values())
        products = self.lacking_products
        lines = [f"values the taxonomy's facets lack, left out: {values} value(s) on {products} product(s)"]
        for facet, texts in self.lacking.items():
            ranked = sorted(texts.items(), key=lambda kv: -kv[1])
            shown = ", ".join(f"{text!r} ({n})" for text, n in ranked[:8]) + (", …" if len(ranked) > 8 else "")
            lines.append(f"  {facet}: {shown}")
        lines.append("  (add them to the taxonomy the build extends to have them learned)")
        return lines


def _listed(what: str, problems: list[str], note: str) -> list[str]:
    """The first ``SHOWN`` problems, each a line, and how many more there are (each counted, if not named)."""
    lines = [f"{what}: {problem}{note}" for problem in problems[:SHOWN]]
    if len(problems) > SHOWN:
        lines.append(f"{what}: … and {len(problems) - SHOWN} more (not listed: fix these and run again)")
    return lines


def learn_taxonomy(
    source: str | Path,
    taxonomy: Taxonomy,
    *,
    label_field: str | None = "gold_category",
    attribute_field: str | None = "gold_attribute_tags",
    learn_facets: bool = True,
    text_field: str | None = "title",
    min_products: int = DEFAULT_MIN_PRODUCTS,
    min_value_count: int = DEFAULT_MIN_VALUE_COUNT,
    min_support: int = DEFAULT_SCOPE_SUPPORT,
    min_share: float = DEFAULT_SCOPE_SHARE,
    everywhere_share: float = DEFAULT_EVERYWHERE_SHARE,
    name: str | None = None,
    input_format: str | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> LearnedTaxonomy:
    """``taxonomy`` (its category tree) plus the attribute facets of labelled products, scoped to where they apply.

    ``attribute_field`` holds each product's attribute tags (see ``parse_attribute_tags``; None: none);
    ``learn_facets`` False learns no new facet from them, only where the taxonomy's facets they name apply;
    ``text_field`` its text (a rare value that its product's text
    states is kept; None: no rare value is); ``label_field`` its category ("A > B > C", an id, or a
    ``{facet: [values]}`` mapping that may label other facets too). Facets are learned by ``learn_attributes``,
    scopes by ``learn_scopes``. ``progress(stage, done, total)`` is told each stage and the records it has done.
    """
    from tagllm.retrieval.index import LabelResolver

    tell = progress or (lambda stage, done, total: None)
    records, bad = _read(source, input_format, tell)
    extended = set(taxonomy.facets)  # the facets the taxonomy had: values they lack are not learned
    earlier = {name: f.categories for name, f in taxonomy.facets.items() if not f.hierarchical}
    report = None
    missing: str | None = None
    if attribute_field and learn_facets:
        tell("learning facets from the attribute tags", 0, None)
        report = _learn_facets(records, taxonomy, attribute_field, text_field, min_products, min_value_count)
        taxonomy = with_attribute_facets(taxonomy, report)
        missing = _missing_field(records, attribute_field)
    if name:
        taxonomy = Taxonomy(name, dict(taxonomy.facets), dict(taxonomy.values), taxonomy.source, taxonomy.languages)
    labels = _Labels(LabelResolver(taxonomy), AttributeResolver(taxonomy) if attribute_field else None, extended)
    for done, (line, data) in enumerate(records, 1):
        tell("reading the labels", done, len(records))
        labels.read(data, f"{source}:{line}", label_field, attribute_field)
    tell("learning where each facet applies", 0, None)
    scopes = learn_scopes(
        taxonomy, labels.labelled, min_support=min_support, min_share=min_share, everywhere_share=everywhere_share,
        earlier={name: scope for name, scope in earlier.items() if scope is not None},
    )  # fmt: skip
    if scopes:
        taxonomy = taxonomy.with_scopes(dict(scopes))
    return LearnedTaxonomy(
        taxonomy, report, scopes, len(records), labels.with_category, bad, missing, labels.lacking,
        labels.lacking_products, {name: scope for name, scope in earlier.items() if name in scopes},
        labels.bad_categories,
    )  # fmt: skip


def _read(
    source: str | Path, input_format: str | None, tell: Callable[[str, int, int | None], None]
) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """The records of ``source`` with their lines, and the messages of those that could not be read."""
    from tagllm.io import read_records

    records: list[tuple[int, dict[str, Any]]] = []
    bad: list[str] = []
    for record in read_records(source, format=input_format):
        if record.data is None:
            bad.append(record.error.message if record.error else f"{source}:{record.line}: unreadable")
        else:
            records.append((record.line, record.data))
        tell("read", len(records) + len(bad), None)
    return records, bad


def _learn_facets(
    records: list[tuple[int, dict[str, Any]]],
    taxonomy: Taxonomy,
    attribute_field: str,
    text_field: str | None,
    min_products: int,
    min_value_count: int,
) -> AttributeReport:
    """The facets the records' attribute tags give that ``taxonomy`` does not have already."""
    from tagllm.io.rows import OWN_COLUMNS, SOURCE_COLUMN

    return learn_attributes(
        (data.get(attribute_field) for _, data in records),
        min_products=min_products,
        min_value_count=min_value_count,
        # a facet named 'status' cannot be written to CSV, one named 'source' to a routed run's CSV
        reserved=[*taxonomy.facets, *OWN_COLUMNS, SOURCE_COLUMN],
        # its category tree's too: a 'Category: T-Shirts' tag was learned as a flat copy of the tree beside it; and
        # its labels: a '颜色: 红色' tag was learned as a facet '颜色' beside Shopify's color, labelled 颜色
        known=[t for name, f in taxonomy.facets.items() for t in (name, f.title or name, *dict(f.labels).values())],
        texts=(str(data.get(text_field) or "") for _, data in records) if text_field else None,
    )


def _missing_field(records: list[tuple[int, dict[str, Any]]], attribute_field: str) -> str | None:
    """What to say when no record has the attribute field: said apart from records whose tags are empty, as a
    misnamed field learns nothing, and read as no tags."""
    if not records or any(attribute_field in data for _, data in records):
        return None
    fields = sorted({str(k) for _, data in records for k in data})
    shown = ", ".join(fields[:20]) + (f", … ({len(fields) - 20} more)" if len(fields) > 20 else "")
    return (
        f"no record has the field {attribute_field!r} (their fields: {shown}): no facet was learned; "
        "name the field that holds the tags"
    )


class _Labels:
    """The labels of each record read so far, for learning scopes, and what a user should hear of them: the records
    with a category, the category labels that named nothing, the values the taxonomy's own facets lack."""

    def __init__(self, resolver: LabelResolver, attributes: AttributeResolver | None, extended: set[str]) -> None:
        self.resolver = resolver
        self.attributes = attributes
        self.extended = extended  # the facets the taxonomy had: values they lack are not learned
        self.labelled: list[dict[str, list[str]]] = []
        self.with_category = 0
        self.bad_categories: list[str] = []  # a record's tags still count: it is not skipped
        self.lacking: dict[str, dict[str, int]] = {}
        self.lacking_products = 0

    def read(self, data: dict[str, Any], where: str, label_field: str | None, attribute_field: str | None) -> None:
        """Read the labels of one record (at ``where``) from its category and attribute fields."""
        from tagllm.retrieval.index import labels_from_record

        labels: dict[str, list[str]] = {}
        if label_field and not is_empty_field(data.get(label_field)):
            found = labels_from_record(data, label_field, self.resolver, where, left_out=CATEGORY_LEFT_OUT)
            if isinstance(found, dict):
                labels.update(found)
            else:
                self.bad_categories.append(found.message)
        if self.attributes is not None and attribute_field:
            self._read_attributes(data.get(attribute_field), labels, self.attributes)
        self.with_category += any(self.resolver.taxonomy.facets[f].hierarchical for f in labels)
        self.labelled.append(labels)

    def _read_attributes(self, tags: Any, labels: dict[str, list[str]], attributes: AttributeResolver) -> None:
        """Add the attribute ``tags`` the taxonomy resolves to ``labels``; count those of its own facets it lacks."""
        resolved, unresolved = attributes.resolve(tags)
        for facet, ids in resolved.items():
            labels.setdefault(facet, []).extend(i for i in ids if i not in labels.get(facet, []))
        lacks = False
        for key, text, why in unresolved:
            named = attributes.facet(key) if why == "not in taxonomy" else None
            if named is not None and named in self.extended:
                texts = self.lacking.setdefault(named, {})
                texts[text] = texts.get(text, 0) + 1
                lacks = True
        self.lacking_products += lacks
