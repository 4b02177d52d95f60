"""What a product's photo adds: the no-LLM default on held-out products with photos, reading the title alone, the
photo alone (title hidden) and both, per facet; and how fast photos load and encode.

Run: python benchmarks/images.py --data /work/shared/data/fashion            (fold 0 of 5, the built-in encoder)
     python benchmarks/images.py --data /work/shared/data/fashion --fold 1 --ablate
     python benchmarks/images.py --data /work/shared/data/fashion --speed-only

The data (a folder with ``products.jsonl``, ``categories.jsonl`` and the photos ``images`` names) is read where it is:
nothing of it is copied. Products with a photo are split 80/20 by a hash of their id (``--fold`` picks which fifth is
held out); the index is built from the rest through the real API (``build_index``: text embedder, photos through the
image encoder fitted on the training photos, stackers fitted). The taxonomy is written to a temporary directory: the
category tree from ``categories.jsonl`` and one required flat facet per attribute key of ``gold_attribute_tags``
(``Key: Value``), ``Year`` left out.

The same held-out products are tagged three ways (``TaggerConfig.inputs``): ``text`` (the photo ignored), ``image``
(the text hidden: the photos alone) and ``text+image``; each tagger fits its own stackers for what it reads. Per facet:
accuracy of the best tag (micro-F1: each facet has one gold value and the taxonomy makes each facet required, so
every product gets exactly one prediction); the category's is the leaf (article type). The prior is the most frequent
training value. The same figures on the products whose title does not contain their colour's name.

``--ablate`` re-fits the text+image stackers with each view's columns zeroed (``colour_*``, ``img_*``), to show what
each adds. Speed: photos/s of loading and encoding the held-out photos with 1, 2 and 4 loading threads, and the time
to fit the built-in encoder and encode the training photos during the index build.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tagllm.assembly import build_index  # noqa: E402
from tagllm.candidates import photos as photo_family  # noqa: E402
from tagllm.config import TaggerConfig  # noqa: E402
from tagllm.images import ImageLimits, ImageLoader  # noqa: E402
from tagllm.models import Product, TagResult  # noqa: E402
from tagllm.retrieval.embedder import Embedder  # noqa: E402
from tagllm.retrieval.image_encoder import get_image_encoder  # noqa: E402
from tagllm.retrieval.image_index import encode_photos  # noqa: E402
from tagllm.retrieval.index import ExampleIndex  # noqa: E402
from tagllm.tagger import Tagger  # noqa: E402
from tagllm.taxonomy import CATEGORY, load_taxonomy  # noqa: E402

FOLDS = 5
MODES = {"text": ["text"], "image": ["image"], "text+image": ["text", "image"]}
SKIP_KEYS = {"Year"}


def read_products(data: Path) -> list[dict[str, Any]]:
    """Products with a photo: their title, photo (absolute path) and gold labels per facet (values by name)."""
    out = []
    with (data / "products.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if not record.get("images") or not record.get("gold_category"):
                continue
            labels = {CATEGORY: record["gold_category"]}
            for tag in record.get("gold_attribute_tags") or []:
                key, _, value = tag.partition(": ")
                if key not in SKIP_KEYS and value:
                    labels[key] = value
            photo = str((data / record["images"][0]).resolve())
            out.append({"id": record["id"], "title": record["title"], "images": [photo], "gold": labels})
    return out


def write_taxonomy(data: Path, products: list[dict[str, Any]], directory: Path) -> Path:
    """The category tree from ``categories.jsonl`` and a required flat facet per attribute key."""
    nodes: dict[str | None, list[dict[str, Any]]] = {}
    with (data / "categories.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            node = json.loads(line)
            nodes.setdefault(node["parent_id"], []).append(node)

    def tree(parent: str | None) -> list[dict[str, Any]]:
        out = []
        for node in nodes.get(parent, []):
            value: dict[str, Any] = {"id": node["id"], "name": node["name"]}
            if nodes.get(node["id"]):
                value["children"] = tree(node["id"])
            out.append(value)
        return out

    keys = sorted({k for p in products for k in p["gold"] if k != CATEGORY})
    facets = [{"name": CATEGORY, "title": "Category", "hierarchical": True, "required": True, "values": tree(None)}]
    for key in keys:
        values = sorted({p["gold"][key] for p in products if key in p["gold"]})
        ids = [{"id": f"{key.lower()}-{i}", "name": v} for i, v in enumerate(values)]
        facets.append({"name": key, "title": key, "required": True, "values": ids})
    path = directory / "taxonomy.yaml"
    path.write_text(yaml.safe_dump({"name": "fashion-bench", "facets": facets}, allow_unicode=True, sort_keys=False))
    return path


def fold_of(product_id: str) -> int:
    return int(hashlib.sha256(product_id.encode()).hexdigest(), 16) % FOLDS


def gold_ids(product: dict[str, Any], resolve: dict[tuple[str, str], str]) -> dict[str, str]:
    return {facet: resolve[(facet, value)] for facet, value in product["gold"].items() if (facet, value) in resolve}


def scores(results: list[TagResult], golds: list[dict[str, str]], facets: list[str]) -> dict[str, float]:
    """Per facet, the share of products whose best tag (the leaf, for the category) is the gold value; 'all': micro
    over facets."""
    out: dict[str, float] = {}
    hits = total = 0
    for facet in facets:
        pairs = [(r.best(facet), g[facet]) for r, g in zip(results, golds, strict=True) if facet in g]
        right = sum(tag is not None and tag.id == gold for tag, gold in pairs)
        out[facet] = right / max(len(pairs), 1)
        hits += right
        total += len(pairs)
    out["all"] = hits / max(total, 1)
    return out


def prior(train: list[dict[str, Any]], test_golds: list[dict[str, str]], resolve: Any, facets: list[str]) -> dict:
    """The most frequent training value, predicted for every product."""
    counts = {f: Counter(gold_ids(p, resolve).get(f) for p in train) for f in facets}
    best = {f: c.most_common(1)[0][0] for f, c in counts.items()}
    out: dict[str, float] = {}
    hits = total = 0
    for facet in facets:
        labelled = [g[facet] for g in test_golds if facet in g]
        right = sum(v == best[facet] for v in labelled)
        out[facet] = right / max(len(labelled), 1)
        hits += right
        total += len(labelled)
    out["all"] = hits / max(total, 1)
    return out


def table(rows: dict[str, dict[str, float]], facets: list[str], title: str, n: int) -> None:
    names = {CATEGORY: "article type"}
    print(f"\n{title} ({n} products)")
    print("| facet | " + " | ".join(rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for facet in [*facets, "all"]:
        label = names.get(facet, "micro over facets" if facet == "all" else facet)
        print(f"| {label} | " + " | ".join(f"{r[facet]:.3f}" for r in rows.values()) + " |")


def speed(test: list[dict[str, Any]], encoder: Any) -> None:
    print("\nphotos/s, loading and encoding held-out photos (built-in encoder, fitted):")
    refs = [p["images"] for p in test]
    for workers in (1, 2, 4):
        loader = ImageLoader(ImageLimits(workers=workers))
        started = time.perf_counter()
        photos = encode_photos(refs, loader, encoder)
        seconds = time.perf_counter() - started
        print(f"  {workers} loading thread(s): {int(photos.has.sum())} photos in {seconds:.1f} s, "
              f"{photos.has.sum() / seconds:.0f} photos/s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="the fashion data folder (products.jsonl, images/)")
    parser.add_argument("--fold", type=int, default=0, help=f"which fifth (0-{FOLDS - 1}) is held out")
    parser.add_argument("--image-embedder", default="pixels", help="pixels (built in) or a CLIP/SigLIP directory")
    parser.add_argument("--k", type=int, default=TaggerConfig.model_fields["k"].default)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N products (a quick check)")
    parser.add_argument("--ablate", action="store_true", help="also text+image with each photo view left out")
    parser.add_argument("--speed-only", action="store_true", help="only the photos/s and fit-time figures")
    args = parser.parse_args()

    products = read_products(args.data)
    if args.limit:
        products = products[: args.limit]
    train = [p for p in products if fold_of(p["id"]) != args.fold]
    test = [p for p in products if fold_of(p["id"]) == args.fold]
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(f"{len(products)} products with a photo: {len(train)} to build the index from, {len(test)} held out")
    with tempfile.TemporaryDirectory(prefix="tagllm-images-bench-") as tmp:
        directory = Path(tmp)
        taxonomy = load_taxonomy(str(write_taxonomy(args.data, products, directory)))
        resolve = {(v.facet, v.path if v.facet == CATEGORY else v.name): v.id for v in taxonomy.values.values()}
        examples = directory / "examples.jsonl"
        with examples.open("w", encoding="utf-8") as fh:
            for p in train:
                labels = {f: [v] for f, v in gold_ids(p, resolve).items()}
                fh.write(
                    json.dumps({"id": p["id"], "title": p["title"], "images": p["images"], "labels": labels}) + "\n"
                )
        embedder = Embedder()
        if args.speed_only:
            encoder = get_image_encoder(args.image_embedder)
            started = time.perf_counter()
            encode_photos([p["images"] for p in train], ImageLoader(), encoder, fit=True)
            print(f"fit and encode {len(train)} training photos: {time.perf_counter() - started:.1f} s")
            speed(test, encoder)
            return
        marks: dict[str, float] = {}
        started = time.perf_counter()
        build_index(
            examples, taxonomy, embedder, directory / "index", k=args.k, image_embedder=args.image_embedder,
            progress=lambda stage, done, total: marks.__setitem__(stage, time.perf_counter()),
        )  # fmt: skip
        ends = [marks.get("embed", started), marks.get("photos", started), marks.get("fit", started)]
        done = time.perf_counter()
        print(
            f"index build {done - started:.0f} s: text embedding {ends[0] - started:.0f} s, photos fitted and "
            f"encoded {ends[2] - ends[1]:.0f} s, stackers fitted {done - ends[2]:.0f} s"
        )
        index = ExampleIndex.load(directory / "index", taxonomy=taxonomy)
        facets = [f for f in taxonomy.facets if f in index.manifest["label_facets"]]
        golds = [gold_ids(p, resolve) for p in test]
        queries = [Product(id=p["id"], title=p["title"], images=p["images"]) for p in test]
        rows: dict[str, dict[str, float]] = {"prior": prior(train, golds, resolve, facets)}
        subset = [i for i, p in enumerate(test) if p["gold"].get("Colour", "").lower() not in p["title"].lower()]
        sub_rows: dict[str, dict[str, float]] = {"prior": prior(train, [golds[i] for i in subset], resolve, facets)}
        results: dict[str, list[TagResult]] = {}
        for name, inputs in MODES.items():
            config = TaggerConfig(k=args.k, inputs=inputs, image_embedder=args.image_embedder)
            started = time.perf_counter()
            tagger = Tagger(taxonomy, index=index, embedder=embedder, config=config)
            results[name] = tagger.tag(queries)
            print(f"{name}: tagger set up and {len(queries)} products tagged in {time.perf_counter() - started:.0f} s")
            rows[name] = scores(results[name], golds, facets)
            sub_rows[name] = scores([results[name][i] for i in subset], [golds[i] for i in subset], facets)
        if args.ablate:
            for view in ("colour", "img"):
                name = f"text+image without {view}_*"
                rows[name], sub = ablated(taxonomy, index, embedder, args, queries, golds, facets, view, subset)
                sub_rows[name] = sub
        table(rows, facets, f"held-out fold {args.fold}: accuracy of the best tag per facet", len(test))
        table(sub_rows, facets, "the same, on products whose title does not name their colour", len(subset))
        speed(test, index.image_encoder)


def ablated(taxonomy: Any, index: Any, embedder: Any, args: Any, queries: list[Product], golds: list[dict[str, str]],
            facets: list[str], view: str, subset: list[int]) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    """Text+image with one view's photo columns zeroed, its stackers fitted again without them."""
    columns = [i for i, c in enumerate(photo_family.PhotoEvidence.columns) if c.startswith(f"{view}_")]
    original = photo_family.PhotoEvidence.read

    def read(self: Any, batch: Any) -> Any:
        evidence = original(self, batch)
        make = evidence.columns

        def zeroed(candidates: Any) -> np.ndarray:
            out = make(candidates)
            out[:, columns] = 0.0
            return out

        evidence.columns = zeroed
        return evidence

    photo_family.PhotoEvidence.read = read  # type: ignore[method-assign]
    try:
        tagger = Tagger(taxonomy, index=index, embedder=embedder, config=TaggerConfig(k=args.k))
        tagger.scorer.stackers = {}
        tagger.scorer.fit()
        results = tagger.tag(queries)
    finally:
        photo_family.PhotoEvidence.read = original  # type: ignore[method-assign]
    return scores(results, golds, facets), scores([results[i] for i in subset], [golds[i] for i in subset], facets)


if __name__ == "__main__":
    main()
