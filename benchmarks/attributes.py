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
  with their gold) and the micro-F1 over facets it gives beside the SVM's, and beside the SVM's own ceiling (its
  answers kept from one margin per facet, chosen the same way); and per key, where the default loses against the SVM:
  the products it leaves empty and the SVM's right answers there, and where it answers, the right values of each.
  "tagllm, always answering" reads the same run's ranking with no abstention (the best candidate; for a multi-valued
  facet every candidate of probability 0.5 or more, else the best), the operating point comparable with the SVM;
  "kept from t" keeps candidates from confidence t. Baselines: per facet, TF-IDF (word 1-2-grams and character
  2-4-grams) + LinearSVC trained on the training products that carry the facet, always answering (the top class; for
  a multi-valued facet every class with a positive margin, else the top one); and value-mention matching: a value of
  the built taxonomy whose name or synonym appears in the title (at word boundaries; as a substring in Chinese) is
  predicted, the longest match for a single-valued facet, every match for a multi-valued one.
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

This file holds the command line; the pieces live beside it: ``attribute_data`` (keys, splits, gold values),
``attribute_baselines`` (the SVM, value-mention matching), ``attribute_scoring`` (scores, the table, reliability,
candidate recall), ``attribute_held_out`` (the fashion, Flipkart and OpenBG sections), ``attribute_zero`` (the
sections with no examples), ``attribute_cost``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.attribute_cost import run_cost  # noqa: E402
from benchmarks.attribute_data import FASHION_KEYS, FLIPKART_KEYS, OPENBG_KEYS, Dataset  # noqa: E402
from benchmarks.attribute_held_out import HeldOut, run_held_out  # noqa: E402
from benchmarks.attribute_scoring import Table  # noqa: E402
from benchmarks.attribute_zero import ZERO_DATASETS, run_shopify, run_zero_category  # noqa: E402
from tagllm.retrieval.embedder import Embedder  # noqa: E402

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
