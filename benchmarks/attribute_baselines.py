"""The attribute benchmark's baselines: a per-facet TF-IDF + LinearSVC that always answers, value-mention matching,
and the SVM's answers kept at tagllm's coverage (its largest margins)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.attribute_scoring import FacetScore, score  # noqa: E402
from tagllm.attributes import value_key  # noqa: E402
from tagllm.taxonomy import Taxonomy  # noqa: E402
from tagllm.text import has_cjk, normalize  # noqa: E402


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
