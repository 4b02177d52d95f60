"""How honest the zero-example category confidence is where nothing in the tree fits: the Shopify dev titles scored
with the tree whole, and again with each title's right answer taken out of it.

Run: python benchmarks/zero_nothing_fits.py --cases benchmarks/zero_cases_category.yaml
         benchmarks/zero_cases_category{2..21}.yaml

Each title is scored against Shopify's tree with no examples (``CandidateScorer`` with ``index=None``, as the tagger
scores it: the shipped stacker, ``zero.keep_branches``, ``zero.answer_confidences``). Then, per title, its gold is
taken out: every candidate on a gold's branch (the gold and all below it: ``kind``; the gold's whole top-level
branch: ``top``) is dropped and the rest scored again, so the best remaining candidate is a wrong answer by
construction (the case's ids are the only right ones; its parent, kept under ``kind``, is wrong as in
``benchmarks/zero_products.py``). A confidence that means something is low there. Printed per setting: Brier score,
right share per confidence band, mean confidence and the share of answers above 0.5.

Dropping candidates stands in for a tree without that branch: the remaining candidates keep the evidence they had
beside it, and a value the gold crowded out of the candidates does not come in.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tagllm.candidates.base import FacetTables, expand_ragged  # noqa: E402

BANDS = ((0.0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0))
SETTINGS = ("whole", "kind", "top")


@dataclass
class Scored:
    """Candidates of a batch, product i's rows ``starts[i]:starts[i+1]`` (``matrix``: candidates x FEATURES, ``rows``
    the product, ``values`` label-space positions), and each candidate's key ``row * size + value``."""

    matrix: np.ndarray
    starts: np.ndarray
    rows: np.ndarray
    values: np.ndarray
    size: int

    def keep(self, mask: np.ndarray) -> Scored:
        """The candidates ``mask`` keeps (product rows as they were)."""
        rows = self.rows[mask]
        starts = np.searchsorted(rows, np.arange(len(self.starts)))
        return Scored(self.matrix[mask], starts, rows, self.values[mask], self.size)


def on_branches(scored: Scored, roots: np.ndarray, tables: FacetTables) -> np.ndarray:
    """Per candidate, whether it is one of ``roots`` (keys ``row * size + value``) or below one of its own
    product's."""
    lineage = expand_ragged(scored.values, tables.lineage_ptr, tables.lineage)
    owners = np.repeat(scored.rows.astype(np.int64), lineage.counts)
    hit = np.isin(owners * scored.size + lineage.values, roots)
    candidate = np.repeat(np.arange(len(scored.values)), lineage.counts)
    return np.bincount(candidate, weights=hit, minlength=len(scored.values)) > 0


def top_levels(keys: np.ndarray, tables: FacetTables, size: int) -> np.ndarray:
    """The top-level value of each key's branch, as keys."""
    rows, values = np.divmod(keys, size)
    for _ in range(64):  # deeper than any tree
        up = tables.parent[values]
        if (up < 0).all():
            break
        values = np.where(up >= 0, up, values)
    return np.unique(rows * size + values)


def without_gold(scored: Scored, gold: np.ndarray, tables: FacetTables, setting: str) -> Scored:
    """``scored`` with each product's gold branch dropped (``setting``: ``kind`` or ``top``; ``whole`` drops
    nothing)."""
    if setting == "whole":
        return scored
    roots = top_levels(gold, tables, scored.size) if setting == "top" else gold
    return scored.keep(~on_branches(scored, roots, tables))


def case_gold(cases: list[dict[str, Any]], ids: list[str], names: list[str]) -> list[set[int]]:
    """Per case, the label-space positions it accepts: its ``category_id`` where it lists them, else every value of
    one of its names (or ``accept`` names)."""
    position = {vid: i for i, vid in enumerate(ids)}
    by_name: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        by_name.setdefault(name.casefold(), []).append(i)
    out = []
    for case in cases:
        if case.get("category_id"):
            out.append({position[v] for v in case["category_id"] if v in position})
        else:
            wanted = [*case.get("category", []), *case.get("accept", {}).get("category", [])]
            out.append({p for n in wanted for p in by_name.get(n.casefold(), [])})
    return out


def summary(confidence: np.ndarray, right: np.ndarray) -> str:
    """Brier score, right share per band, mean confidence and the share above 0.5."""
    parts = []
    for low, high in BANDS:
        band = (confidence >= low) & ((confidence < high) | ((high == 1.0) & (confidence == 1.0)))
        if band.any():
            parts.append(f"{low:.1f}-{high:.1f} {int(right[band].sum())}/{int(band.sum())}")
    brier = float(np.mean((confidence - right) ** 2))
    return (
        f"Brier {brier:.4f}, mean confidence {confidence.mean():.3f}, above 0.5 {np.mean(confidence > 0.5):.3f}, "
        f"right {int(right.sum())}/{len(right)}; by band: " + ", ".join(parts)
    )


def main(argv: list[str] | None = None) -> None:
    from tagllm.candidates import CandidateScorer
    from tagllm.candidates.zero import answer_confidences, keep_branches, probabilities
    from tagllm.retrieval.embedder import Embedder
    from tagllm.taxonomy import CATEGORY, load_taxonomy

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, nargs="+", required=True, help="Shopify category case files, pooled")
    args = parser.parse_args(argv)
    cases = [c for path in args.cases for c in yaml.safe_load(path.read_text())]
    cases = [c for c in cases if c.get("category") or c.get("category_id")]
    titles = [c["title"] for c in cases]
    taxonomy = load_taxonomy("shopify")
    embedder = Embedder()
    scorer = CandidateScorer(taxonomy, None, embedder, [CATEGORY])
    batch = scorer.prepare(titles, embedder.encode(titles))
    features = scorer.features(batch, CATEGORY)
    data = scorer._facet(CATEGORY).data
    tables, size = data.tables, features.n_values
    ids = list(features.ids)
    gold_sets = case_gold(cases, ids, [taxonomy.values[v].name for v in ids])
    gold = np.array([i * size + p for i, g in enumerate(gold_sets) for p in g], dtype=np.int64)
    whole = Scored(features.matrix, features.starts, features.rows, features.values, size)
    print(f"{len(cases)} titles, {sum(map(bool, gold_sets))} with a gold in the tree", file=sys.stderr)
    for setting in SETTINGS:
        scored = without_gold(whole, gold, tables, setting)
        probs = probabilities(None, data, scored.matrix, scored.starts)
        keys = scored.rows.astype(np.int64) * size + scored.values
        probs = keep_branches(probs, keys, batch.outranked.get(CATEGORY))
        answers = answer_confidences(probs, scored.rows, scored.values, tables, len(cases), matrix=scored.matrix)
        right = np.zeros(len(cases))
        for i in range(len(cases)):
            start, end = scored.starts[i], scored.starts[i + 1]
            if end > start:
                right[i] = float(scored.values[start + int(np.argmax(probs[start:end]))] in gold_sets[i])
            if end - start > 1:  # never below the runner-up's probability, as ``scorer.ranked_answer`` gives it
                answers[i] = max(answers[i], float(np.sort(probs[start:end])[-2]))
        print(f"{setting}: {summary(answers, right)}")


if __name__ == "__main__":
    main()
