"""What every evidence family works on: a batch of products, one facet's lookups, the candidates, and array helpers.

A family (``Family``) is one kind of evidence about a candidate value: it is built once per facet from
``FacetData``, reads each batch (``Family.read``), proposes the values it finds likely as candidates, and gives
its columns of the evidence matrix for the candidates that every family together proposed. The scorer
(``tagllm.candidates.scorer``) unions the proposals and stacks the columns; the families are listed, in column
order, in ``tagllm.candidates.features.FAMILIES``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import scipy.sparse as sp

from tagllm.retrieval.index import ExampleIndex, Hits, top_k
from tagllm.retrieval.labels import LabelSpace
from tagllm.taxonomy import Taxonomy

if TYPE_CHECKING:
    from tagllm.models import Candidate
    from tagllm.retrieval.embedder import Embedder
    from tagllm.retrieval.image_index import ImageBatch

TOP_PER_SIGNAL = 5  # each signal proposes the values it scores highest, this many per product
T = TypeVar("T")


@dataclass
class Batch:
    """What is shared by every facet of a batch: the products' vectors and their neighbours."""

    emb: np.ndarray
    lex: sp.csr_matrix
    emb_hits: Hits
    lex_hits: Hits
    texts: list[str]
    normalized: list[str]  # the texts through tagllm.text.normalize
    exclude: list[int] | None = None  # leave-one-out: the example each row is (fitting only)
    images: ImageBatch | None = None  # the products' photos, when the index has photos and the products some
    # fitting only: per row, the examples sharing its normalised text, itself included (a listing's variants under
    # one title); learned evidence leaves them all out, since a new listing finds none of its own copies
    copies: list[list[int]] | None = None
    # per row, its ranked category candidates once the category is scored (attribute facets read where they apply)
    categories: list[list[Candidate]] | None = None
    # per facet, the keys (row * label-space size + position, sorted) of values the text states outright ("Men's",
    # "for Women"; a material written apart) and their probability where the product's category lists no facet of
    # their kind (``StatedValues``, ``applies.unlisted_weights``)
    unlisted: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # per facet, the keys (sorted) of every value the text states and the probability each has where the product's
    # category lists a facet of its kind but not the value, and a category beside it does (``applies.beside_weights``)
    beside: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # per facet, the candidate keys of values on a branch the title does not state and of the namesakes each loses
    # to (``head.Branches``): the stacker's probability of such a value never outranks its namesake's
    outranked: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def left_out(self, i: int) -> list[int]:
        """The examples that row ``i``'s evidence leaves out (fitting only): itself and its copies."""
        assert self.exclude is not None
        return self.copies[i] if self.copies is not None else [self.exclude[i]]

    @cached_property
    def binary(self) -> sp.csr_matrix:
        """Presence (1.0) of each lexical feature of each product."""
        return binary(self.lex)


@dataclass
class Classes:
    """One facet's values that the index's examples carry: the classes that learned evidence is fitted on."""

    ids: list[str]
    counts: np.ndarray  # examples per class
    example_classes: list[list[int]]  # example -> class positions
    y: sp.csr_matrix  # examples x classes, 0/1

    @classmethod
    def build(cls, index: ExampleIndex | None, facet: str) -> Classes | None:
        """None when there is no index or none of its examples carries the facet."""
        if index is None:
            return None
        ids = sorted({v for e in index.examples for v in e.labels.get(facet, [])})
        if not ids:
            return None
        position = {c: i for i, c in enumerate(ids)}
        example_classes = [[position[v] for v in e.labels.get(facet, [])] for e in index.examples]
        rows = [i for i, cs in enumerate(example_classes) for _ in cs]
        cols = [c for cs in example_classes for c in cs]
        y = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(example_classes), len(ids)))
        return cls(ids, np.asarray(y.sum(axis=0)).ravel(), example_classes, y)


@dataclass
class FacetTables:
    """One facet's lookups as arrays over label-space positions, so a whole batch is scored with array operations."""

    hierarchical: bool
    parent: np.ndarray  # value -> its parent's position, -1 for roots
    lineage_ptr: np.ndarray  # value -> lineage[ptr[v]:ptr[v+1]], its ancestors and itself (itself alone if flat)
    lineage: np.ndarray
    value_class: np.ndarray  # value -> class position in Classes, -1 if no example has it
    class_value: np.ndarray  # class -> value position
    example_ptr: np.ndarray  # example -> example_values[ptr[e]:ptr[e+1]], its labels
    example_values: np.ndarray

    @classmethod
    def build(
        cls, taxonomy: Taxonomy, facet: str, space: LabelSpace, classes: Classes | None, index: ExampleIndex | None
    ) -> FacetTables:
        hierarchical = taxonomy.facets[facet].hierarchical
        parents = [taxonomy.values[v].parent_id for v in space.ids]
        parent = np.array([space.position.get(p, -1) if p else -1 for p in parents], dtype=np.int64)
        lineages = [
            [space.position[a] for a in taxonomy.lineage(v)] if hierarchical else [space.position[v]] for v in space.ids
        ]
        lineage_ptr, lineage = ragged(lineages)
        value_class = np.full(space.size, -1, dtype=np.int64)
        class_value = np.zeros(0, dtype=np.int64)
        if classes is not None:
            class_value = np.array([space.position[c] for c in classes.ids], dtype=np.int64)
            value_class[class_value] = np.arange(len(class_value))
        examples = index.examples if index is not None else []
        example_ptr, example_values = ragged([[space.position[v] for v in e.labels.get(facet, [])] for e in examples])
        return cls(hierarchical, parent, lineage_ptr, lineage, value_class, class_value, example_ptr, example_values)

    def gold_keys(self, examples: list[int], size: int) -> np.ndarray:
        """Keys ``row * size + value`` of the labels of ``examples`` (row: position in that list)."""
        labels = expand_ragged(np.asarray(examples, dtype=np.int64), self.example_ptr, self.example_values)
        return np.repeat(np.arange(len(examples)), labels.counts) * size + labels.values


class Shared:
    """What the families of every facet derive alike from the index (a ridge's eigendecomposition of the example
    vectors, the examples' folds): made by the first facet that asks, kept for the others."""

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}

    def get(self, key: str, make: Callable[[], T]) -> T:
        if key not in self._items:
            self._items[key] = make()
        return self._items[key]  # type: ignore[no-any-return]


@dataclass
class FacetData:
    """What families of one facet are built from."""

    taxonomy: Taxonomy
    facet: str
    space: LabelSpace
    tables: FacetTables
    classes: Classes | None  # None: no example carries the facet
    index: ExampleIndex | None
    k: int  # neighbours per product
    embedder: Embedder | None = None  # for families that embed a part of the text (the title's head phrase)
    shared: Shared = field(default_factory=Shared)  # the scorer's, common to its facets


@dataclass
class Candidates:
    """A batch's candidates as sorted unique keys ``row * size + value`` (value: label-space position)."""

    keys: np.ndarray
    size: int

    @cached_property
    def rows(self) -> np.ndarray:
        return self.keys // self.size

    @cached_property
    def values(self) -> np.ndarray:
        return self.keys % self.size

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class Evidence:
    """What a family read in a batch: the candidate keys it proposes, and its columns for any candidates."""

    proposals: list[np.ndarray]
    columns: Callable[[Candidates], np.ndarray]  # candidates -> (len(candidates), len(family.columns))


class Family(ABC):
    """One family of evidence columns. Subclasses name their ``columns`` (in order), which of them also enter
    relative to the product's best candidate (``relative``), their weights in the stacker used before one is
    fitted (``default_weights``), and which of a product's inputs they read (``reads``: a scorer told to read the
    photos alone leaves out the families that read text)."""

    columns: ClassVar[tuple[str, ...]]
    relative: ClassVar[tuple[str, ...]] = ()
    default_weights: ClassVar[dict[str, float]] = {}
    reads: ClassVar[str | None] = "text"  # the input it needs ("text", "image"); None: the labels alone

    @classmethod
    @abstractmethod
    def build(cls, data: FacetData) -> Family | None:
        """The family for one facet, or None where it has nothing to say (its columns stay 0)."""

    @abstractmethod
    def read(self, batch: Batch) -> Evidence:
        """Read a batch: proposals and columns."""


class ClassFamily(Family):
    """A family of learned evidence over the facet's classes (values that examples carry): built only when some
    example carries the facet; its columns are per product and class, and 0 for values no example carries."""

    def __init__(self, data: FacetData, classes: Classes) -> None:
        self.data = data
        self.classes = classes

    def proposals(self, signals: list[np.ndarray]) -> list[np.ndarray]:
        """Keys of each product's TOP_PER_SIGNAL best classes by each signal (products x classes)."""
        size, to_value = self.data.space.size, self.data.tables.class_value
        out = []
        for signal in signals:
            top = top_keys(signal, TOP_PER_SIGNAL, signal.shape[1])
            out.append((top // signal.shape[1]) * size + to_value[top % signal.shape[1]])
        return out

    def known(self, candidates: Candidates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which candidates are classes: the mask, and their rows and class positions."""
        classes = self.data.tables.value_class[candidates.values]
        known = classes >= 0
        return known, candidates.rows[known], classes[known]

    def left_out_classes(self, batch: Batch, i: int) -> Counter[int]:
        """Per class, how many of the examples that row ``i`` leaves out (``Batch.left_out``) carry it."""
        return Counter(c for e in batch.left_out(i) for c in self.classes.example_classes[e])

    def gather(self, candidates: Candidates, signals: list[np.ndarray], fill: float = 0.0) -> np.ndarray:
        """Columns holding ``signal[row, class]`` for candidates that are classes, ``fill`` for the others."""
        known, r, c = self.known(candidates)
        out = np.full((len(candidates), len(signals)), fill)
        for j, signal in enumerate(signals):
            out[known, j] = signal[r, c]
        return out


# -- array helpers -------------------------------------------------------------------------------------------------
@dataclass
class Ragged:
    values: np.ndarray
    counts: np.ndarray


def expand_ragged(items: np.ndarray, ptr: np.ndarray, values: np.ndarray) -> Ragged:
    """``values[ptr[x]:ptr[x+1]]`` for each x of ``items``, concatenated, with how many each x gave."""
    counts = ptr[items + 1] - ptr[items]
    total = int(counts.sum())
    offsets = np.repeat(ptr[items] - np.cumsum(counts) + counts, counts) + np.arange(total)
    return Ragged(values[offsets], counts)


def ragged(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """A list of lists as (pointers, concatenated values)."""
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    return ptr, np.array([v for x in lists for v in x], dtype=np.int64)


def top_keys(scores: np.ndarray, k: int, size: int) -> np.ndarray:
    """Keys ``row * size + column`` of each row's k highest positive scores."""
    if scores.size == 0:
        return np.zeros(0, np.int64)
    values, columns = top_k(scores, k)
    rows = np.repeat(np.arange(scores.shape[0]), columns.shape[1])
    positive = values.ravel() > 0
    return rows[positive] * size + columns.ravel()[positive]


def sum_at(candidates: np.ndarray, keys: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per candidate key (sorted, unique), the sum of the weights given to it."""
    where = np.searchsorted(candidates, keys)
    return np.bincount(where, weights=weights, minlength=len(candidates))[: len(candidates)]


def values_at(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The value of each ``query`` key in (sorted, unique) ``keys``, 0 where a key is absent."""
    if not len(keys):
        return np.zeros(len(query))
    where = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[where] == query, values[where], 0.0).astype(np.float64)


def row_values(matrix: sp.csr_matrix, row: int, cols: np.ndarray) -> np.ndarray:
    """``matrix[row, cols]`` as a dense vector, for a CSR matrix with sorted indices (much cheaper than slicing)."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    indices = matrix.indices[start:end]
    if not len(indices):
        return np.zeros(len(cols))
    pos = np.minimum(np.searchsorted(indices, cols), len(indices) - 1)
    return np.where(indices[pos] == cols, matrix.data[start:end][pos], 0.0).astype(np.float64)


def binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Presence (1.0) of each stored feature: naive Bayes counts examples that have a feature, not its weight."""
    out = matrix.tocsr().copy()
    out.data = np.ones_like(out.data)
    return out


def loo_cosine(dot: float, norm: float, self_norm_sq: float, copies: int = 1) -> float:
    """Cosine to a centroid sum with the query itself (``copies`` times) taken out: (S.x - m x.x) / |S - m x|."""
    rest = norm * norm - 2 * copies * dot + copies * copies * self_norm_sq
    return float((dot - copies * self_norm_sq) / math.sqrt(rest)) if rest > 1e-9 else 0.0
