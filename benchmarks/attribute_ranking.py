"""Where the attribute ranking stands against its own inputs and the SVM, per facet, on held-out titles.

Run: python benchmarks/attribute_ranking.py --data ../shared/data --dataset flipkart --seed 0

The same splits, taxonomy, index and tagger as ``benchmarks/attributes.py`` (``attribute_held_out.run_fold``), then
per facet, on the held-out products whose gold carries it:

- the best candidate by the stacker, and by each evidence column alone (the candidate with the largest value of that
  column among the product's ranked candidates, at most ``max_candidates``): F1 of that one answer. A column that
  is 0 for every candidate picks the stacker's best, so the mention columns read high on titles that state nothing;
- "where both can be right": on the products whose every gold value is a value of the taxonomy built from the
  training part, F1 of tagllm always answering (as in ``attributes.py``), of the linear text evidence's best candidate
  alone and of the TF-IDF + LinearSVC. A value the built taxonomy lacks can be answered by the SVM, which learns every
  value it saw, and by no ranking of tagllm's candidates; these rows take those values out of the comparison.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.attribute_data import (  # noqa: E402
    FASHION_KEYS,
    FLIPKART_KEYS,
    OPENBG_KEYS,
    Dataset,
    folds,
    gold_values,
    read_jsonl,
    title_only,
)
from benchmarks.attribute_held_out import ALWAYS, Pooled, run_fold, value_keys_of  # noqa: E402
from benchmarks.attribute_scoring import METHODS  # noqa: E402
from tagllm.attributes import AttributeResolver, value_key  # noqa: E402
from tagllm.retrieval.embedder import Embedder  # noqa: E402

COLUMNS = ("lex_linear", "emb_vote", "lex_vote", "emb_ridge", "lex_centroid", "nb_word", "mention", "stated", "prior")
BOTH = ("tagllm, always answering", "linear text evidence alone", "TF-IDF + LinearSVC")

Counts = dict[str, dict[str, list[int]]]  # key -> method -> [tp, fp, fn]


def add(counts: Counts, key: str, method: str, gold: set[str], predicted: set[str]) -> None:
    c = counts[key][method]
    c[0] += len(gold & predicted)
    c[1] += len(predicted - gold)
    c[2] += len(gold - predicted)


def f1(c: list[int]) -> float:
    return 2 * c[0] / (2 * c[0] + c[1] + c[2]) if c[0] else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--dataset", choices=("fashion", "flipkart", "openbg"), default="flipkart")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ds = {
        "fashion": Dataset("fashion", "fashion", FASHION_KEYS, 0.2, 3000, 600),
        "flipkart": Dataset("flipkart", "flipkart", FLIPKART_KEYS, 0.25, None, None),
        "openbg": Dataset("openbg", "openbg-zh", OPENBG_KEYS, 0.2, None, None, folds=5),
    }[args.dataset]
    rows = [r for r in read_jsonl(args.data / ds.directory / "products.jsonl") if r.get("gold_category")]
    rows = [r for r in rows if gold_values(r, ds.keys)]
    embedder = Embedder()
    pooled = Pooled()
    alone: Counts = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    both: Counts = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    with tempfile.TemporaryDirectory(prefix="tagllm-ranking-") as tmp:
        for train, test in folds(rows, ds, args.seed):
            start = len(pooled.gold)
            held = run_fold(ds, args.data, train, test, embedder, Path(tmp), pooled)
            taxonomy = held.taxonomy
            results = held.tagger.tag([title_only(r, ds.keys, False) for r in test])
            resolver = AttributeResolver(taxonomy)
            for key in ds.keys:
                facet = resolver.facet(key)
                if facet is None:
                    continue
                known = {value_key(v.name, key) for v in taxonomy.facet_values(facet)}
                always = pooled.preds[ALWAYS][key][start:]
                svm = pooled.preds[METHODS[1]][key][start:]
                for j, (row, result) in enumerate(zip(test, results, strict=True)):
                    gold = gold_values(row, [key]).get(key)
                    if not gold:
                        continue
                    candidates = result.provenance.candidates.get(facet, []) if result.provenance else []
                    best = {"stacker": candidates[0] if candidates else None}
                    for column in COLUMNS:
                        best[column] = max(
                            candidates, key=lambda c: c.evidence.get(column, float("-inf")), default=None
                        )
                    picked = {m: value_keys_of(taxonomy, key, [c.id] if c else []) for m, c in best.items()}
                    for method, predicted in picked.items():
                        add(alone, key, method, gold, predicted)
                    if gold <= known:
                        for method, predicted in zip(BOTH, (always[j], picked["lex_linear"], svm[j]), strict=True):
                            add(both, key, method, gold, predicted)
    methods = ("stacker", *COLUMNS)
    print(f"command: python benchmarks/attribute_ranking.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    print(f"\n{ds.name}: F1 of the best candidate by the stacker and by each evidence column alone\n")
    print("| facet | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for key, by in alone.items():
        print(f"| {key} | " + " | ".join(f"{f1(by[m]):.3f}" for m in methods) + " |")
        for m in methods:
            total[m] = [a + b for a, b in zip(total[m], by[m], strict=True)]
    print("| **micro** | " + " | ".join(f"{f1(total[m]):.3f}" for m in methods) + " |")
    print(f"\n{ds.name}: where both can be right (every gold value a value of the built taxonomy): F1\n")
    print("| facet | products | " + " | ".join(BOTH) + " |")
    print("|---|---:|" + "---:|" * len(BOTH))
    total = defaultdict(lambda: [0, 0, 0])
    for key, by in both.items():
        n = sum(by[BOTH[2]][0::2])  # tp + fn: the gold values
        print(f"| {key} | {n} values | " + " | ".join(f"{f1(by[m]):.3f}" for m in BOTH) + " |")
        for m in BOTH:
            total[m] = [a + b for a, b in zip(total[m], by[m], strict=True)]
    print("| **micro** | | " + " | ".join(f"{f1(total[m]):.3f}" for m in BOTH) + " |")


if __name__ == "__main__":
    main()
