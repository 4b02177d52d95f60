"""Chinese attribute cells as listings write a value of a flat facet: the value in Latin letters or digits, the word
码 ("size") after it and a note in brackets (M码, 38码, L（建议110-125斤）: size L, advised for 55-62 kg)."""

from __future__ import annotations

import unicodedata

from tagllm.mapping.base import Batch, FlatStage
from tagllm.mapping.chinese import NOTE
from tagllm.text import has_cjk

SIZE_WORD = "码"
"""Chinese for "size" (尺码), written after the size: M码 is size M, 38码 size 38."""


class ZhCellStage(FlatStage):
    """In a flat facet, a Chinese cell whose note in brackets and size word dropped leave a value written in Latin
    letters or digits, looked up by the table stages (a name, not a further guess)."""

    name = "zh_cell"

    def run_flat(self, batch: Batch, facet: str) -> None:
        cores: dict[str, str] = {}
        for raw in batch.open():
            text = unicodedata.normalize("NFKC", batch.text(raw))
            if not has_cjk(text):
                continue
            core = NOTE.sub("", text).strip()
            core = core.removesuffix(SIZE_WORD).strip()
            if core and not has_cjk(core):
                cores[raw] = core
        self.m.take_rewritten(batch, cores, self.name)
