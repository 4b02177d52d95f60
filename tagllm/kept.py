"""What a result keeps of a backend's answer: a runaway answer (an LLM that never stopped, a server's error page) of
many MB was kept whole in ``rejected`` and ``raw_output``, in every output row and cache entry of its product."""

from __future__ import annotations

from pydantic import BaseModel, field_validator

MAX_KEPT_REJECTED = 1_000  # characters of one rejected string
MAX_KEPT_OUTPUT = 65_536  # characters of a raw answer, and of its parsed object written as JSON
MAX_KEPT_REJECTIONS = 64  # rejected strings of one facet in a result, the last of them a note counting those left out
CUT_REJECTIONS = f"not kept: a result keeps its first {MAX_KEPT_REJECTIONS - 1} rejected strings of a facet"


def kept_text(text: str, limit: int) -> str:
    """``text``, or its start with a note saying it was cut and from how long; at most ``limit`` characters, so a
    text cut once and read back is kept as it is."""
    if len(text) <= limit:
        return text
    note = f" … [cut to {limit:,} of {len(text):,} characters]"
    return text[: max(limit - len(note), 0)] + note


class Rejection(BaseModel):
    """A string a backend produced that could not be mapped onto the taxonomy, and why (its first
    ``MAX_KEPT_REJECTED`` characters)."""

    facet: str | None
    text: str
    reason: str

    @field_validator("text", mode="after")
    @classmethod
    def _kept(cls, value: str) -> str:
        return kept_text(value, MAX_KEPT_REJECTED)


def left_out(rejection: Rejection) -> int:
    """How many rejected strings an entry stands for: the note closing a facet's cut list, those it counts; any
    other entry, itself."""
    if rejection.reason != CUT_REJECTIONS:
        return 1
    return int(rejection.text.strip("[] more").replace(",", ""))


def cut_rejections(value: list[Rejection]) -> list[Rejection]:
    """At most ``MAX_KEPT_REJECTIONS`` of each facet: an answer of thousands of strings (a runaway list) was kept
    whole in every output row and cache entry. The last one kept of a facet cut is a note of that facet counting
    those left out (``left_out``), so routing still sees which facets had rejections, evaluation counts them under
    their own facet, and a list cut once is kept as is."""
    total: dict[str | None, int] = {}
    for rejection in value:
        total[rejection.facet] = total.get(rejection.facet, 0) + left_out(rejection)
    cut = [facet for facet, n in total.items() if n > MAX_KEPT_REJECTIONS]
    if not cut:
        return value
    seen: dict[str | None, int] = {}
    kept = []
    for rejection in value:
        seen[rejection.facet] = seen.get(rejection.facet, 0) + 1
        if rejection.facet not in cut or (seen[rejection.facet] < MAX_KEPT_REJECTIONS and left_out(rejection) == 1):
            kept.append(rejection)
    for facet in cut:
        left = total[facet] - (MAX_KEPT_REJECTIONS - 1)
        kept.append(Rejection(facet=facet, text=f"[{left:,} more]", reason=CUT_REJECTIONS))
    return kept
