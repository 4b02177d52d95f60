"""The most any keep threshold could give on held-out products: per facet, the ranking's answers kept from the one
confidence that keeps the most right answers at the target precision on those very products, and the micro-F1 over
facets that this gives.

It reads the test products' gold, so it is no operating point: it is the ceiling of every rule that keeps a facet's
answers from one confidence (the default's keep thresholds included, whatever data they are chosen on). When it
lies below the SVM answering always, no threshold closes the gap and only a better ranking (more right answers, or
right answers ranked above the wrong ones) can. The SVM's own answers are read the same way (``svm_answers``: kept
from one margin per facet): where its ceiling at the target is no higher than tagllm's, the SVM's lead answering
always comes from answers below the target precision, which a method held to it per facet cannot give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tagllm.candidates.calibration import TARGET_PRECISION


@dataclass(frozen=True)
class Ceiling:
    """A facet's best threshold on its held-out answers: ``right`` of ``kept`` answers right, kept from ``threshold``
    (above 1 when no threshold reaches the target), ``gold`` gold values in all."""

    right: int
    kept: int
    threshold: float
    gold: int

    @property
    def recall(self) -> float:
        return self.right / self.gold if self.gold else 0.0


def best_threshold(answers: Sequence[tuple[float, bool]], gold: int, target: float = TARGET_PRECISION) -> Ceiling:
    """Among the thresholds that keep every answer of a confidence or more (answers of equal confidence are kept
    together), the one whose kept answers are at least ``target`` right and hold the most right answers."""
    if not answers:
        return Ceiling(0, 0, 1.01, gold)
    confidence = np.array([c for c, _ in answers], dtype=np.float64)
    right = np.array([r for _, r in answers], dtype=np.float64)
    order = np.argsort(-confidence, kind="stable")
    confidence, right = confidence[order], right[order]
    hits = np.cumsum(right)
    kept = np.arange(1, len(right) + 1)
    last = np.r_[confidence[1:] != confidence[:-1], True]
    reached = np.flatnonzero(last & (hits >= target * kept))
    if not len(reached):
        return Ceiling(0, 0, 1.01, gold)
    best = reached[np.argmax(hits[reached])]
    return Ceiling(int(hits[best]), int(kept[best]), float(confidence[best]), gold)


def svm_answers(
    gold: Sequence[set[str] | None], values: Sequence[set[str]], margins: Sequence[float]
) -> list[tuple[float, bool]]:
    """The SVM's answers as ``best_threshold`` reads them: each value it gives a product with a gold value, at the
    product's margin (a product's several values share it, so a threshold keeps them together), and whether the gold
    has it."""
    return [(m, v in g) for g, vs, m in zip(gold, values, margins, strict=True) if g for v in sorted(vs)]


def micro_f1(ceilings: Mapping[str, Ceiling]) -> float:
    right = sum(c.right for c in ceilings.values())
    kept = sum(c.kept for c in ceilings.values())
    gold = sum(c.gold for c in ceilings.values())
    return 2 * right / (kept + gold) if kept + gold else 0.0


def ceiling_note(
    name: str, ceilings: Mapping[str, Ceiling], svm_f1: float, svm_ceilings: Mapping[str, Ceiling] | None = None
) -> str:
    """One line: per key its ceiling, then the micro-F1 over facets at those thresholds beside the SVM's (and, given
    ``svm_ceilings``, beside the SVM's own answers kept from one margin per facet at the target)."""
    micro = micro_f1(ceilings)
    parts = "; ".join(
        f"{key} {c.right}/{c.kept} right, recall {c.recall:.3f}"
        + (f" (from {c.threshold:.2f})" if c.kept else " (no threshold reaches it)")
        for key, c in ceilings.items()
    )
    return (
        f"{name}: ceiling of any keep threshold (per facet, the one confidence that keeps the most right answers at "
        f"precision >= {TARGET_PRECISION} on these held-out products, read with their gold: not an operating point): "
        f"{parts}; micro-F1 over facets {micro:.3f} against the SVM's {svm_f1:.3f}"
    ) + (
        ""
        if svm_ceilings is None
        else f" (the SVM's own ceiling, its answers kept from one margin per facet at precision >= {TARGET_PRECISION}: "
        + "; ".join(f"{key} {c.right}/{c.kept}" for key, c in svm_ceilings.items())
        + f"; micro-F1 {micro_f1(svm_ceilings):.3f})"
    )
