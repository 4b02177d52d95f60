"""Throughput of the no-LLM default against raw sentence-transformers encoding, measured in one run on the same texts.

    python benchmarks/throughput.py                       # eval/data/flipkart examples, 2,000 texts
    python benchmarks/throughput.py --n 3000 --repeat 3   # the shipped demo index's size
    python benchmarks/throughput.py --distinct            # no repeated texts: what tagllm adds besides encoding

Prints, per stage and round, the ratio of raw encoding time to the stage's time, and the wall time of `tagllm --help`.
tagllm encodes each distinct text once, so on distinct texts (``--distinct``) the ratio's ceiling is 1 and what it
falls short by is tagllm's own work; where texts repeat, as duplicate listings do, it can pass 1. The index is built
from the same texts that are then tagged.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", default=str(REPO / "eval/data/flipkart/examples.jsonl"))
    parser.add_argument("--taxonomy", default=str(REPO / "eval/data/flipkart/categories.jsonl"))
    parser.add_argument("--label-field", default="gold_category")
    parser.add_argument("--n", type=int, default=2000, help="texts per stage")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each stage is timed once per round")
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="skip products whose text an earlier one has: tagllm encodes a repeated text once, raw encoding does not",
    )
    args = parser.parse_args()

    import os

    os.environ.setdefault("TAGLLM_CACHE_DIR", tempfile.mkdtemp(prefix="tagllm-bench-cache-"))
    from tagllm.config import TaggerConfig
    from tagllm.models import Product
    from tagllm.retrieval.embedder import Embedder
    from tagllm.tagger import Tagger, build_index
    from tagllm.taxonomy import load_taxonomy

    rows = [json.loads(line) for line in Path(args.examples).read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.distinct:
        first = {Product.model_validate(r).text(): r for r in reversed(rows)}  # reversed: the first row wins
        rows = [r for r in rows if first[Product.model_validate(r).text()] is r]
    rows = rows[: args.n]
    work = Path(tempfile.mkdtemp(prefix="tagllm-bench-"))
    examples_path = work / "examples.jsonl"
    examples_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    products_path = work / "products.jsonl"
    products_path.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if not k.startswith("gold_")}) + "\n" for r in rows),
        encoding="utf-8",
    )
    texts = [Product.model_validate(r).text() for r in rows]
    taxonomy = load_taxonomy(args.taxonomy)
    embedder = Embedder()
    embedder.encode(texts[:64])  # load the weights outside the timings
    model = embedder.model

    # The taxonomy's label embeddings are cached per taxonomy version (once per taxonomy, not per run): warm them.
    warm_index = build_index(examples_path, taxonomy, embedder, work / "warm", label_field=args.label_field)
    del warm_index

    def seconds(fn) -> float:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    def raw_encode() -> float:
        return seconds(
            lambda: model.encode(
                texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        )

    # Each stage is timed between two raw encodes and compared with their mean: on a shared machine whose speed
    # drifts by 5-10% within minutes, a ratio between neighbouring timings is steadier than one across the run.
    from tagllm.retrieval.index import ExampleIndex

    rounds: list[dict[str, float]] = []
    before = raw_encode()
    for round_ in range(args.repeat):
        target = work / f"index-{round_}"
        build = seconds(
            lambda target=target: build_index(examples_path, taxonomy, embedder, target, label_field=args.label_field)
        )
        between = raw_encode()
        config = TaggerConfig(taxonomy=args.taxonomy, index=str(target))
        tagger = Tagger(taxonomy, index=ExampleIndex.load(target, taxonomy=taxonomy), embedder=embedder, config=config)
        out = work / f"tags-{round_}.jsonl"
        generate = seconds(lambda tagger=tagger, out=out: tagger.tag_file(products_path, out))
        after = raw_encode()
        rounds.append(
            {
                "raw encode": min(before, between, after),
                "index build": (before + between) / 2 / build,
                "generate": (between + after) / 2 / generate,
            }
        )
        before = after

    help_times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tagllm", "--help"], capture_output=True, check=True)
        help_times.append(time.perf_counter() - started)

    n = len(texts)
    print(f"texts: {n} ({len(set(texts))} distinct) from {args.examples}; embedder {embedder.name}, "
          f"batch {embedder.batch_size}, max_seq_length {embedder.max_seq_length}; {args.repeat} round(s)")  # fmt: skip
    print(f"raw sentence-transformers encode: {n / min(r['raw encode'] for r in rounds):.1f} texts/s (fastest run)")
    print(f"{'stage':<30}{'ratio to raw encode, per round':>34}{'median':>8}")
    for name, label in (("index build", "tagllm index build"), ("generate", "tagllm generate (retrieval)")):
        ratios = [r[name] for r in rounds]
        print(f"{label:<30}{' '.join(f'{x:.2f}' for x in ratios):>34}{statistics.median(ratios):>8.2f}")
    print(f"tagllm --help wall time: median {statistics.median(help_times) * 1000:.0f} ms over 5 runs")


if __name__ == "__main__":
    main()
