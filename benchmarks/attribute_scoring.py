"""The attribute benchmark's scoring: per facet precision, recall and coverage (an abstention costs recall, never
precision), micro over facets, the markdown table, and reliability per confidence band."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tagllm.evaluation.metrics import PRF, prf_counts  # noqa: E402

METHODS = ("tagllm default", "TF-IDF + LinearSVC", "value mention")  # the methods' names in the table


@dataclass
class FacetScore:
    n: int
    answered: int
    prf: PRF

    @property
    def coverage(self) -> float:
        return self.answered / self.n if self.n else 0.0


def score(gold: list[set[str] | None], pred: list[set[str]]) -> FacetScore:
    """Counts over the products with a gold value; an empty prediction is an abstention (a miss, not an error)."""
    tp = fp = fn = n = answered = 0
    for g, p in zip(gold, pred, strict=True):
        if not g:
            continue
        n += 1
        answered += bool(p)
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
    return FacetScore(n, answered, prf_counts(tp, fp, fn))


def micro(counts: Sequence[PRF]) -> PRF:
    """Counts summed over facets."""
    return prf_counts(sum(c.tp for c in counts), sum(c.fp for c in counts), sum(c.fn for c in counts))


@dataclass
class Table:
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def header(self) -> None:
        self.lines += [
            "| data | facet | method | n | precision | recall | F1 | coverage |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]

    def row(self, data: str, facet: str, method: str, s: FacetScore | None = None, prf: PRF | None = None,
            n: int | None = None, coverage: float | None = None) -> None:  # fmt: skip
        prf = prf or (s.prf if s else None)
        assert prf is not None
        n = n if n is not None else (s.n if s else 0)
        cov = coverage if coverage is not None else (s.coverage if s else None)
        cov_text = "—" if cov is None else f"{cov:.3f}"
        # a facet that answered nothing has no precision (0 of 0): "—", not 0.000, which reads as every answer wrong
        precision = f"{prf.precision:.3f}" if prf.tp + prf.fp else "—"
        figures = f"{precision} | {prf.recall:.3f} | {prf.f1:.3f} | {cov_text}"
        self.lines.append(f"| {data} | {facet} | {method} | {n} | {figures} |")


def reliability(outputs: list[tuple[float, bool]], edges: Sequence[float] = (0.0, 0.5, 0.7, 0.9, 1.01)) -> str:
    """Among the answers in each confidence band, how many are right: calibrated confidences match the band."""
    parts = []
    for low, high in zip(edges, edges[1:], strict=False):
        band = [right for confidence, right in outputs if low <= confidence < high]
        if band:
            parts.append(f"confidence {low:.2f}-{min(high, 1.0):.2f}: {sum(band)}/{len(band)} right "
                         f"({sum(band) / len(band):.3f})")  # fmt: skip
    return "; ".join(parts) or "no answers"


@dataclass
class Recall:
    """Where a facet's held-out gold values are lost before the ranking: not a value of the built taxonomy, a value
    no training example carries (learned evidence cannot propose it), or a value nothing proposed as a candidate."""

    gold: int = 0  # gold values of the products carrying the key
    known: int = 0  # of them, values of the built taxonomy
    carried: int = 0  # of them, values some training example carries
    proposed: int = 0  # of them, among the product's candidates
    products: int = 0
    candidates: int = 0  # candidates summed over the products

    def add(self, gold: set[str], offered: set[str], known: set[str], carried: set[str]) -> None:
        """One product's gold values against its candidates (``offered``), all as comparison keys."""
        self.gold += len(gold)
        self.known += len(gold & known)
        self.carried += len(gold & carried)
        self.proposed += len(gold & offered)
        self.products += 1
        self.candidates += len(offered)

    @classmethod
    def total(cls, parts: Iterable[Recall]) -> Recall:
        parts = list(parts)
        return cls(*(sum(getattr(r, f.name) for r in parts) for f in fields(cls)))

    def line(self, key: str) -> str:
        share = (lambda x: f"{x / self.gold:.3f}") if self.gold else (lambda x: "—")
        mean = self.candidates / self.products if self.products else 0.0
        return (
            f"{key} {share(self.proposed)} ({self.proposed}/{self.gold}; in the taxonomy {share(self.known)}, "
            f"carried by an example {share(self.carried)}; {mean:.1f} candidates per product)"
        )


@dataclass
class Lacking:
    """A facet's held-out gold values that the taxonomy built from the training part lacks: no tagllm answer can be
    right on them. The SVM can answer only those that a training product carries (its classes are the values it saw),
    so the note says how many those are and how many of them the SVM got right."""

    values: int = 0
    carried: int = 0  # of them, values a training product carries (seen there too rarely to be learned)
    svm_right: int = 0  # of them, answered right by the SVM

    def add(self, gold: set[str], known: set[str], seen: set[str], svm: set[str]) -> None:
        """One product's gold values against the taxonomy's (``known``), the training products' (``seen``) and the
        SVM's answer, all as comparison keys."""
        missing = gold - known
        self.values += len(missing)
        self.carried += len(missing & seen)
        self.svm_right += len(missing & svm)


def abstentions(key: str, gold: Sequence[set[str] | None], ours: Sequence[set[str]], svm: Sequence[set[str]]) -> str:
    """Where a facet's F1 is lost against the SVM: the products with a gold value that ours leaves empty and how many
    of the SVM's answers there are right (the recall a rule held to the target precision could win back comes from
    those), and where ours answers, the right values of each (a multi-valued facet answered in part)."""
    empty = right_there = answers_there = ours_right = theirs_right = n = 0
    for g, a, b in zip(gold, ours, svm, strict=True):
        if not g:
            continue
        n += 1
        if a:
            ours_right += len(g & a)
            theirs_right += len(g & b)
        else:
            empty += 1
            right_there += len(g & b)
            answers_there += len(b)
    return (
        f"{key} abstains on {empty} of {n}, the SVM right there {right_there}/{answers_there}; "
        f"where it answers, right {ours_right} against the SVM's {theirs_right}"
    )
