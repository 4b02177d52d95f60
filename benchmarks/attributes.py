"""Attribute tagging benchmark: tagllm's default against a per-facet TF-IDF + LinearSVC and value-mention matching.

Run: python benchmarks/attributes.py                                   (every section; data in ../shared/data)
     python benchmarks/attributes.py --data /path/to/data --sections fashion flipkart --fashion-train 2000
     python benchmarks/attributes.py --sections shopify zero-category  (the runs with no examples)

Sections (``--sections``, default all):
- ``fashion``, ``flipkart``, ``openbg``: held-out splits of products carrying attribute tags, titles only (the tagger,
  the SVM and the matcher see the title and nothing else, in training and in test). The split is by a hash of the
  normalised title, so listings that share a title (colour and size variants) never straddle it: 20% of fashion
  (sampled to ``--fashion-train`` / ``--fashion-test``), 25% of Flipkart, and for OpenBG's 500 products
  ``--openbg-folds`` folds of cross-validation (every product held out once, predictions pooled). The taxonomy is
  built from the training part with ``tagllm.attributes.learn_taxonomy`` (the category tree plus the benchmark's
  attribute keys, scoped where the training products carry them); the index from the training part's category and
  "Key: Value" attribute tags (``build_index(..., attribute_field=...)``); tagllm tags through the public ``Tagger``
  with the default settings (``TaggerConfig()``: its threshold, k, candidates), facets = category plus the attributes;
  each facet's keep probabilities (for values the title states as the facet's only one / as one of several / for the
  others, measured out of fold on the training part when the index is built, ``tagllm.candidates.calibration``) are
  printed under the table, and so is a reliability table of the held-out answers (per band of confidence, the share
  right; for values the title states as the facet's only one and for the others apart; again counting each distinct
  title once; and per key and per way the title states the value, from 0.5 up): a confidence of 0.8 should be right
  about 8 times in 10. Then the precision at equal coverage: per operating point of tagllm that abstains, its
  precision against the SVM's when the SVM, facet by facet, keeps its answers of the largest margin for as many
  products as tagllm answers (is the default better when it answers, or only more selective?); per key, its
  candidate recall (the share of the held-out gold values among the ranking's candidates,
  beside the share that are values of the built taxonomy and that a training example carries, and the candidates per
  product: where a right value is lost before the ranking); and per key, the held-out gold values that the built
  taxonomy lacks, how many of them a training product carries (the only ones the SVM can answer) and how many of
  them the SVM answered right; and per key, the ceiling of any keep threshold (``benchmarks/attribute_ceiling.py``:
  the one confidence per facet that keeps the most right answers at precision 0.9 on the held-out products, read
  with their gold) and the micro-F1 over facets it gives beside the SVM's. "tagllm, always answering" reads the same
  run's ranking with no abstention (the best candidate; for a multi-valued facet every candidate of probability 0.5
  or more, else the best), the operating point comparable with the SVM; "kept from t" keeps candidates from
  confidence t. Baselines: per facet, TF-IDF (word 1-2-grams and character 2-4-grams) + LinearSVC trained on the
  training products that carry the facet, always answering (the top class; for a multi-valued facet every class with
  a positive margin, else the top one); and value-mention matching: a value of the built taxonomy whose name or
  synonym appears in the title (at word boundaries; as a substring in Chinese) is predicted, the longest match for a
  single-valued facet, every match for a multi-valued one.
- ``shopify``: no examples at all: the Shopify taxonomy tagllm ships, ``--shopify-n`` held-out fashion titles,
  facets category, color and target-gender; gold mapped onto Shopify values with ``tagllm.mapping.Mapper`` (the
  category by its path, else by its leaf; gender values the mapper rejects fall back to a printed table: Men/Boys
  -> Male, Women/Girls -> Female); every gold mapping is printed. Precision per facet, coverage, and for the
  category also the share of answers on the gold's path (the gold, an ancestor or a descendant) and the best
  category's reliability per confidence band.
- ``zero-category``: no examples: held-out Flipkart, OpenBG and fashion titles against their own category trees
  (held out as ``benchmarks/zero_calibration.py`` left them when it fitted the zero-example stacker); recall@20
  of the category candidates, top-1 accuracy of the chosen leaf (exact node), and a reliability table of the chosen
  category's confidence (per band, the share of answers that are right).
- ``cost``: on the fashion index, tagging cost per product with facets = category only and with the attributes,
  measured in the same run (each timed twice, alternating; the faster kept), with and without encoding.

Scoring, per facet, over the test products whose gold carries the facet: gold values are the tag's value split at
commas, compared by ``tagllm.attributes.value_key`` (case, punctuation, plurals and British spellings folded) to the
names of the predicted values. Precision = correct predicted values / predicted values; recall = correct / gold
values (an abstention costs recall, never precision); coverage = share of products given at least one value.
Micro-F1 over facets sums the counts of the attribute facets (the category excluded; it is reported on its own row).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.attribute_ceiling import Ceiling, best_threshold, ceiling_note  # noqa: E402
from tagllm import Tagger  # noqa: E402
from tagllm.assembly import build_index  # noqa: E402
from tagllm.attributes import AttributeResolver, is_placeholder, learn_taxonomy, value_key  # noqa: E402
from tagllm.candidates.calibration import SOLE, Keep, how_stated  # noqa: E402
from tagllm.config import TaggerConfig  # noqa: E402
from tagllm.evaluation.metrics import PRF, prf_counts  # noqa: E402
from tagllm.retrieval.embedder import Embedder  # noqa: E402
from tagllm.retrieval.index import LabelResolver  # noqa: E402
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy  # noqa: E402
from tagllm.text import has_cjk, normalize  # noqa: E402

METHODS = ("tagllm default", "TF-IDF + LinearSVC", "value mention")
FASHION_KEYS = ("Gender", "Colour", "Season", "Usage")
FLIPKART_KEYS = ("Ideal For", "Color", "Type", "Occasion", "Material", "Pattern", "Fabric", "Sleeve", "Neck")
# OpenBG's most frequent keys that describe the product itself (not where it ships from or how it is sold:
# 配送安装地区 delivery area, 产地 origin, 省份 province are left out), and are not numbers or dates.
OPENBG_KEYS = ("风格", "适用对象", "功效", "材质", "功能", "图案", "款式", "适用场景", "流行元素", "适用季节")
RECALL_AT = 20
# no examples: each dataset against its own tree, held out as tagllm.candidates.zero's fit left it (fashion as in the
# shopify section); confidence bands of the chosen category's reliability table
ZERO_DATASETS = (("flipkart", 0.25), ("openbg-zh", 0.25), ("fashion", 0.2))
ZERO_BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.01)
RELIABILITY_BANDS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01)  # confidence bands of the held-out reliability table
SWEEP = (0.7, 0.8, 0.9)  # the default's answers re-read at stricter probabilities (from its candidates' scores)
# how_stated's kinds, by its codes (SOLE, SHARED, NOT_STATED), and the coarser bands of the per-key reliability
KINDS = ("sole mention", "named beside another or in Chinese", "not stated")
KIND_BANDS = (0.5, 0.7, 0.8, 0.9, 1.01)
ALWAYS = "tagllm, always answering"  # the default's ranking with no abstention: its best candidate per product
_COMMA = re.compile(r"\s*[,，、;；]\s*")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- data ------------------------------------------------------------------------------------------------------
def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def is_test(row: dict[str, Any], share: float, seed: int) -> bool:
    """Held out by a hash of the normalised title: variants sharing a title fall on the same side."""
    digest = hashlib.sha256(f"{seed}\0{normalize(row['title'])}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def split(rows: list[dict[str, Any]], share: float, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    train, test = [], []
    for row in rows:
        (test if is_test(row, share, seed) else train).append(row)
    return train, test


def sample(rows: list[dict[str, Any]], n: int | None, seed: int) -> list[dict[str, Any]]:
    if n is None or n >= len(rows):
        return rows
    chosen = sorted(np.random.default_rng(seed).choice(len(rows), n, replace=False).tolist())
    return [rows[i] for i in chosen]


def gold_values(row: dict[str, Any], keys: Sequence[str]) -> dict[str, set[str]]:
    """Per benchmark key, the product's gold values as comparison keys (commas separate several values)."""
    wanted = {normalize(k): k for k in keys}
    out: dict[str, set[str]] = {}
    for tag in row.get("gold_attribute_tags") or []:
        key, _, value = str(tag).partition(":")
        name = wanted.get(normalize(key))
        if name is None:
            continue
        for part in _COMMA.split(value.strip()):
            if part and not is_placeholder(part):
                out.setdefault(name, set()).add(value_key(part, name))
    return out


def title_only(row: dict[str, Any], keys: Sequence[str], with_gold: bool) -> dict[str, Any]:
    """What a method may read (id and title); training rows keep their category and the benchmark's keys."""
    out: dict[str, Any] = {"id": str(row["id"]), "title": row["title"]}
    if with_gold:
        out["gold_category"] = row.get("gold_category")
        wanted = {normalize(k) for k in keys}
        out["gold_attribute_tags"] = [
            t for t in row.get("gold_attribute_tags") or [] if normalize(str(t).partition(":")[0]) in wanted
        ]
    return out


# -- scoring ---------------------------------------------------------------------------------------------------
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


# -- methods ---------------------------------------------------------------------------------------------------
@dataclass
class Answers:
    """A method's answers per product, and how sure it is of each (for the precision at equal coverage)."""

    values: list[set[str]]
    confidence: list[float]


def svm_predict(train: list[tuple[str, set[str]]], test: list[str]) -> Answers:
    """Per-facet TF-IDF + LinearSVC that always answers; its confidence in a product's answer is the top class's
    margin (the signed distance to its separating hyperplane)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_union
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    texts = [t for t, _ in train]
    labels = [sorted(g) for _, g in train]
    classes = sorted({x for g in labels for x in g})
    if len(classes) == 1:
        return Answers([{classes[0]} for _ in test], [0.0 for _ in test])
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)
    vectorizer = make_union(words, chars)
    x_train = vectorizer.fit_transform(texts)
    x_test = vectorizer.transform(test)
    if any(len(g) > 1 for g in labels):
        binarizer = MultiLabelBinarizer(classes=classes)
        y = binarizer.fit_transform(labels)
        margins = np.atleast_2d(OneVsRestClassifier(LinearSVC()).fit(x_train, y).decision_function(x_test))
        out = []
        for row in margins:
            chosen = {classes[j] for j in np.flatnonzero(row > 0)}
            out.append(chosen or {classes[int(np.argmax(row))]})
        return Answers(out, margins.max(axis=1).tolist())
    model = LinearSVC().fit(x_train, [g[0] for g in labels])
    margins = model.decision_function(x_test)
    if margins.ndim == 1:  # two classes: the margin of the second, positive for it
        predicted = [model.classes_[int(m > 0)] for m in margins]
        return Answers([{str(p)} for p in predicted], np.abs(margins).tolist())
    predicted = [model.classes_[int(j)] for j in margins.argmax(axis=1)]
    return Answers([{str(p)} for p in predicted], margins.max(axis=1).tolist())


def at_equal_coverage(
    gold: list[set[str] | None], ours: list[set[str]], theirs: Answers
) -> tuple[FacetScore, FacetScore]:
    """Our answers' score, and theirs when they keep only their most confident answers, for as many products as we
    answer (among the products with a gold value): is a method better when it answers, or only more selective?"""
    scored = [i for i, g in enumerate(gold) if g]
    kept = sum(1 for i in scored if ours[i])
    chosen = set(sorted(scored, key=lambda i: -theirs.confidence[i])[:kept])
    selective = [theirs.values[i] if i in chosen else set() for i in range(len(gold))]
    return score(gold, ours), score(gold, selective)


class MentionMatcher:
    """A facet's values found in the title by name or synonym: word boundaries in Latin script, substrings in CJK."""

    def __init__(self, taxonomy: Taxonomy, facet: str, key: str) -> None:
        self.multi = taxonomy.facets[facet].multi_valued
        self.surfaces: list[tuple[str, str]] = []  # (normalised surface, value comparison key)
        for v in taxonomy.facet_values(facet):
            for text in (v.name, *v.synonyms):
                surface = normalize(text)
                if surface:
                    self.surfaces.append((surface, value_key(v.name, key)))
        self.surfaces.sort(key=lambda s: -len(s[0]))

    def __call__(self, title: str) -> set[str]:
        text = f" {normalize(title)} "
        found: list[tuple[str, str]] = []
        for surface, vkey in self.surfaces:
            hit = surface in text if has_cjk(surface) else f" {surface} " in text
            if hit:
                found.append((surface, vkey))
        if not found:
            return set()
        return {v for _, v in found} if self.multi else {found[0][1]}


def answered(candidates: Sequence[Any], multi: bool) -> list[Any]:
    """The best candidate (a multi-valued facet: every candidate more likely right than wrong, else the best)."""
    likely = [c for c in candidates if c.score >= 0.5] if multi else []
    return likely or list(candidates[:1])


def always(candidates: Sequence[Any], multi: bool) -> list[str]:
    return [c.id for c in answered(candidates, multi)]


def value_keys_of(taxonomy: Taxonomy, key: str, ids: Sequence[str]) -> set[str]:
    return {value_key(taxonomy.values[i].name, key) for i in ids}


# -- the held-out attribute runs -------------------------------------------------------------------------------
@dataclass
class Dataset:
    name: str
    directory: str
    keys: Sequence[str]
    test_share: float
    train_n: int | None
    test_n: int | None
    folds: int = 1  # above 1: cross-validation, for data too small to hold a fifth out once


@dataclass
class HeldOut:
    """One dataset's built taxonomy, index and tagger, kept for the cost section."""

    taxonomy: Taxonomy
    tagger: Tagger
    facets: list[str]
    test: list[dict[str, Any]]


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


def _fold(row: dict[str, Any], k: int, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}\0{normalize(row['title'])}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % k


def folds(rows: list[dict[str, Any]], ds: Dataset, seed: int) -> list[tuple[list[dict], list[dict]]]:
    """One held-out split, or ``ds.folds`` folds (every product held out once) for a small dataset."""
    if ds.folds <= 1:
        train, test = split(rows, ds.test_share, seed)
        return [(sample(train, ds.train_n, seed), sample(test, ds.test_n, seed))]
    which = [_fold(r, ds.folds, seed) for r in rows]
    return [
        (
            [r for r, w in zip(rows, which, strict=True) if w != k],
            [r for r, w in zip(rows, which, strict=True) if w == k],
        )
        for k in range(ds.folds)
    ]


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


def run_held_out(ds: Dataset, data: Path, embedder: Embedder, seed: int, table: Table, work: Path) -> HeldOut:
    rows = [r for r in read_jsonl(data / ds.directory / "products.jsonl") if r.get("gold_category")]
    rows = [r for r in rows if gold_values(r, ds.keys)]
    pooled = Pooled()
    held = None
    for train, test in folds(rows, ds, seed):
        held = run_fold(ds, data, train, test, embedder, work, pooled)
    assert held is not None
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
    equal_coverage(ds.name, pooled, table)
    ceilings: dict[str, Ceiling] = {
        key: best_threshold(pooled.ranked[key], sum(len(x.get(key, ())) for x in pooled.gold)) for key in ds.keys
    }
    table.notes.append(ceiling_note(ds.name, ceilings, micro([s.prf for s in per_method[METHODS[1]]]).f1))
    scheme = f"{ds.folds}-fold cross-validation" if ds.folds > 1 else f"{ds.test_share:.0%} held out"
    table.notes.append(f"{ds.name}: {scheme}, {len(pooled.gold)} test products, {pooled.n_train} training rows in all")
    keeps = "; ".join(f"{k} {' '.join('/'.join(f'{t:.2f}' for t in x.thresholds) for x in v)}" for k, v in
                      pooled.keeps.items())  # fmt: skip
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
    return held


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


# -- no examples -----------------------------------------------------------------------------------------------
def _tag_value(row: dict[str, Any], key: str) -> str | None:
    return next((t.split(": ", 1)[1] for t in row["gold_attribute_tags"] if t.startswith(f"{key}:")), None)


GENDER_FALLBACK = {"men": "Male", "boys": "Male", "women": "Female", "girls": "Female", "unisex": "Unisex"}


def run_shopify(data: Path, n: int, seed: int, table: Table, show_errors: bool = False) -> None:
    from tagllm.mapping import Mapper

    rows = [r for r in read_jsonl(data / "fashion" / "products.jsonl") if r.get("gold_category")]
    _, test = split(rows, 0.2, seed)
    test = sample(test, n, seed)
    taxonomy = load_taxonomy("shopify")
    started = time.perf_counter()
    mapper = Mapper(taxonomy)
    gold: dict[str, list[str | None]] = {}
    notes: list[str] = []
    for facet, key in (("category", None), ("color", "Colour"), ("target-gender", "Gender")):
        raw = [r["gold_category"] if key is None else _tag_value(r, key) for r in test]
        distinct = sorted({x for x in raw if x})
        mapped = {m.text: m for m in mapper.map(distinct, facet)}
        # a category path the mapper rejects is tried by its leaf ("Apparel > Topwear > Shirts" -> "Shirts")
        leaves = sorted({t.split(" > ")[-1] for t in distinct if not mapped[t].ok and " > " in t})
        by_leaf = {m.text: m for m in mapper.map(leaves, facet)} if leaves else {}
        table_of: dict[str, str | None] = {}
        for text in distinct:
            m = mapped[text]
            if not m.ok and text.split(" > ")[-1] in by_leaf:
                m = by_leaf[text.split(" > ")[-1]]
            vid = m.value.id if m.value else None
            how = m.method or f"rejected: {m.reason}"
            if vid is None and facet == "target-gender" and normalize(text) in GENDER_FALLBACK:
                name = GENDER_FALLBACK[normalize(text)]
                vid = next(v.id for v in taxonomy.facet_values(facet) if v.name == name)
                how = "fallback table"
            table_of[text] = vid
            target = taxonomy.path_of(vid) if vid else "—"
            notes.append(f"  gold {facet}: {text!r} -> {target} ({how})")
        gold[facet] = [table_of.get(x) if x else None for x in raw]
    map_s = time.perf_counter() - started
    started = time.perf_counter()
    config = TaggerConfig(taxonomy="shopify", facets=["category", "color", "target-gender"])
    tagger = Tagger(taxonomy, config=config)
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    results = tagger.tag([{"id": str(r["id"]), "title": r["title"]} for r in test])
    tag_s = time.perf_counter() - started
    for facet, g in gold.items():
        pred = [{t.id for t in r.tags.get(facet, []) if t.source != "ancestor"} for r in results]
        if facet == "category":
            best = [(b.id if (b := r.best(facet)) else None) for r in results]
            pred = [{b} if b else set() for b in best]
            on_path = [
                gi is not None and b is not None and (gi in taxonomy.lineage(b) or b in taxonomy.lineage(gi))
                for gi, b in zip(g, best, strict=True)
            ]
            answered = sum(1 for gi, b in zip(g, best, strict=True) if gi and b)
            hits = sum(on_path)
            notes.append(
                f"  category on the gold's path (the gold, an ancestor or a descendant): {hits}/{answered} answered"
                f" = {hits / answered if answered else 0:.3f}"
            )
            confidences = [
                (b.confidence, b.id == gi) for gi, r in zip(g, results, strict=True) if gi and (b := r.best(facet))
            ]
            notes.append(f"  category, best by its confidence: {reliability(confidences, ZERO_BANDS)}")
            if show_errors:
                notes += _category_errors(taxonomy, test, g, results, on_path)
        s = score([{x} if x else None for x in g], pred)
        table.row("fashion → shopify, no examples", facet, METHODS[0], s)
        if facet != "category":
            notes.append(f"  {facet}: " + reliability(
                [(t.confidence, t.id == gi) for gi, r in zip(g, results, strict=True) if gi
                 for t in r.tags.get(facet, [])]
            ))  # fmt: skip
    unmapped = {f: sum(1 for x in g if x is None) for f, g in gold.items()}
    log(f"shopify: gold mapped in {map_s:.1f}s; tagger set up in {setup_s:.1f}s; {len(test)} products in {tag_s:.1f}s")
    table.lines.append("")
    table.lines.append(
        f"shopify, no examples: {len(test)} held-out fashion titles; products without a mapped gold value are not "
        f"scored on that facet ({', '.join(f'{f}: {k}' for f, k in unmapped.items())} unmapped); tagger setup "
        f"{setup_s:.1f}s, tagging {tag_s:.1f}s"
    )
    table.lines.extend(notes)
    table.lines.append("")


def _category_errors(
    taxonomy: Taxonomy, test: list[dict[str, Any]], gold: list[str | None], results: list[Any], on_path: list[bool]
) -> list[str]:
    """One line per wrong best category: the title, the chosen value, the mapped gold, the confidence, and whether
    the choice lies on the gold's path (an ancestor or a descendant) or on another branch."""
    lines = ["  category errors (on path: the choice is the gold's ancestor or descendant):"]
    for row, gi, r, path in zip(test, gold, results, on_path, strict=True):
        b = r.best("category")
        if gi is None or b is None or b.id == gi:
            continue
        where = "on path" if path else "other branch"
        lines.append(
            f"    {where} | {row['title']!r} | chose {taxonomy.path_of(b.id)} ({b.confidence:.2f})"
            f" | gold {taxonomy.path_of(gi)} (from {row['gold_category']!r})"
        )
    return lines


def reliability(outputs: list[tuple[float, bool]], edges: Sequence[float] = (0.0, 0.5, 0.7, 0.9, 1.01)) -> str:
    """Among the answers in each confidence band, how many are right: calibrated confidences match the band."""
    parts = []
    for low, high in zip(edges, edges[1:], strict=False):
        band = [right for confidence, right in outputs if low <= confidence < high]
        if band:
            parts.append(f"confidence {low:.2f}-{min(high, 1.0):.2f}: {sum(band)}/{len(band)} right "
                         f"({sum(band) / len(band):.3f})")  # fmt: skip
    return "; ".join(parts) or "no answers"


def run_zero_category(data: Path, name: str, share: float, n: int, seed: int, table: Table) -> None:
    rows = [r for r in read_jsonl(data / name / "products.jsonl") if r.get("gold_category")]
    _, test = split(rows, share, seed)
    test = sample(test, n, seed)
    taxonomy = load_taxonomy(data / name / "categories.jsonl")
    resolver = LabelResolver(taxonomy)
    gold = [resolver.resolve(CATEGORY, r["gold_category"]) for r in test]
    config = TaggerConfig(taxonomy=str(data / name / "categories.jsonl"), max_candidates=RECALL_AT)
    started = time.perf_counter()
    tagger = Tagger(taxonomy, config=config)
    results = tagger.tag([{"id": str(r["id"]), "title": r["title"]} for r in test])
    seconds = time.perf_counter() - started
    in_top = sum(
        g in {c.id for c in (r.provenance.candidates.get(CATEGORY, []) if r.provenance else [])[:RECALL_AT]}
        for g, r in zip(gold, results, strict=True)
    )
    best = [(b.id if (b := r.best(CATEGORY)) else None) for r in results]
    top1 = sum(g == b for g, b in zip(gold, best, strict=True))
    answered = sum(b is not None for b in best)
    table.lines.append(
        f"| {name} | {len(test)} | {in_top / len(test):.3f} | {top1 / len(test):.3f} | {answered / len(test):.3f} | "
        f"{seconds:.1f} |"
    )
    confidences = [(b.confidence, b.id == g) for g, r in zip(gold, results, strict=True) if (b := r.best(CATEGORY))]
    brier = sum((c - right) ** 2 for c, right in confidences) / max(len(confidences), 1)
    table.notes.append(f"{name}, top-1 category: {reliability(confidences, ZERO_BANDS)}; Brier score {brier:.4f}")


# -- cost ------------------------------------------------------------------------------------------------------
def run_cost(held: HeldOut, embedder: Embedder, repeats: int = 2) -> list[str]:
    from tagllm.models import Product

    products = [Product(**p) for p in held.test]
    vectors = embedder.encode([p.text() for p in products])
    only_category = Tagger(
        held.taxonomy, index=held.tagger.index, embedder=embedder, config=TaggerConfig(facets=[CATEGORY])
    )
    taggers = {"category only": only_category, f"category + {len(held.facets) - 1} attributes": held.tagger}
    timings: dict[str, dict[str, float]] = {name: {"tag": float("inf"), "no_encode": float("inf")} for name in taggers}
    for _ in range(repeats):
        for name, tagger in taggers.items():
            started = time.perf_counter()
            tagger.tag(products)
            timings[name]["tag"] = min(timings[name]["tag"], time.perf_counter() - started)
            started = time.perf_counter()
            tagger.tag_batch(products, vectors=vectors)
            timings[name]["no_encode"] = min(timings[name]["no_encode"], time.perf_counter() - started)
    lines = ["| tagging | ms per product (with encoding) | ms per product (encoded beforehand) |", "|---|---:|---:|"]
    for name, t in timings.items():
        lines.append(
            f"| {name} | {1000 * t['tag'] / len(products):.2f} | {1000 * t['no_encode'] / len(products):.2f} |"
        )
    first, second = list(timings.values())
    lines.append(
        f"attributes cost {second['tag'] / first['tag']:.2f}x category-only with encoding, "
        f"{second['no_encode'] / first['no_encode']:.2f}x without ({len(products)} fashion products, best of {repeats})"
    )
    return lines


# -- main ------------------------------------------------------------------------------------------------------
SECTIONS = ("fashion", "flipkart", "openbg", "shopify", "zero-category", "cost")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="folder of datasets")
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fashion-train", type=int, default=3000, help="fashion training products (of ~28,000)")
    parser.add_argument("--fashion-test", type=int, default=600, help="fashion held-out products (of ~7,000)")
    parser.add_argument("--flipkart-test", type=int, default=None, help="Flipkart held-out products (default: all)")
    parser.add_argument("--openbg-folds", type=int, default=5, help="OpenBG cross-validation folds (1: one split)")
    parser.add_argument("--shopify-n", type=int, default=200, help="fashion titles tagged against Shopify")
    parser.add_argument("--show-errors", action="store_true", help="shopify: list each wrong best category")
    parser.add_argument("--zero-n", type=int, default=300, help="held-out products per dataset, no examples")
    parser.add_argument("--work", type=Path, default=None, help="keep the built taxonomies and indexes here")
    args = parser.parse_args(argv)

    datasets = {
        "fashion": Dataset("fashion", "fashion", FASHION_KEYS, 0.2, args.fashion_train, args.fashion_test),
        "flipkart": Dataset("flipkart", "flipkart", FLIPKART_KEYS, 0.25, None, args.flipkart_test),
        "openbg": Dataset("openbg", "openbg-zh", OPENBG_KEYS, 0.2, None, None, folds=args.openbg_folds),
    }
    started = time.perf_counter()
    embedder = Embedder()
    table = Table()
    out: list[str] = []
    held: dict[str, HeldOut] = {}
    with tempfile.TemporaryDirectory(prefix="tagllm-attributes-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        wanted = [s for s in ("fashion", "flipkart", "openbg") if s in args.sections]
        if "cost" in args.sections and "fashion" not in wanted:
            wanted.insert(0, "fashion")
        if wanted:
            table.header()
            for name in wanted:
                held[name] = run_held_out(datasets[name], args.data, embedder, args.seed, table, work)
            out += table.lines + [""] + table.notes + [""]
            table = Table()
        if "shopify" in args.sections:
            table.header()
            run_shopify(args.data, args.shopify_n, args.seed, table, args.show_errors)
            out += table.lines
            table = Table()
        if "zero-category" in args.sections:
            table.lines += [
                "| data, no examples | n | candidate recall@20 | top-1 accuracy | coverage | seconds |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for name, share in ZERO_DATASETS:
                run_zero_category(args.data, name, share, args.zero_n, args.seed, table)
            out += table.lines + [""] + table.notes + [""]
        if "cost" in args.sections:
            out += run_cost(held["fashion"], embedder) + [""]
    given = sys.argv[1:] if argv is None else argv
    print("command: python " + " ".join([str(Path(sys.argv[0]))] + given))
    print("\n".join(out))
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
