"""The table stages: ids, exact names, normalised keys, synonyms, aliases, other languages (the screening and guard
stages are in ``screening.py``, paths in ``paths.py``)."""

from __future__ import annotations

import re

from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.chinese import zh_variants
from tagllm.mapping.keys import exact_key, iter_keys, label_key, signed
from tagllm.mapping.tables import NAME_TABLES, Table, scope
from tagllm.text import has_cjk

_GID = re.compile(r"^gid://shopify/Taxonomy(?:Category|Value|Attribute)/(.+)$")


class IdStage(Stage):
    """A value id, a Shopify gid or handle: what the retrieval backend and well-behaved models emit."""

    name = "id"

    def run(self, batch: Batch) -> None:
        values, facet = self.m.values, batch.facet
        for raw in batch.open():
            text = batch.text(raw)
            vid = text if text in values else None
            if vid is None and text.startswith("gid:"):
                gid = _GID.match(text)
                vid = gid.group(1) if gid and gid.group(1) in values else None
            if vid is None and "__" in text:
                vid = self.m.handle(text)
            if vid is None or (facet is not None and values[vid].facet != facet):
                continue
            clash = scope(self.m.tables.exact.get(exact_key(text)), facet)
            if not clash or clash == [vid]:  # "10" is an id and also a name ("10" the size): read as the name
                batch.done[raw] = self.m.accept(raw, facet, values[vid], "id")


class _TableStage(Stage):
    """A stage that looks strings up in tables; what it finds only in other facets is noted in ``batch.elsewhere``."""

    def found(self, batch: Batch, raw: str, packed: str | None, method: str | None = None) -> bool:
        """Decide ``raw`` from a table entry when it names values of this facet; True when decided."""
        if not packed:
            return False
        ids = scope(packed, batch.facet)
        if len(ids) > 1:  # "SPF50+" names SPF 50 and SPF 50+ by its keys: its own sign decides
            one = signed(batch.text(raw), {vid: self.m.values[vid].name for vid in ids})
            ids = [one] if one is not None else ids
        if ids:
            batch.done[raw] = self.m.decide(raw, batch.facet, ids, method or self.name)
            return True
        if raw not in batch.elsewhere:
            batch.elsewhere[raw] = self.m.elsewhere(raw, batch.facet, scope(packed, None), method or self.name)
        return False


class ExactStage(_TableStage):
    """The name or the full path exactly as written (whitespace runs collapsed); then labels written exactly."""

    name = "exact"

    def run(self, batch: Batch) -> None:
        tables = self.m.tables
        for raw in batch.open():
            key = exact_key(batch.text(raw))
            if self.found(batch, raw, tables.exact.get(key)):
                continue
            # a label written exactly as the taxonomy has it ("SDS +") outranks a looser reading of a name ("SDS")
            ids = scope(tables.exact_labels.get(key), batch.facet)
            if ids:
                batch.done[raw] = self.m.decide(raw, batch.facet, ids, "translation")


class _KeyedStage(_TableStage):
    """Normalised, singular, compact and word-sorted keys over one family of tables."""

    def tables(self) -> dict[str, Table]:
        raise NotImplementedError

    def run(self, batch: Batch) -> None:
        tables = self.tables()
        for raw in batch.open():
            for kind, key in zip(NAME_TABLES, iter_keys(batch.text(raw)), strict=False):
                if key and self.found(batch, raw, tables[kind].get(key)):
                    break


class NormalizedStage(_KeyedStage):
    """NFKC, case folding, punctuation, '&' = 'and'; singular/plural, words run together, reordered words."""

    name = "normalized"

    def tables(self) -> dict[str, Table]:
        return self.m.tables.names


class SynonymStage(_KeyedStage):
    """The same keys over the taxonomy's synonyms and analysts' synonym files."""

    name = "synonym"

    def tables(self) -> dict[str, Table]:
        return self.m.tables.synonyms


class AliasStage(_KeyedStage):
    """Names the facet's rules give its values: "XS" and "Extra small" for "Extra small (XS)", "X-Large", "mens"."""

    name = "alias"

    def tables(self) -> dict[str, Table]:
        return self.m.tables.aliases


class TranslationStage(_TableStage):
    """Labels in other languages, spaces and punctuation ignored; Chinese "various …" / "… series" words dropped."""

    name = "translation"

    def run(self, batch: Batch) -> None:
        labels = self.m.tables.labels
        for raw in batch.open():
            text = batch.text(raw)
            if self.found(batch, raw, labels.get(label_key(text))):
                continue
            if has_cjk(text):
                for variant in zh_variants(label_key(text)):
                    ids = scope(labels.get(variant), batch.facet)
                    if ids:
                        batch.done[raw] = self.m.decide(raw, batch.facet, ids, self.name)
                        break
