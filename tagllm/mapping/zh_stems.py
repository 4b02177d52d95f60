"""Chinese attribute values written around the same stem as the facet's label: 男款 and 男士 (men's style, gentleman)
for 男性 (male), 透明色 for 透明 (clear), 工业风 for 工业 (industrial), 方领 for 方形 (square), 充电式 for 可充电
(rechargeable), 条纹 for 带条纹 (striped).

A Chinese attribute value is a stem with a generic word around it: a suffix that says "colour", "style", "type",
"shape", "-ness", the facet's own noun (领 collar, 袖 sleeve), or a prefix that says "with", "can be", "pure". The
label and the listing pick different words around one stem, so both are read as their stem, and a string is taken
when its stem is the stem of one value of the facet alone.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.keys import label_key
from tagllm.mapping.tables import scope
from tagllm.text import has_cjk

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

STEM_SUFFIXES = (
    *("色", "款", "式", "型", "形", "风", "性", "士", "能"),
    *("领", "袖", "布"),
    *("味", "调", "制", "质", "版", "面"),
    *("童", "弦"),
)
"""Words that close a Chinese attribute value without naming it: colour (色), style or version (款, 式, 风), type or
shape (型, 形), -ness (性: 男性 male), person (士: 男士 gentleman), energy (能: 太阳能 solar), the nouns of the
clothing facets (领 collar, 袖 sleeve, 布 cloth), a flavour (味: 薄荷味, mint flavour), a scent's note (调: 木质调, a
woody note), made of (制, 质: 铝制, made of aluminium), an edition (版), a surface (面: 缎面, satin-faced), a child
(童: 男童, a boy) and an instrument's string (弦: 尼龙弦, nylon string). Not 线 (thread, line): 无线 and 有线 (wireless,
wired) would read as 无 and 有 (none, yes)."""
STEM_PREFIXES = ("带", "可", "纯")
"""Words that open one: "with" (带条纹, with stripes), "can be" (可充电, rechargeable), "pure" (纯棉)."""


class ZhStemStage(Stage):
    """In a facet with Chinese labels, a Chinese string whose stem is the stem of one value's label; values sharing
    the stem go to ``Mapper.decide`` as any stage's do (namesakes: the general one; else ambiguous, rejected)."""

    name = "zh_stem"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._stems: dict[str, dict[str, set[str]]] = {}  # facet -> stem -> ids whose label has that stem

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        if facet is None:
            return  # a stem of one or two characters is read only among one facet's values
        for raw in batch.open():
            text = label_key(unicodedata.normalize("NFKC", batch.text(raw)))
            if not has_cjk(text):
                continue
            ids = self.named(text, facet)
            if ids:
                batch.done[raw] = self.m.decide(raw, facet, ids, self.name)

    def named(self, text: str, facet: str) -> list[str]:
        """The values whose label shares ``text``'s stem, for the first of its stems that any label shares."""
        index = self.stems(facet)
        for stem in stems(text):
            ids = index.get(stem)
            if ids:
                return sorted(ids)
        return []

    def stems(self, facet: str) -> dict[str, set[str]]:
        """Each stem of each Chinese label of ``facet``'s values, with the values it stands for (built once)."""
        index = self._stems.get(facet)
        if index is None:
            index = {}
            for key, packed in self.m.tables.labels.items():
                ids = scope(packed, facet) if has_cjk(key) else []
                for stem in stems(key) if ids else ():
                    index.setdefault(stem, set()).update(ids)
            self._stems[facet] = index
        return index


def stems(key: str) -> list[str]:
    """``key`` as written, then without one generic suffix, one generic prefix, and both; never empty."""
    bare = key[:-1] if len(key) > 1 and key.endswith(STEM_SUFFIXES) else key
    out = [key, bare]
    for word in (key, bare):
        if len(word) > 1 and word.startswith(STEM_PREFIXES):
            out.append(word[1:])
    return list(dict.fromkeys(out))
