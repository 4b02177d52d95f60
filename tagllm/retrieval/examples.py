"""Labelled examples: reading them from a file, their tags resolved exactly onto the taxonomy (gold is never
guessed), and the content id that tells a changed example from an unchanged one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError

from tagllm.errors import InputError, TagllmError
from tagllm.field_values import broken_json
from tagllm.missing import is_blank_cell, is_empty_field
from tagllm.models import LabelledProduct, RecordError
from tagllm.taxonomy import CATEGORY, Taxonomy
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.io import Record


class LabelResolver:
    """Turns a labelled record's tags (ids, paths or names, or a bilingual taxonomy's other-language labels and
    paths of them: 连衣裙, 服装 > 连衣裙) into value ids, exactly: gold is never guessed."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._exact: dict[tuple[str, str], list[str]] = {}
        self._keys: dict[tuple[str, str], list[str]] = {}
        self._labels: dict[tuple[str, str], list[str]] = {}  # looked up only when no name or path is the tag's
        for v in taxonomy.values.values():
            for text in {v.name, v.path or v.name}:
                self._exact.setdefault((v.facet, text), []).append(v.id)
                self._keys.setdefault((v.facet, normalize(text)), []).append(v.id)
            for text in taxonomy.other_names(v.id):
                self._labels.setdefault((v.facet, normalize(text)), []).append(v.id)

    def resolve(self, facet: str, label: str) -> str | None:
        """The value id for an id, a path or a name; None when unknown or when the name is ambiguous."""
        if label in self.taxonomy.values and self.taxonomy.values[label].facet == facet:
            return label
        for table, key in self._lookups(label):
            ids = table.get((facet, key), [])
            if len(set(ids)) == 1:
                return ids[0]
        return None

    def why_unresolved(self, facet: str, label: str) -> str:
        """Why ``resolve`` found no value of ``facet`` for ``label``, in words that say what to fix: "is not a value
        of the taxonomy" was said too of another facet's value ('color-red' given as a category) and of a name that
        several values share, each of which is in the taxonomy."""
        ids = next(
            (set(found) for table, key in self._lookups(label) if len(set(found := table.get((facet, key), []))) > 1),
            set(),
        )
        if ids:
            shown = ", ".join(sorted(ids)[:5])
            return f"names {len(ids)} values of {facet} ({shown}); give its id or its path"
        other = self.taxonomy.other_facet(facet, label, self._names)
        if other:
            return f"is {other}"
        return f"is not a value of taxonomy {self.taxonomy.name!r}"

    def _lookups(self, label: str) -> list[tuple[dict[tuple[str, str], list[str]], str]]:
        return [(self._exact, label.strip()), (self._keys, normalize(label)), (self._labels, normalize(label))]

    def _names(self, facet: str, label: str) -> bool:
        """Whether ``label`` names a value of ``facet``: by its id, or by a path or name of one value or of several (a
        name two values share there is still that facet's, not "not in the taxonomy")."""
        if label in self.taxonomy.values and self.taxonomy.values[label].facet == facet:
            return True
        return any(table.get((facet, key)) for table, key in self._lookups(label))


INDEX_LEFT_OUT = "a labelled example needs tags, so this {} is left out of the index"


def labels_from_record(
    data: dict[str, Any], label_field: str, resolver: LabelResolver, where: str, *, left_out: str = INDEX_LEFT_OUT
) -> dict[str, list[str]] | RecordError:
    """Read a record's labels: ``labels`` ({facet: [..]}), or a single path field such as ``gold_category``.
    ``left_out`` says what becomes of a record with no tags ("{}" is "record" or "row"): the reader of an index's
    examples leaves it out, a taxonomy build still reads its attribute tags."""
    raw = data.get(label_field)
    # the record named, as a product's bad field is: a line of a 3,000-row file did not say which product a
    # spreadsheet user should look up
    record_id = _given_id(data)
    record = where if record_id is None else f"{where}: record {record_id!r}"
    if label_field not in data:
        message = f"{record}: no {label_field!r} field; {left_out.format('record')}"
        return RecordError(field=label_field, record_id=record_id, message=message)
    if is_blank_cell(raw):  # a table's empty cell (or a record's null): its column is there, this row's cell is not
        message = f"{record}: the {label_field!r} cell is empty; {left_out.format('row')}"
        return RecordError(field=label_field, record_id=record_id, message=message)
    if broken := broken_json(raw):  # read as one category label, it was "not a value of taxonomy"
        message = f"{where}: {'' if record_id is None else f'record {record_id!r} '}field {label_field!r}: {broken}"
        return RecordError(field=label_field, record_id=record_id, message=message)
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        for facet, values in raw.items():
            given = values if isinstance(values, list) else [values]
            pairs.extend((str(facet), _tag_text(value)) for value in given if not is_blank_cell(value))
    elif isinstance(raw, str | int | float) and not isinstance(raw, bool):  # not blank: refused above
        # a Google category id written as a number (2271): it was "no tag in 'gold_category'"
        pairs.append((CATEGORY, _tag_text(raw)))
    elif isinstance(raw, list):
        pairs.extend((CATEGORY, _tag_text(v)) for v in raw if not is_blank_cell(v))
    if not pairs:  # [] or {}, or tags that are all blank
        message = f"{record}: no tag in {label_field!r}; {left_out.format('record')}"
        return RecordError(field=label_field, record_id=record_id, message=message)
    labels: dict[str, list[str]] = {}
    # the field named too: "category label" did not say which column of a table held it
    where = f"{where}: {'' if record_id is None else f'record {record_id!r} '}field {label_field!r}"
    for facet, value in pairs:
        if facet not in resolver.taxonomy.facets:
            message = f"{where}: {resolver.taxonomy.unknown_facet(facet)}"
            return RecordError(field=label_field, record_id=record_id, message=message)
        vid = resolver.resolve(facet, value)
        if vid is None:
            why = resolver.why_unresolved(facet, value)
            message = f"{where}: {facet} label {value!r} {why}"
            return RecordError(field=label_field, record_id=record_id, message=message)
        labels.setdefault(facet, []).append(vid)
    return labels


def _given_id(data: dict[str, Any]) -> str | None:
    """The record's id as given (text or a whole number), None when it has none a reader could look up."""
    given = data.get("id")
    if isinstance(given, bool) or not isinstance(given, str | int | float) or is_blank_cell(given):
        return None
    return _tag_text(given)


def _tag_text(value: Any) -> str:
    """A tag as text: a whole number that a table column of numbers with an empty cell made a float (2271.0) is
    written as its id is, 2271."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class RepeatedExample(RecordError):
    """An example whose id a later record of the file gives again: not unusable, superseded by that record."""


def read_examples(
    source: str | Path,
    taxonomy: Taxonomy,
    *,
    label_field: str = "labels",
    attribute_field: str | None = None,
    format: str | None = None,
    columns: dict[str, str] | None = None,
    ignore_fields: Sequence[str] = (),
    require_attributes: bool = False,
) -> tuple[list[LabelledProduct], list[RecordError]]:
    """Read labelled products; bad records are returned as errors (named by line and field), the rest are kept.

    ``ignore_fields``: product fields left out of each example, after its labels are read from them
    (``TaggerConfig.ignore_fields``: the examples then read as the products to tag do).

    ``attribute_field`` names a field of "Key: Value" attribute tags (e.g. ``gold_attribute_tags``) whose keys
    are facets of the taxonomy: they label those facets beside ``label_field``'s category. Tags whose key is no
    facet, or whose value is not one of the facet's, are left out of the example (a taxonomy built with
    ``tagllm taxonomy build`` leaves out free-text keys and rare values on purpose). ``require_attributes``: examples
    of which none carries an attribute label (the field named wrong, or a taxonomy without their keys' facets) are
    refused (``InputError``), not read as examples of their category alone."""
    from tagllm.io import RecordSource

    name = str(source)
    records = RecordSource(source, format=format, columns=columns)
    records.require_title()  # a table with no title column (one Excel saved with semicolons): said as for products
    read = _ExamplesRead(name, taxonomy, label_field, attribute_field, ignore_fields)
    for record in records:
        read.add(record)
    if not read.examples:
        raise read.none_usable()
    if require_attributes and attribute_field:
        _refuse_no_attributes(read.examples, taxonomy, name, attribute_field, read.tagged, read.unknown_keys)
    return read.examples, read.errors


class _ExamplesRead:
    """The examples of one file read so far, the errors of its other records, and what says why none was usable or
    why none carries an attribute label."""

    def __init__(
        self,
        name: str,
        taxonomy: Taxonomy,
        label_field: str,
        attribute_field: str | None,
        ignore_fields: Sequence[str],
    ) -> None:
        from tagllm.attributes import AttributeResolver

        self.name = name
        self.label_field = label_field
        self.attribute_field = attribute_field
        self.ignore_fields = ignore_fields
        self.resolver = LabelResolver(taxonomy)
        self.attributes = AttributeResolver(taxonomy) if attribute_field else None
        self.examples: list[LabelledProduct] = []
        self.errors: list[RecordError] = []
        self.given: dict[str, tuple[int, int]] = {}  # an example's id (given, or its text's) -> its place and line
        self.tagged = 0  # records whose attribute field holds something
        self.unknown_keys: dict[str, int] = {}  # attribute keys that name no facet -> records giving them
        self.fields: set[str] = set()  # the fields the records have, named when none has the label field

    def add(self, record: Record) -> None:
        """Read one record as an example, or as the error that says why it is none."""
        from tagllm.io import Record, to_product
        from tagllm.io.products import named_error

        if record.error is not None:
            self.errors.append(named_error(record, self.name))  # by its id, where its line gives one readably
            return
        data = dict(record.data or {})
        self.fields.update(data)
        labels = self._labels(data, f"{self.name}:{record.line}")
        if isinstance(labels, RecordError):
            labels.line = record.line
            self.errors.append(labels)
            return
        for ignored in self.ignore_fields:
            data.pop(ignored, None)
        data.pop(self.label_field, None)
        data["labels"] = labels
        named = data.get("id") not in (None, "")
        if not named:  # named by content, so that adding the same file again changes nothing
            data["id"] = content_id(data)
        product = to_product(Record(record.line, data), self.name, LabelledProduct)
        if isinstance(product, RecordError):
            self.errors.append(product)
            return
        self._keep(cast(LabelledProduct, product), record.line, named)

    def _labels(self, data: dict[str, Any], where: str) -> dict[str, list[str]] | RecordError:
        """The record's labels: its category from the label field, with the facets its attribute tags label (the
        attribute field is then left out of ``data``, unless it is a product field the example reads)."""
        from tagllm.models import PRODUCT_FIELDS

        extra: dict[str, list[str]] = {}
        field = self.attribute_field
        if self.attributes is not None and field:
            extra, unresolved = self.attributes.resolve(data.get(field))
            self.tagged += not is_empty_field(data.get(field))
            for key in dict.fromkeys(key for key, _, why in unresolved if why == "unknown facet"):
                self.unknown_keys[key] = self.unknown_keys.get(key, 0) + 1
            if field not in PRODUCT_FIELDS:  # sellers' `attributes` stay what the example reads
                data.pop(field, None)
        if extra and is_empty_field(data.get(self.label_field)):
            labels: dict[str, list[str]] | RecordError = {}
        else:
            labels = labels_from_record(data, self.label_field, self.resolver, where)
        if isinstance(labels, RecordError):
            return labels
        for facet, ids in extra.items():
            slot = labels.setdefault(facet, [])
            slot.extend(i for i in ids if i not in slot)
        return labels

    def _keep(self, example: LabelledProduct, line: int, named: bool) -> None:
        """Keep ``example`` (read at ``line``; ``named``: its id was given, not taken from its text); an id given
        before is replaced by this later record, the earlier one named in the errors."""
        if example.id in self.given:
            # the later record is the review, as `index add` reads one: both were kept, and a review added later
            # replaced one of them only, the other's stale labels still voting (a product without an id is named by
            # its text, so two records of it are one example too)
            place, earlier = self.given[example.id]
            self.examples[place] = example
            again = f"id {example.id!r}" if named else "its product (no id; the same title, brand and description)"
            message = f"{self.name}:{earlier}: {again} is given again on line {line}, whose record is kept"
            self.errors.append(RepeatedExample(line=earlier, field="id", record_id=example.id, message=message))
            self.given[example.id] = (place, line)
            return
        self.given[example.id] = (len(self.examples), line)
        self.examples.append(example)

    def none_usable(self) -> InputError:
        """The error of a file of which no record was a usable example: its first problem, and the field named
        wrong when no record has the label field."""
        detail = f"; first problem: {self.errors[0].message}" if self.errors else ""
        if self.fields and self.label_field not in self.fields:
            detail += (
                f"; no record has a {self.label_field!r} field (their fields: {', '.join(sorted(self.fields))}): "
                "name the one holding the tags (--label-field)"
            )
        return InputError(f"{self.name}: no usable labelled examples{detail}")


def _refuse_no_attributes(
    examples: Sequence[LabelledProduct],
    taxonomy: Taxonomy,
    name: str,
    attribute_field: str,
    tagged: int,
    unknown_keys: dict[str, int],
) -> None:
    """Examples read with an attribute field of which none carries an attribute label made an index of categories
    alone, said nowhere: its products were then tagged with no attribute."""
    flat = {f for f, spec in taxonomy.facets.items() if not spec.hierarchical}
    if any(flat.intersection(e.labels) for e in examples):
        return
    if not tagged:
        raise InputError(
            f"{name}: no record has the attribute field {attribute_field!r}, so the examples would label no "
            'attribute; name the field holding their "Key: Value" tags with --attribute-field, or leave it out'
        )
    keys = sorted(unknown_keys, key=lambda k: -unknown_keys[k])
    said = f" (their keys: {', '.join(map(repr, keys[:8]))}{', …' if len(keys) > 8 else ''})" if keys else ""
    facets = f"its attribute facets are {', '.join(sorted(flat))}" if flat else "it has no attribute facet"
    raise InputError(
        f"{name}: the attribute tags of {tagged} record(s) in {attribute_field!r} name no facet value of taxonomy "
        f"{taxonomy.name!r}{said}, so the examples would label no attribute; {facets}: build one from these "
        "examples (tagllm taxonomy build) and index them with it, or leave --attribute-field out"
    )


def content_id(data: dict[str, Any]) -> str:
    """An id for an example without one, from its text fields."""
    text = json.dumps([data.get(k) for k in ("title", "brand", "description")], ensure_ascii=False, default=str)
    return "text-" + hashlib.sha1(text.encode("utf-8", errors="replace")).hexdigest()[:12]


def as_labelled(items: Iterable[LabelledProduct | dict[str, Any]]) -> list[LabelledProduct]:
    try:
        return [i if isinstance(i, LabelledProduct) else LabelledProduct.model_validate(i) for i in items]
    except Exception as exc:
        raise TagllmError(f"not a labelled product: {exc}") from None


def read_index_examples(path: Path) -> list[LabelledProduct]:
    """The examples of an index's ``examples.jsonl``; a line that is not one (a build cut off, an edit by hand) is a
    ValueError naming the file, the line and the field: it said "1 validation error for LabelledProduct"."""
    examples = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                examples.append(LabelledProduct.model_validate_json(line))
            except ValidationError as exc:
                raise ValueError(f"{path.name}:{number}: {_example_problem(exc.errors()[0], line)}") from None
    return examples


# pydantic's error types, said in plain words about the value given
_NOT_A = {"list_type": "a list", "dict_type": "a mapping", "string_type": "text"}


def _example_problem(error: Any, line: str) -> str:
    """What is wrong with an ``examples.jsonl`` line, in plain words naming the example and the field: pydantic's
    wording ("title: Input should be a valid string") did not say the title was missing."""
    if error["type"] == "json_invalid":
        return "the line is not a whole JSON object (cut off, or edited by hand)"
    if error["loc"] == ("id",) and error["type"] == "missing":
        return "the example has no id"
    try:
        given = json.loads(line)
    except ValueError:
        given = {}
    given_id = given.get("id") if isinstance(given, dict) else None
    # an id of another type (a number: an edited file) still names the example it is; only none or "" is no id
    named = f"example {given_id!r}" if given_id is not None and given_id != "" else "an example with no id"
    field = ".".join(map(str, error["loc"]))
    if field == "title" and (error["type"] in {"missing", "string_too_short"} or error.get("input") is None):
        return f"{named} has no title"
    if error["type"] in _NOT_A:
        return f"{named}: field {field!r} is not {_NOT_A[error['type']]} (got {error.get('input')!r})"
    return f"{named}: field {field!r}: {error['msg']}"
