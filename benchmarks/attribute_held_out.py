"""The attribute benchmark's held-out sections (fashion, Flipkart, OpenBG): build the taxonomy and index from the
training part, tag the held-out titles, run the baselines, pool over folds and write the table and its notes."""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.attribute_baselines import Answers, MentionMatcher, at_equal_coverage, svm_predict  # noqa: E402
from benchmarks.attribute_ceiling import Ceiling, best_threshold, ceiling_note, svm_answers  # noqa: E402
from benchmarks.attribute_data import Dataset, folds, gold_values, log, read_jsonl, title_only  # noqa: E402
from benchmarks.attribute_scoring import (  # noqa: E402
    METHODS,
    FacetScore,
    Lacking,
    Recall,
    Table,
    abstentions,
    micro,
    reliability,
    score,
)
from tagllm import Tagger  # noqa: E402
from tagllm.assembly import build_index  # noqa: E402
from tagllm.attributes import AttributeResolver, learn_taxonomy, value_key  # noqa: E402
from tagllm.candidates.calibration import SOLE, Keep, how_stated  # noqa: E402
from tagllm.config import TaggerConfig  # noqa: E402
from tagllm.retrieval.embedder import Embedder  # noqa: E402
from tagllm.retrieval.index import LabelResolver  # noqa: E402
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy  # noqa: E402
from tagllm.text import normalize  # noqa: E402

RELIABILITY_BANDS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01)  # confidence bands of the held-out reliability table
SWEEP = (0.7, 0.8, 0.9)  # the default's answers re-read at stricter probabilities (from its candidates' scores)
# how_stated's kinds, by its codes (SOLE, SHARED, NOT_STATED), and the coarser bands of the per-key reliability
KINDS = ("sole mention", "named beside another or in Chinese", "not stated")
KIND_BANDS = (0.5, 0.7, 0.8, 0.9, 1.01)
ALWAYS = "tagllm, always answering"  # the default's ranking with no abstention: its best candidate per product


def answered(candidates: Sequence[Any], multi: bool) -> list[Any]:
    """The best candidate (a multi-valued facet: every candidate more likely right than wrong, else the best)."""
    likely = [c for c in candidates if c.score >= 0.5] if multi else []
    return likely or list(candidates[:1])


def always(candidates: Sequence[Any], multi: bool) -> list[str]:
    return [c.id for c in answered(candidates, multi)]


def value_keys_of(taxonomy: Taxonomy, key: str, ids: Sequence[str]) -> set[str]:
    return {value_key(taxonomy.values[i].name, key) for i in ids}


@dataclass
class HeldOut:
    """One dataset's built taxonomy, index and tagger, kept for the cost section."""

    taxonomy: Taxonomy
    tagger: Tagger
    facets: list[str]
    test: list[dict[str, Any]]


@dataclass
class Pooled:
    """Every method's predictions and the gold of the held-out products, pooled over folds."""

    gold: list[dict[str, set[str]]] = field(default_factory=list)
    preds: dict[str, dict[str, list[set[str]]]] = field(default_factory=dict)  # method -> key -> per product
    facet_of: dict[str, str | None] = field(default_factory=dict)
    category_gold: list[str | None] = field(default_factory=list)
    category_pred: dict[str, list[str | None]] = field(default_factory=dict)
    n_train: int = 0
    keeps: dict[str, list[Keep]] = field(default_factory=dict)  # key -> its keep probabilities, per fold
    svm_confidence: dict[str, list[float]] = field(default_factory=dict)  # key -> the SVM's margin per product
    # (confidence, right) of the ranking's answers (``always``), for the reliability table: "stated" or "other" values
    answers: dict[str, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    # (key, how the title states the value: KINDS) -> (confidence, right) of the same answers, each title once
    by_kind: dict[tuple[str, str], list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    # key -> (confidence, right) of the same answers, every product: the ceiling of any keep threshold
    ranked: dict[str, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    unknown: dict[str, Lacking] = field(default_factory=dict)  # key -> gold values the built taxonomy lacks
    # key -> candidate recall counts over the gold values of the products carrying the key (``Recall``)
    recall: dict[str, Recall] = field(default_factory=dict)

    def add(self, method: str, key: str, values: list[set[str]]) -> None:
        self.preds.setdefault(method, {}).setdefault(key, []).extend(values)


def run_fold(
    ds: Dataset, data: Path, train: list[dict], test: list[dict], embedder: Embedder, work: Path, pooled: Pooled
) -> HeldOut:
    """Build the taxonomy and the index from ``train``, tag ``test`` with tagllm, run the baselines, pool."""
    train_file = work / f"{ds.name}-train.jsonl"
    with train_file.open("w", encoding="utf-8") as fh:
        for row in train:
            fh.write(json.dumps(title_only(row, ds.keys, True), ensure_ascii=False) + "\n")
    started = time.perf_counter()
    base = load_taxonomy(data / ds.directory / "categories.jsonl")
    learned = learn_taxonomy(train_file, base, label_field="gold_category", attribute_field="gold_attribute_tags")
    taxonomy = learned.taxonomy
    report = learned.attributes
    merged = [f"{a!r} -> {b!r} ({f.title})" for f in (report.facets if report else []) for a, b in f.merged]
    log(f"{ds.name}: misspellings merged into a value: {', '.join(merged) or 'none'}")
    resolver = AttributeResolver(taxonomy)
    facet_of = {k: resolver.facet(k) for k in ds.keys}
    facets = [CATEGORY] + [f for f in facet_of.values() if f]
    target = work / f"{ds.name}-index-{len(pooled.gold)}"
    index = build_index(
        train_file, taxonomy, embedder, target, label_field="gold_category", attribute_field="gold_attribute_tags"
    )
    build_s = time.perf_counter() - started
    tagger = Tagger(taxonomy, index=index, embedder=embedder, config=TaggerConfig(facets=facets))
    products = [title_only(r, ds.keys, False) for r in test]
    started = time.perf_counter()
    results = tagger.tag(products)
    log(
        f"{ds.name}: {len(train)} train / {len(test)} test; taxonomy + index built in {build_s:.1f}s, "
        f"tagged in {time.perf_counter() - started:.1f}s"
    )
    titles = [r["title"] for r in test]
    for key in ds.keys:
        facet = facet_of[key]
        pooled.facet_of[key] = pooled.facet_of.get(key) or facet
        if facet is None:  # the key made no facet (too rare in training): tagllm and the matcher cannot answer
            pooled.add(METHODS[0], key, [set() for _ in test])
            pooled.add(METHODS[2], key, [set() for _ in test])
            for keep in SWEEP:
                pooled.add(f"{METHODS[0]}, kept from {keep}", key, [set() for _ in test])
            pooled.add(ALWAYS, key, [set() for _ in test])
        else:
            pooled.add(METHODS[0], key, [
                value_keys_of(taxonomy, key, [t.id for t in r.tags.get(facet, []) if t.source != "ancestor"])
                for r in results
            ])  # fmt: skip
            multi = taxonomy.facets[facet].multi_valued
            for keep in SWEEP:  # what the default would answer if it kept values only from this probability up
                pooled.add(f"{METHODS[0]}, kept from {keep}", key, [
                    value_keys_of(taxonomy, key, [c.id for c in r.provenance.candidates.get(facet, [])
                                                  if c.score >= keep][: None if multi else 1])
                    if r.provenance else set()
                    for r in results
                ])  # fmt: skip
            pooled.add(ALWAYS, key, [
                value_keys_of(taxonomy, key, always(r.provenance.candidates.get(facet, []) if r.provenance else [],
                                                    multi))
                for r in results
            ])  # fmt: skip
            seen: set[str] = set()  # titles already answered in this facet (a listing's variants share one title)
            for row, r in zip(test, results, strict=True):
                if (gold := gold_values(row, [key]).get(key)) and r.provenance:
                    first = normalize(row["title"]) not in seen
                    seen.add(normalize(row["title"]))
                    for c in answered(r.provenance.candidates.get(facet, []), multi):
                        how = how_stated(c.evidence.get("stated", 0.0))
                        kind = "stated" if how == SOLE else "other"
                        right = value_key(taxonomy.values[c.id].name, key) in gold
                        pooled.answers[kind].append((c.score, right))
                        pooled.ranked[key].append((c.score, right))
                        if first:
                            pooled.answers[f"{kind}, once per title"].append((c.score, right))
                            pooled.by_kind[key, KINDS[how]].append((c.score, right))
            known = {value_key(v.name, key) for v in taxonomy.facet_values(facet)}
            carried = {v for t in train for v in gold_values(t, [key]).get(key, set())} & known
            recall = pooled.recall.setdefault(key, Recall())
            for row, r in zip(test, results, strict=True):
                if gold := gold_values(row, [key]).get(key):
                    offered = r.provenance.candidates.get(facet, []) if r.provenance else []
                    recall.add(gold, value_keys_of(taxonomy, key, [c.id for c in offered]), known, carried)
            keep = tagger.scorer.keep_probabilities().get(facet)
            if keep is not None:
                pooled.keeps.setdefault(key, []).append(keep)
            matcher = MentionMatcher(taxonomy, facet, key)
            pooled.add(METHODS[2], key, [matcher(t) for t in titles])
        train_pairs = [(r["title"], gv[key]) for r in train if key in (gv := gold_values(r, [key]))]
        svm = svm_predict(train_pairs, titles)
        pooled.add(METHODS[1], key, svm.values)
        if facet is not None:
            known = {value_key(v.name, key) for v in taxonomy.facet_values(facet)}
            seen = {v for _, values in train_pairs for v in values}
            lacking = pooled.unknown.setdefault(key, Lacking())
            for row, answer in zip(test, svm.values, strict=True):
                if gold := gold_values(row, [key]).get(key):
                    lacking.add(gold, known, seen, answer)
        pooled.svm_confidence.setdefault(key, []).extend(svm.confidence)
    pooled.gold.extend(gold_values(r, ds.keys) for r in test)
    # the category beside the attributes: the chosen node against the gold node, tagllm and the SVM
    labels = LabelResolver(taxonomy)
    pooled.category_gold.extend(labels.resolve(CATEGORY, r["gold_category"]) for r in test)
    best = [(b.id if (b := r.best(CATEGORY)) else None) for r in results]
    pooled.category_pred.setdefault(METHODS[0], []).extend(best)
    svm = svm_predict([(r["title"], {r["gold_category"]}) for r in train], titles).values
    pooled.category_pred.setdefault(METHODS[1], []).extend(labels.resolve(CATEGORY, next(iter(p))) for p in svm)
    pooled.n_train += len(train)
    return HeldOut(taxonomy, tagger, facets, products)


def _thresholds(keep: Keep) -> str:
    further = "" if keep.further is None else f" (further values beside a kept best one {keep.further:.2f})"
    return "/".join(f"{t:.2f}" for t in keep.thresholds) + further


def run_held_out(ds: Dataset, data: Path, embedder: Embedder, seed: int, table: Table, work: Path) -> HeldOut:
    """One section: every fold tagged and pooled, then its rows and notes added to ``table`` (in the table's order:
    the scores, the default against the SVM at equal coverage, the ceilings, the calibration, the recall)."""
    pooled, held = _pool_folds(ds, data, embedder, seed, work)
    per_method = _score_rows(ds, pooled, table)
    equal_coverage(ds.name, pooled, table)
    _ceiling_notes(ds, pooled, per_method, table)
    scheme = f"{ds.folds}-fold cross-validation" if ds.folds > 1 else f"{ds.test_share:.0%} held out"
    table.notes.append(f"{ds.name}: {scheme}, {len(pooled.gold)} test products, {pooled.n_train} training rows in all")
    _calibration_notes(ds, pooled, table)
    _coverage_notes(ds, pooled, table)
    return held


def _pool_folds(ds: Dataset, data: Path, embedder: Embedder, seed: int, work: Path) -> tuple[Pooled, HeldOut]:
    """The section's labelled products (a category and a gold value of one of its keys) run fold by fold, their
    answers pooled; the last fold's run is returned too (its tagger and taxonomy are what the cost section uses)."""
    rows = [r for r in read_jsonl(data / ds.directory / "products.jsonl") if r.get("gold_category")]
    rows = [r for r in rows if gold_values(r, ds.keys)]
    pooled = Pooled()
    held = None
    for train, test in folds(rows, ds, seed):
        held = run_fold(ds, data, train, test, embedder, work, pooled)
    assert held is not None
    return pooled, held


def _score_rows(ds: Dataset, pooled: Pooled, table: Table) -> dict[str, list[FacetScore]]:
    """The table's rows: each method per key, micro and macro over the keys, and the category; the per-key scores of
    each method are returned for the notes."""
    methods = list(pooled.preds)
    per_method: dict[str, list[FacetScore]] = {m: [] for m in methods}
    for key in ds.keys:
        g = [x.get(key) for x in pooled.gold]
        for method in methods:
            s = score(g, pooled.preds[method][key])
            per_method[method].append(s)
            table.row(ds.name, f"{key} ({pooled.facet_of.get(key) or 'no facet'})", method, s)
    for method in methods:
        scores = per_method[method]
        n = sum(s.n for s in scores)
        cov = sum(s.answered for s in scores) / n if n else 0.0
        table.row(ds.name, "**micro over facets**", method, prf=micro([s.prf for s in scores]), n=n, coverage=cov)
        macro = float(np.mean([s.prf.f1 for s in scores]))
        table.lines.append(f"| {ds.name} | macro-F1 over facets | {method} |  |  |  | {macro:.3f} |  |")
    for method, pred in pooled.category_pred.items():
        s = score([{g} if g else None for g in pooled.category_gold], [{p} if p else set() for p in pred])
        table.row(ds.name, "category (exact node)", method, s)
    return per_method


def _ceiling_notes(ds: Dataset, pooled: Pooled, per_method: dict[str, list[FacetScore]], table: Table) -> None:
    """What the default and the SVM could reach at their best thresholds, and where the default loses to the SVM."""
    gold_of = {key: [x.get(key) for x in pooled.gold] for key in ds.keys}
    n_gold = {key: sum(len(g) for g in gold_of[key] if g) for key in ds.keys}
    ceilings: dict[str, Ceiling] = {key: best_threshold(pooled.ranked[key], n_gold[key]) for key in ds.keys}
    svm_ceilings = {
        key: best_threshold(svm_answers(gold_of[key], pooled.preds[METHODS[1]][key], pooled.svm_confidence[key]),
                            n_gold[key])
        for key in ds.keys
    }  # fmt: skip
    svm_f1 = micro([s.prf for s in per_method[METHODS[1]]]).f1
    table.notes.append(ceiling_note(ds.name, ceilings, svm_f1, svm_ceilings))
    table.notes.append(
        f"{ds.name}: where the default loses against the SVM, per key: "
        + "; ".join(
            abstentions(k, gold_of[k], pooled.preds[METHODS[0]][k], pooled.preds[METHODS[1]][k]) for k in ds.keys
        )
    )


def _calibration_notes(ds: Dataset, pooled: Pooled, table: Table) -> None:
    """The keep probabilities learned out of fold, and how reliable the held-out answers are per confidence band:
    pooled, each title once, and per key and way the title states the value."""
    keeps = "; ".join(f"{k} {' '.join(_thresholds(x) for x in v)}" for k, v in pooled.keeps.items())
    table.notes.append(
        f"{ds.name}: keep probabilities per facet, for values the title states as the only one of the facet / as one "
        "of several / for the others, measured out of fold "
        f"on the training part (above 1: such answers reached the target precision nowhere and are never kept): {keeps}"
    )
    for kind, title in (("stated", "values the title states as the facet's only one"), ("other", "the others")):
        table.notes.append(
            f"{ds.name}: reliability on the held-out products, {title} (the ranking's answers: each product's best "
            f"value, every value of 0.5 or more of a multi-valued facet): "
            + reliability(pooled.answers[kind], RELIABILITY_BANDS)
        )
        once = reliability(pooled.answers[f"{kind}, once per title"], RELIABILITY_BANDS)
        table.notes.append(
            f"{ds.name}: the same, {title}, counting each title once (listings that share a title, a product's colour "
            f"and size variants, are one answer repeated): {once}"
        )
    by_kind = "; ".join(
        f"{key}, {kind}: {reliability(answers, KIND_BANDS)}" for (key, kind), answers in sorted(pooled.by_kind.items())
    )
    table.notes.append(
        f"{ds.name}: the same per key and per way the title states the value ({' / '.join(KINDS)}; "
        f"each title once), where a facet could keep answers that its pooled rows hide: {by_kind}"
    )


def _coverage_notes(ds: Dataset, pooled: Pooled, table: Table) -> None:
    """How many held-out gold values the ranking offered as candidates, and which the taxonomy built from the
    training part lacks (no tagllm answer can be right on them)."""
    total = Recall.total(pooled.recall.values())
    table.notes.append(
        f"{ds.name}: candidate recall per facet (held-out gold values among the ranking's candidates, at most "
        "max_candidates): " + "; ".join(r.line(k) for k, r in [*pooled.recall.items(), ("all facets", total)])
    )
    missing = ", ".join(
        f"{k} {n.values} ({n.carried} carried by a training product, {n.svm_right} answered right by the SVM)"
        for k, n in pooled.unknown.items()
        if n.values
    )
    table.notes.append(
        f"{ds.name}: gold values of the held-out products that the taxonomy built from the training part lacks (too "
        "rare there, or never seen; no tagllm answer can be right on them, and the SVM's only on those a training "
        f"product carries): {missing or 'none'}"
    )


def equal_coverage(name: str, pooled: Pooled, table: Table) -> None:
    """Per tagllm operating point that abstains (the default, and its answers kept from stricter confidences), its
    precision against the SVM's when the SVM, per facet, keeps its most confident answers (by margin) for as many
    products as tagllm answers; counts summed over the facets (micro)."""
    parts = []
    for method in [m for m in pooled.preds if m.startswith(METHODS[0])]:
        pairs = [
            at_equal_coverage(
                [x.get(key) for x in pooled.gold],
                pooled.preds[method][key],
                Answers(pooled.preds[METHODS[1]][key], confidence),
            )
            for key, confidence in pooled.svm_confidence.items()
        ]
        n, answered = sum(s.n for s, _ in pairs), sum(s.answered for s, _ in pairs)
        mine, other = micro([s.prf for s, _ in pairs]), micro([s.prf for _, s in pairs])
        parts.append(
            f"{method}: coverage {answered / n if n else 0:.3f}, precision {mine.precision:.3f} "
            f"({mine.tp}/{mine.tp + mine.fp}) against the SVM's {other.precision:.3f} "
            f"({other.tp}/{other.tp + other.fp})"
        )
    table.notes.append(
        f"{name}: precision at equal coverage (per facet, the SVM keeps its answers of the largest margin for as many "
        "products as tagllm answers; micro over facets): " + "; ".join(parts)
    )
