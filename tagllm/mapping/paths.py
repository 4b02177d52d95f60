"""The path stage: 'Shoes > Running', 'a/b/c', '服装 › 上衣': the last segment names the value, the others its
ancestors."""

from __future__ import annotations

import re
import unicodedata

from tagllm.mapping.base import METHOD_RANK, Batch, Outcome, Stage
from tagllm.mapping.chinese import zh_variants
from tagllm.mapping.keys import exact_key, keys, label_key
from tagllm.mapping.tables import NAME_TABLES, scope
from tagllm.parsing import has_path_separator, split_path
from tagllm.text import has_cjk

_ZH_SEPARATORS = re.compile(r"\s*(?:》|〉|：|:|－|—|-)\s*")


def written_path(text: str) -> str | None:
    """``text`` read as a path ('服装：上衣' as '服装 > 上衣'), or None when it has no path separator."""
    text = unicodedata.normalize("NFKC", text)
    if has_cjk(text):
        text = _ZH_SEPARATORS.sub(" > ", text)
    return text if has_path_separator(text) else None


class PathStage(Stage):
    """'Shoes > Running', 'a/b/c', '服装 › 上衣', '服装／连衣裙': the last segment names the value, the others its
    ancestors."""

    name = "path"

    def run(self, batch: Batch) -> None:
        for raw in batch.open():
            text = written_path(batch.text(raw))
            if text is None:
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
