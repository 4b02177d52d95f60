"""The table stages: input screening, ids, exact names, normalised keys, synonyms, aliases, other languages, paths."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from tagllm.mapping.base import METHOD_RANK, Batch, Outcome, Stage
from tagllm.mapping.chinese import zh_variants
from tagllm.mapping.keys import CONTROL, FORMAT, SURROGATE, exact_key, iter_keys, keys, label_key, scripts
from tagllm.mapping.tables import NAME_TABLES, Table, scope
from tagllm.parsing import has_path_separator, split_path, trim
from tagllm.text import has_cjk

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MAX_TAG_CHARS = 300
"""A tag longer than this is not a tag (the longest Shopify path is about 150 characters)."""
MAX_FUZZY_WORDS = 12
"""A string of more words that matched nothing exactly is a sentence, not a tag: no guess of any kind."""
_GID = re.compile(r"^gid://shopify/Taxonomy(?:Category|Value|Attribute)/(.+)$")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,60}\b(instruction|rule|prompt|previous|above|constraint|"
    r"taxonomy|system)s?\b|\b(you are|you must|you should|act as|pretend|system prompt|jailbreak)\b|"
    r"\b(output|respond with|reply with|answer with|print|return|say|write)\b.{0,40}\b(instead|only|regardless|"
    r"anyway|no matter)\b",
    re.IGNORECASE | re.DOTALL,
)
_ZH_SEPARATORS = re.compile(r"\s*(?:》|〉|：|:|－|—|-)\s*")


class ScreenStage(Stage):
    """Rejects what is not a tag at all (empty, too long, control characters, broken Unicode); drops zero-width
    marks."""

    name = "screen"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        for raw in batch.open():
            text = trim(raw)  # not str.strip(): a record separator at the end of a cell is a control character
            if not text:
                batch.done[raw] = self.m.reject(raw, facet, "empty string")
                continue
            if len(text) > MAX_TAG_CHARS:
                reason = f"too long for a tag ({len(text)} characters)"
                batch.done[raw] = self.m.reject(raw[:MAX_TAG_CHARS], facet, reason)
                continue
            if not text.isprintable():  # one C-speed check for the common case; the regexes only when it fails
                if CONTROL.search(text):
                    batch.done[raw] = self.m.reject(raw, facet, "contains control characters")
                    continue
                if SURROGATE.search(text):
                    batch.done[raw] = self.m.reject(raw, facet, "not valid Unicode (a lone surrogate)")
                    continue
                if FORMAT.search(text):  # zero-width spaces and soft hyphens come with copy-paste; they mean nothing
                    text = trim(FORMAT.sub("", text))
                    if not text:
                        batch.done[raw] = self.m.reject(raw, facet, "empty string")
                        continue
            batch.clean[raw] = text


class IdStage(Stage):
    """A value id, a Shopify gid or handle: what the retrieval backend and well-behaved models emit."""

    name = "id"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper

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

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper

    def found(self, batch: Batch, raw: str, packed: str | None, method: str | None = None) -> bool:
        """Decide ``raw`` from a table entry when it names values of this facet; True when decided."""
        if not packed:
            return False
        ids = scope(packed, batch.facet)
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


class PathStage(Stage):
    """'Shoes > Running', 'a/b/c', '服装 › 上衣', '服装／连衣裙': the last segment names the value, the others its
    ancestors."""

    name = "path"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper

    def run(self, batch: Batch) -> None:
        for raw in batch.open():
            text = unicodedata.normalize("NFKC", batch.text(raw))
            if has_cjk(text):
                text = _ZH_SEPARATORS.sub(" > ", text)
            if not has_path_separator(text):
                continue
            outcome = self.path(raw, text, batch.facet)
            if outcome is not None:
                batch.done[raw] = outcome

    def path(self, raw: str, text: str, facet: str | None) -> Outcome | None:
        segments = split_path(text)
        if facet is not None and len(segments) > 1:
            spec = self.m.taxonomy.facets[facet]
            head = keys(segments[0])[1]
            if head in {keys(spec.name)[1], keys(spec.title or spec.name)[1], "category"}:
                segments = segments[1:]  # "Color > Red", "Category / Shoes": the facet's own name is no segment
        if len(segments) == 1:
            found = self.segment(segments[0], facet, fuzzy=False)
            if not found:
                return None
            best = min(METHOD_RANK[m] for m, _ in found.values())
            ids = [vid for vid, (m, _) in found.items() if METHOD_RANK[m] == best]
            return self.m.decide(raw, facet, ids, "normalized", key=text)
        if len(segments) < 2 or len(segments) > 12:
            return None
        last = self.segment(segments[-1], facet)
        if not last:
            return None
        before = [self.segment(s, facet) for s in segments[:-1]]
        strict: list[str] = []
        loose: list[str] = []
        for vid in last:
            lineage = [a.id for a in self.m.taxonomy.ancestors(vid)]
            # strict: the segments are the value's nearest ancestors, in order; loose: in order, gaps allowed
            if len(before) <= len(lineage) and all(
                lineage[len(lineage) - len(before) + i] in seg for i, seg in enumerate(before)
            ):
                strict.append(vid)
                continue
            if self._in_order(lineage, before):
                loose.append(vid)
        chosen = strict or loose
        if not chosen:
            return None
        if len(chosen) > 1:
            return self.m.decide(raw, facet, chosen, "normalized", key=text)
        vid = chosen[0]
        methods = [last[vid]] + [seg[a] for seg, a in zip(before, self._matched(vid, before), strict=False) if a in seg]
        method = max((m for m, _ in methods), key=lambda m: METHOD_RANK[m])
        method = method if METHOD_RANK[method] > METHOD_RANK["exact"] else "normalized"
        score = min(s for _, s in methods)
        return self.m.accept(raw, facet, self.m.values[vid], method, score)

    @staticmethod
    def _in_order(lineage: list[str], before: list[dict[str, tuple[str, float]]]) -> bool:
        position = 0
        for seg in before:
            while position < len(lineage) and lineage[position] not in seg:
                position += 1
            if position == len(lineage):
                return False
            position += 1
        return True

    def _matched(self, vid: str, before: list[dict[str, tuple[str, float]]]) -> list[str]:
        lineage = [a.id for a in self.m.taxonomy.ancestors(vid)]
        out: list[str] = []
        position = 0
        for seg in before:
            while position < len(lineage) and lineage[position] not in seg:
                position += 1
            out.append(lineage[position] if position < len(lineage) else "")
            position += 1
        return out

    def segment(self, text: str, facet: str | None, fuzzy: bool = True) -> dict[str, tuple[str, float]]:
        """Values a path segment can name (id -> method, score): every table, then fuzzy when they all miss."""
        tables = self.m.tables
        out: dict[str, tuple[str, float]] = {}
        for vid in scope(tables.exact.get(exact_key(text)), facet):
            out.setdefault(vid, ("exact", 1.0))
        text_keys = keys(text)
        for kind, key in zip(NAME_TABLES, text_keys, strict=True):
            for table, method in (
                (tables.names[kind], "normalized"),
                (tables.synonyms[kind], "synonym"),
                (tables.aliases[kind], "alias"),
            ):
                for vid in scope(table.get(key), facet):
                    out.setdefault(vid, (method, 1.0))
            if out:
                return out
        label = label_key(text)
        for key in (label, *(zh_variants(label) if has_cjk(label) else ())):
            for vid in scope(tables.labels.get(key), facet):
                out.setdefault(vid, ("translation", 1.0))
            if out:
                return out
        if not fuzzy or len(text_keys[0]) < 4:
            return out
        for ids, score in self.m.fuzzy.candidates(text_keys[0], facet):
            for vid in ids:
                out.setdefault(vid, ("fuzzy", score))
        return out


class GuardStage(Stage):
    """Before any guess: rejects strings with no letters, in a script the taxonomy has no labels in, instructions,
    and sentences (more than 12 words)."""

    name = "guard"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        for raw in batch.fresh():
            text = batch.text(raw)
            found = scripts(unicodedata.normalize("NFKC", text))
            if not found:
                batch.done[raw] = self.m.reject(raw, facet, "no letters: not a tag")
                continue
            unknown = found - self.m.known_scripts
            if unknown and not found & self.m.known_scripts:
                what = ", ".join(sorted(s.title() for s in unknown))
                reason = f"written in a script the taxonomy has no labels for ({what})"
                batch.done[raw] = self.m.reject(raw, facet, reason)
                continue
            if _INSTRUCTION.search(text):
                batch.done[raw] = self.m.reject(raw, facet, "looks like an instruction, not a tag")
                continue
            words = len(text.split())
            if words > MAX_FUZZY_WORDS:
                reason = f"too long for a tag ({words} words) and matches no value"
                batch.done[raw] = self.m.reject(raw, facet, reason)
