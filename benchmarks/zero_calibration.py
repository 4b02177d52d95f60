"""Fit the stacker for a category with no examples: the weights behind ``tagllm.candidates.zero``.

Run: python benchmarks/zero_calibration.py --data ../shared/data            (fit and print; nothing written)
     python benchmarks/zero_calibration.py --data ../shared/data --write    (write tagllm/candidates/zero_stacker.json)

For each of Flipkart (its 1,350-node tree), OpenBG (167 nodes, Chinese) and the Myntra fashion catalogue (224
nodes), the training part of the split that ``benchmarks/attributes.py`` holds out from (by a hash of the title:
Flipkart and OpenBG 25% held out as in its ``zero-category`` section, fashion 20% as in its ``shopify`` section) is
sampled to ``--per-dataset`` products (one English title in three also once more with a complement or a brand
naming another category: ``with_complements``); each product's title alone is scored against its dataset's tree
with no example index (``CandidateScorer`` with ``index=None``: label and path similarity, mentions, the title's
head), and every candidate is a row labelled 1 when it is the product's gold category. One logistic regression
(``Stacker.fit``) is fitted on the rows of the three datasets together, each dataset's rows weighted alike by
sampling the same number of products from each. No held-out product is read. The fitted probabilities are then
checked on the held-out products by the benchmark (reliability per confidence band).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from attributes import read_jsonl, sample, split  # noqa: E402

from tagllm.candidates import CandidateScorer, Stacker, expand  # noqa: E402
from tagllm.candidates.zero import ZERO_STACKER_PATH  # noqa: E402
from tagllm.retrieval.embedder import Embedder  # noqa: E402
from tagllm.retrieval.index import LabelResolver  # noqa: E402
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy  # noqa: E402
from tagllm.text import has_cjk  # noqa: E402

DATASETS = (("flipkart", 0.25), ("openbg-zh", 0.25), ("fashion", 0.2))
COMPLEMENT_EVERY = 3  # one title in three is written again with a complement
# a complement after the head phrase, or a brand before it that is another category's name ("Arrow Men Red Shirt")
COMPLEMENTS = (
    "{title}, for {name}",
    "{title} with {name}",
    "{title}, compatible with {name}",
    "{title} - {name} safe",
    "{name} {title}",
    "{name} {title}",
)


def rows_of(
    data: Path, name: str, share: float, n: int, seed: int, embedder: Embedder
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate rows (ALL_FEATURES) and their 0/1 labels for ``n`` training products of one dataset."""
    products = [r for r in read_jsonl(data / name / "products.jsonl") if r.get("gold_category")]
    train, _ = split(products, share, seed)
    train = sample(train, n, seed)
    taxonomy = load_taxonomy(data / name / "categories.jsonl")
    resolver = LabelResolver(taxonomy)
    gold = [resolver.resolve(CATEGORY, r["gold_category"]) for r in train]
    scorer = CandidateScorer(taxonomy, None, embedder, [CATEGORY])
    titles = [r["title"] for r in train]
    if not any(has_cjk(t) for t in titles):
        titles, gold = with_complements(titles, gold, taxonomy, seed)
    batch = scorer.prepare(titles, embedder.encode(titles))
    features = scorer.features(batch, CATEGORY)
    position = {vid: i for i, vid in enumerate(features.ids)}
    gold_keys = np.array([i * features.n_values + position[g] for i, g in enumerate(gold) if g in position])
    keys = features.rows * features.n_values + features.values
    y = np.isin(keys, gold_keys).astype(np.int8)
    found = len(np.unique(features.rows[y == 1]))
    print(f"{name}: {len(train)} training products, {len(y)} candidates, gold among them for {found}", file=sys.stderr)
    return expand(features.matrix, features.starts), y


def with_complements(
    titles: list[str], gold: list[str | None], taxonomy: Taxonomy, seed: int
) -> tuple[list[str], list[str | None]]:
    """The titles, and one in ``COMPLEMENT_EVERY`` again with a complement that names another category of the
    tree ("…, for Dishwashers", "… with Transparencies") or with that name where a brand goes ("Arrows Men Red
    Shirt"), the gold unchanged: real titles name what a product is for or goes with, and brands are often common
    words, but rarely another category of their own tree, so without these rows the fit never sees a category named
    outside the head that is not the product's."""
    rng = np.random.default_rng(seed)
    leaves = [v for v in taxonomy.facet_values(CATEGORY) if not taxonomy.children(v.id)]
    extra = []
    for title, g in zip(titles[::COMPLEMENT_EVERY], gold[::COMPLEMENT_EVERY], strict=True):
        other = leaves[int(rng.integers(len(leaves)))]
        while other.id == g:
            other = leaves[int(rng.integers(len(leaves)))]
        extra.append(COMPLEMENTS[int(rng.integers(len(COMPLEMENTS)))].format(title=title, name=other.name))
    return titles + extra, gold + gold[::COMPLEMENT_EVERY]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--per-dataset", type=int, default=350, help="training products per dataset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help=f"write {ZERO_STACKER_PATH.relative_to(REPO)}")
    args = parser.parse_args(argv)
    embedder = Embedder()
    parts = [rows_of(args.data, name, share, args.per_dataset, args.seed, embedder) for name, share in DATASETS]
    x = np.vstack([p[0] for p in parts]).astype(np.float32)
    y = np.concatenate([p[1] for p in parts])
    stacker = Stacker.fit(x, y, fitted_on=args.per_dataset * len(DATASETS), k=0, inputs=("text",))
    assert stacker is not None
    from tagllm.candidates.features import ALL_FEATURES

    weights = sorted(zip(ALL_FEATURES, stacker.coef / stacker.scale, strict=True), key=lambda t: -abs(t[1]))
    print("largest weights per unit: " + ", ".join(f"{f} {w:+.2f}" for f, w in weights[:12] if w))
    if args.write:
        ZERO_STACKER_PATH.write_text(json.dumps(stacker.to_json(), indent=1) + "\n")
        print(f"wrote {ZERO_STACKER_PATH}")


if __name__ == "__main__":
    main()
