"""``AttributeResolver``: "Key: Value" tags onto a taxonomy's flat facets, never guessing."""

from __future__ import annotations

import json
from typing import Any

from tagllm.attributes.tags import VALUE_SEPARATORS, is_placeholder, key_of, parse_attribute_tags, value_key
from tagllm.taxonomy import Taxonomy
from tagllm.text import normalize


class AttributeResolver:
    """Maps "Key: Value" tags onto a taxonomy's flat facets: the key by facet name, title or label (颜色 for a color
    facet labelled so), the value by id, name, synonym, label or the same spelling-folded key the facets were learned
    with. Gold is never guessed: a value that matches nothing, or two values, stays unresolved."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._facets: dict[str, str | None] = {}
        labels: dict[str, str | None] = {}  # a label names its facet where no facet's name or title says otherwise
        for name, facet in taxonomy.facets.items():
            if facet.hierarchical:
                continue
            for text in {name, facet.title or name}:
                for k in (normalize(text), key_of(text)):
                    _claim(self._facets, k, name)
            for _, label in facet.labels:
                for k in (normalize(label), key_of(label)):
                    _claim(labels, k, name)
        for k, named in labels.items():
            self._facets.setdefault(k, named)
        self._values: dict[tuple[str, str], str | None] = {}
        for v in taxonomy.values.values():
            facet = taxonomy.facets[v.facet]
            if facet.hierarchical:
                continue
            for text in (v.name, *v.synonyms, *(label for _, label in v.labels)):
                # a synonym of no letters ('', '-') keys nothing: it read every label of no letters as its value
                for k in {normalize(text), value_key(text, facet.title or v.facet)} - {""}:
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
        parts = [p for p in VALUE_SEPARATORS.split(text) if p.strip()]
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
        value of their facet are returned as unresolved; placeholders ("NA") are skipped. A facet whose values name
        none of its values is still listed, with no ids: the product carries the facet, with a value the taxonomy
        lacks (a rare one, left out when the facets were learned). An index's stackers count such an example among
        those that teach the facet, with no right candidate: a new product with such a value cannot be answered
        right either (``tagllm.candidates.fitting``). A list or mapping where a value belongs is returned as
        unresolved, "nested", with the JSON the field had."""
        nested: list[tuple[str, Any]] = []
        pairs, bad = parse_attribute_tags(raw, nested)
        labels: dict[str, list[str]] = {}
        unresolved = [("", item, "not 'Key: Value'") for item in bad]
        unresolved += [(key, json.dumps(value, ensure_ascii=False), "nested") for key, value in nested]
        for key, text in pairs:
            if is_placeholder(text):
                continue
            facet = self.facet(key)
            if facet is None:
                unresolved.append((key, text, "unknown facet"))
                continue
            ids, missed = self.value(facet, text)
            unresolved.extend((key, m, "not in taxonomy") for m in missed if not is_placeholder(m))
            if ids or any(not is_placeholder(m) for m in missed):
                slot = labels.setdefault(facet, [])
                slot.extend(i for i in ids if i not in slot)
        return labels, unresolved


def _claim(table: dict[str, str | None], key: str, facet: str) -> None:
    """``key`` names ``facet``, unless another facet claims it too: then it names none (None)."""
    table[key] = facet if table.get(key, facet) == facet else None
