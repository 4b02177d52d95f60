"""The accuracy benchmark: the no-LLM default against 10-NN majority vote and TF-IDF + linear SVM on held-out data.

Run: python benchmarks/accuracy.py                                  (all datasets, seed 0, real encoding)
     python benchmarks/accuracy.py --seed 1 --cache-embeddings /tmp/tagllm-emb   (rerun fast from cached encodings)

Per dataset (products with a ``gold_category``): Flipkart-sized data gets one seeded 80/20 split; data under
``CV_BELOW`` rows (OpenBG, 500) gets seeded 5-fold cross-validation, predictions pooled over the folds. For each
split the index is built from the training part through the real API (``ExampleIndex.build`` with the default
embedder, ``CandidateScorer(...).fit()``) and the held-out products are scored with ``CandidateScorer.score``; the
prediction is the top candidate. The baselines see the same split: majority vote of the 10 nearest training
examples in the same embeddings (FAISS inner product; ties go to the label met first, i.e. the nearer one), and
TF-IDF + LinearSVC (word 1-2-grams for English, character 1-3-grams for Chinese, told from the text).

Metrics: leaf accuracy (exact value) and hierarchical F1 (micro over products, ancestor-closed sets), both from
``tagllm.evaluation.metrics``; also the candidates' recall@20 and the build-time cost of fitting the scorer
relative to encoding the training texts (index builds must stay within 0.9 of raw encoding throughput).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tagllm.candidates import CandidateScorer  # noqa: E402
from tagllm.config import TaggerConfig  # noqa: E402
from tagllm.evaluation.metrics import hierarchical_prf, leaf_accuracy  # noqa: E402
from tagllm.models import LabelledProduct, Product  # noqa: E402
from tagllm.retrieval.embedder import Embedder  # noqa: E402
from tagllm.retrieval.index import ExampleIndex, LabelResolver  # noqa: E402
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy  # noqa: E402
from tagllm.text import has_cjk  # noqa: E402

CV_BELOW = 2000  # datasets smaller than this are cross-validated: one 20% split would leave too few test products
FOLDS = 5
KNN = 10
RECALL_AT = 20
METHODS = ("tagllm default", f"{KNN}-NN majority", "TF-IDF + LinearSVC")


class CachedEmbedder(Embedder):
    """The default embedder with encodings cached on disk by text hash, so reruns skip the encoding.

    The first run encodes for real; the cache holds exactly what ``Embedder.encode`` returned, keyed by the encoder
    (``Embedder.name`` names the backend: PyTorch, ONNX int8 or fp32), so encoders never share cached vectors.
    """

    def __init__(self, directory: Path, backend: str = "auto") -> None:
        super().__init__(backend=backend)
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, text: str) -> Path:
        digest = hashlib.sha256(f"{self.name}\0{self.max_seq_length}\0{text}".encode()).hexdigest()
        return self.directory / digest[:2] / f"{digest}.npy"

    def encode(
        self,
        texts: Sequence[str],
        *,
        show_progress: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        texts = list(texts)
        paths = [self._path(t) for t in texts]
        missing = sorted({i for i, p in enumerate(paths) if not p.exists()})
        out: list[np.ndarray | None] = [None] * len(texts)
        if missing:
            fresh = super().encode([texts[i] for i in missing], show_progress=show_progress, progress=progress)
            for i, vector in zip(missing, fresh, strict=True):
                paths[i].parent.mkdir(exist_ok=True)
                np.save(paths[i], vector, allow_pickle=False)
                out[i] = vector
        for i, p in enumerate(paths):
            if out[i] is None:
                out[i] = np.load(p, allow_pickle=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(out).astype(np.float32)  # type: ignore[arg-type]


@dataclass
class Result:
    """Pooled predictions of every method over a dataset's held-out products, plus timings."""

    gold: list[str] = field(default_factory=list)
    preds: dict[str, list[str | None]] = field(default_factory=lambda: {m: [] for m in METHODS})
    recall_hits: int = 0
    encode_s: float = 0.0
    fit_s: float = 0.0
    n_train: int = 0
    n_splits: int = 0
    taxonomy: Taxonomy | None = None


def load_dataset(directory: Path) -> tuple[Taxonomy, list[Product], list[str]]:
    """Products with a gold category (gold fields stripped from what the methods see) and their gold value ids."""
    taxonomy = load_taxonomy(directory / "categories.jsonl")
    resolver = LabelResolver(taxonomy)
    products: list[Product] = []
    gold: list[str] = []
    with (directory / "products.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if not row.get("gold_category"):
                continue
            vid = resolver.resolve(CATEGORY, row["gold_category"])
            if vid is None:
                raise SystemExit(f"{directory}: gold category {row['gold_category']!r} is not in the taxonomy")
            products.append(Product(**row))  # Product drops gold_* keys
            gold.append(vid)
    return taxonomy, products, gold


def splits(n: int, seed: int) -> list[np.ndarray]:
    """Test index sets: 5 folds below CV_BELOW products, else one 20% split."""
    perm = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(perm, FOLDS)
    return folds if n < CV_BELOW else folds[:1]


def svm_predict(train_texts: list[str], train_labels: list[str], test_texts: list[str]) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    chinese = sum(has_cjk(t) for t in train_texts) > len(train_texts) / 2
    if chinese:
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    else:
        vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
    model = LinearSVC().fit(vectorizer.fit_transform(train_texts), train_labels)
    return [str(p) for p in model.predict(vectorizer.transform(test_texts))]


def knn_predict(index: ExampleIndex, test_emb: np.ndarray) -> list[str]:
    hits = index.search(test_emb, KNN)
    out = []
    for row in hits.ids:
        votes = Counter(index.examples[j].labels[CATEGORY][0] for j in row if j >= 0)
        out.append(votes.most_common(1)[0][0])  # Counter keeps first-seen order on ties: the nearer label wins
    return out


def run_dataset(
    directory: Path, embedder: Embedder, *, seed: int, limit: int | None, k: int, traditional: bool = False
) -> Result:
    taxonomy, products, gold = load_dataset(directory)
    result = Result(taxonomy=taxonomy)
    for test in splits(len(products), seed):
        test_set = set(test.tolist())
        train = [i for i in range(len(products)) if i not in test_set]
        if limit:
            test = test[:limit]
        examples = [LabelledProduct(**products[i].model_dump(), labels={CATEGORY: [gold[i]]}) for i in train]
        started = time.perf_counter()
        index = ExampleIndex.build(examples, taxonomy, embedder)
        result.encode_s += time.perf_counter() - started  # building is encoding plus cheap hashing
        result.n_train += len(train)
        result.n_splits += 1
        started = time.perf_counter()
        scorer = CandidateScorer(taxonomy, index, embedder, [CATEGORY], k=k)
        scorer.fit()
        result.fit_s += time.perf_counter() - started
        test_texts = [products[i].text() for i in test]
        if traditional:  # a Taiwan or Hong Kong seller's catalogue against examples written in simplified Chinese
            from opencc import OpenCC

            test_texts = [OpenCC("s2t").convert(t) for t in test_texts]
        test_emb = embedder.encode(test_texts)
        test_gold = [gold[i] for i in test]
        _, candidates = scorer.score(test_texts, test_emb, max_candidates=RECALL_AT)
        result.gold += test_gold
        result.preds[METHODS[0]] += [c[CATEGORY][0].id if c[CATEGORY] else None for c in candidates]
        result.recall_hits += sum(
            g in {c.id for c in cs[CATEGORY]} for g, cs in zip(test_gold, candidates, strict=True)
        )
        result.preds[METHODS[1]] += knn_predict(index, test_emb)
        train_texts = [e.text() for e in examples]
        result.preds[METHODS[2]] += svm_predict(train_texts, [gold[i] for i in train], test_texts)
        print(f"  {directory.name}: fold with {len(train)} train / {len(test)} test done", file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="folder of datasets")
    parser.add_argument("--datasets", nargs="+", default=["flipkart", "openbg-zh"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="score at most this many test products per split")
    parser.add_argument("--cache-embeddings", type=Path, default=None, help="cache encodings here by text hash")
    parser.add_argument("--k", type=int, default=TaggerConfig().k, help="neighbours per product (default: tagllm's)")
    parser.add_argument(
        "--embedder-backend", default="auto", help="auto | torch | onnx | onnx-fp32 | openvino (the cache key names it)"
    )
    parser.add_argument(
        "--traditional",
        action="store_true",
        help="the held-out products' text in traditional Chinese (OpenCC s2t), the examples as written",
    )
    args = parser.parse_args(argv)

    k = args.k
    backend = args.embedder_backend
    embedder = CachedEmbedder(args.cache_embeddings, backend) if args.cache_embeddings else Embedder(backend=backend)
    lines = [
        "| dataset | method | leaf accuracy | hierarchical F1 | n_test |",
        "|---|---|---|---|---|",
    ]
    notes = []
    for name in args.datasets:
        result = run_dataset(
            args.data / name, embedder, seed=args.seed, limit=args.limit, k=k, traditional=args.traditional
        )
        taxonomy = result.taxonomy
        assert taxonomy is not None
        n = len(result.gold)
        for method in METHODS:
            pred = result.preds[method]
            acc = leaf_accuracy(result.gold, pred)
            hf1 = hierarchical_prf([[g] for g in result.gold], [[p] if p else [] for p in pred], taxonomy).f1
            lines.append(f"| {name} | {method} | {acc:.4f} | {hf1:.4f} | {n} |")
        scheme = f"{FOLDS}-fold CV" if result.n_splits > 1 else "80/20"
        cached = (
            " (encoding cache in use: build timings are real only on the run that filled it)"
            if args.cache_embeddings
            else ""
        )
        notes.append(
            f"{name}: {scheme}, k={k}, candidate recall@{RECALL_AT} {result.recall_hits / max(n, 1):.4f}; "
            f"index build (encoding) {result.encode_s:.1f}s for {result.n_train} examples, scorer fit "
            f"{result.fit_s:.1f}s ({100 * result.fit_s / max(result.encode_s, 1e-9):.1f}% of the build){cached}"
        )
    print("command: python " + " ".join([str(Path(sys.argv[0]))] + sys.argv[1:]))
    print(f"embedder: {embedder.name}")
    print("\n".join(lines))
    print("\n".join(notes))


if __name__ == "__main__":
    main()
