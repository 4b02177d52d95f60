"""Chinese category words as listings write them: generic affixes (各种…, …系列, …类), a note in brackets
(靴子（女款）), alternatives joined by a full-width slash (耳环／耳钉), compounds whose head is a label (男士钱包), and
titles whose words, parted by spaces, are read one by one (浴帘 加厚 套装).

A Chinese compound puts its head last, as English does: 男士钱包 is a kind of 钱包. The stage reads the longest tail
of two or more characters that is a label of the facet, and only when the part before it names no value of the facet
itself (手机支架, a phone stand, stays open: 手机 is a category of its own, so 支架 need not be the thing sold), and
not when the head names only a shelf near the root (杀毒软件, antivirus software, is a kind of Software, not Software).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.keys import label_key
from tagllm.mapping.landing import MIN_LANDING_DEPTH
from tagllm.mapping.tables import scope
from tagllm.mapping.zh_stems import ZhStemStage
from tagllm.text import has_cjk

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

ZH_PREFIXES = ("各种", "各类", "各式", "各款", "多种", "多款", "所有", "全部")
ZH_SUFFIXES = ("系列", "类别", "类", "款")
"""Chinese words that say "various …", "… series", "… class": they group a category, they do not name one."""
NOTE = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
"""A note in brackets: 靴子（女款） (boots, women's style), 戒指【情侣款】."""
ALTERNATIVES = re.compile(r"[/／、|｜或]")
COLOUR_WORD = "色"
"""Chinese for "colour": a colour is written with it or without it (灰色 and 灰, 浅灰色 and 浅灰, light grey)."""
MIN_HEAD = 2
"""A head of one character is too general to name a category (鞋 shoe, 包 bag, 灯 lamp are read whole only)."""

LOOKS = ("色", "面")
"""The stem suffixes (``zh_stems.STEM_SUFFIXES``) that say how a thing looks, colour and surface: words before a head
ending in one describe the head, they do not name another value of its facet by their stem."""


class ChineseStage(Stage):
    """A Chinese string read as its bracketed note dropped, its alternatives apart, and its head."""

    name = "zh_head"

    def __init__(self, mapper: Mapper, stems: ZhStemStage) -> None:
        self.m = mapper
        self._endings: dict[str | None, dict[str, list[str]]] = {}  # the facet's Chinese labels by last character
        self._stems = stems  # the zh_stem stage: a flat facet's labels by their stems (球型 and 球形: 球, Ball)

    def run(self, batch: Batch) -> None:
        for raw in batch.open():
            text = unicodedata.normalize("NFKC", batch.text(raw))
            if not has_cjk(text):
                continue
            core = NOTE.sub("", text).strip()
            parts = [key for piece in ALTERNATIVES.split(core) for key in self._chunks(piece, batch.facet)]
            found = [self.read(p, batch.facet) for p in parts]
            named = [ids for ids in found if ids]
            if not named:
                continue
            if len(named) < len(found) and any(self.m.taxonomy.children(v) for v in named[0]):
                continue  # 鞋类／拖鞋: a branch and a word no label names is a path to a child, not the branch
            distinct = {tuple(sorted(ids)) for ids in named}
            if len(distinct) == 1:  # the alternatives that name anything name the same value(s)
                batch.done[raw] = self.m.decide(raw, batch.facet, list(named[0]), self.name)

    def _chunks(self, piece: str, facet: str | None) -> list[str]:
        """The keys one alternative is read as: itself, or, when it is no label and spaces part it into Chinese
        words, each word on its own. A listing's title lists its selling points after the thing it sells
        (浴帘 加厚 套装: a shower curtain, thickened, a set), so the joined words' tail (套装, suits) need not be
        the thing: each word that names a value is one reading, and they must agree."""
        key = label_key(piece)
        words = piece.split()
        if len(words) < 2 or not all(has_cjk(w) for w in words) or self._label(key, facet):
            return [key] if key else []
        return [k for k in (label_key(w) for w in words) if k]

    def read(self, key: str, facet: str | None) -> list[str]:
        """The values a Chinese key names: as written, without generic affixes, or by its head."""
        colour = bool(self.m.colour.shades(facet))  # a colour facet: its colours are written with 色 or without
        for variant in (key, *zh_variants(key, colour)):
            ids = self._label(variant, facet)
            if ids:
                return ids
        core = zh_core(key)
        for whole in (core, core + COLOUR_WORD) if colour and not core.endswith(COLOUR_WORD) else (core,):
            for size in range(len(whole) - 1, MIN_HEAD - 1, -1):
                head, rest = whole[-size:], whole[:-size]
                ids = self._label(head, facet)
                if ids:
                    named_rest = any(self._label(v, facet) for v in (rest, *zh_variants(rest, colour)))
                    named_rest = named_rest or self._stem_names(rest, facet)
                    if named_rest or self._spelled_otherwise(rest, head, facet):
                        return []  # 手机支架: 手机 names a category; 太阳眼镜 is 太阳镜 (sunglasses), not 眼镜
                    if self._shelf(ids, rest, facet):
                        return []  # 杀毒软件 (antivirus software) is a kind of software, not the whole Software shelf
                    return ids
        return []

    def _stem_names(self, rest: str, facet: str | None) -> bool:
        """In a flat facet, whether the words before the head name a value of the facet by its stem, as the zh_stem
        stage reads one (球形 and Ball's 球型 share 球): in 球形云台, a ball head, they say which kind of head, and the
        head's own value (云台, Gimbal) is another kind. Not words that end in a look (``LOOKS``): 金属色塑料 is
        metal-coloured plastic, 缎面丝绸 satin-faced silk; they say how the head looks, not what it is."""
        if facet is None or not rest or self.m.taxonomy.facets[facet].hierarchical or rest.endswith(LOOKS):
            return False
        return bool(self._stems.named(rest, facet))

    def _spelled_otherwise(self, rest: str, head: str, facet: str | None) -> bool:
        """Whether another label of the facet holds the words before the head and ends as the head does: then the
        string may be that value written another way (太阳眼镜 and 太阳镜), not a kind of the head."""
        by_end = self._endings.get(facet)
        if by_end is None:
            by_end = {}
            for key, ids in self.m.tables.labels.items():
                if has_cjk(key) and scope(ids, facet):
                    by_end.setdefault(key[-1], []).append(key)
            self._endings[facet] = by_end
        return any(rest in key and key != head for key in by_end.get(head[-1], []))

    def _shelf(self, ids: list[str], rest: str, facet: str | None) -> bool:
        """In a hierarchical facet, whether every value a head names is a branch of kinds fewer than
        ``MIN_LANDING_DEPTH`` levels deep while the words before the head say which kind: such a value is the shelf of
        every kind (Software, Cameras, Hardware > Tools), not the kind the string names (杀毒软件, antivirus software;
        微单相机, a mirrorless camera), as a landing by hypernym is no value so near the root (``landing.py``). Unlike
        an English head, a Chinese one has no embedder to agree with it. Words that are a value of a flat facet
        (儿童, Kids, in 儿童背包) describe the thing and say no kind, as for the modifier stage's shelf."""
        taxonomy = self.m.taxonomy
        if facet is None or not taxonomy.facets[facet].hierarchical:
            return False
        if any(len(taxonomy.ancestors(v)) >= MIN_LANDING_DEPTH or not taxonomy.children(v) for v in ids):
            return False
        described = scope(self.m.tables.labels.get(label_key(rest)), None)
        return not any(not taxonomy.facets[self.m.values[v].facet].hierarchical for v in described)

    def _label(self, key: str, facet: str | None) -> list[str]:
        return scope(self.m.tables.labels.get(key), facet) if key else []


def zh_core(key: str) -> str:
    """A Chinese key without its generic prefix and suffix ("各种连衣裙", "连衣裙系列" -> "连衣裙")."""
    core = key
    for prefix in ZH_PREFIXES:
        if core.startswith(prefix) and len(core) > len(prefix):
            core = core[len(prefix) :]
            break
    for suffix in ZH_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            core = core[: -len(suffix)]
            break
    return core


def zh_variants(key: str, colour: bool = False) -> list[str]:
    """A Chinese key without its generic prefix or suffix, then with "类"; in a colour facet (``colour``) with "色"
    too (墨绿 is 墨绿色, dark green)."""
    core = zh_core(key)
    out = [core] if core != key else []
    if not core.endswith("类"):
        out.append(core + "类")  # Shopify's Chinese names some categories so: 鞋类 (shoes)
    if colour and core and not core.endswith(COLOUR_WORD):
        out.append(core + COLOUR_WORD)
    return out
