"""Throughput of tagllm's encoder, index build and generate against raw PyTorch encoding, in one run on the same texts.

    python benchmarks/throughput.py --n 3000 --repeat 3   # the 3,000 shipped Flipkart examples
    python benchmarks/throughput.py --distinct            # no repeated texts: what tagllm adds besides encoding
    python benchmarks/throughput.py --embedder-backend torch   # tagllm on PyTorch, as before ONNX
    python benchmarks/throughput.py --clock cpu                # CPU time, for a machine shared with other jobs

"raw encode" is sentence-transformers' ``SentenceTransformer.encode`` with PyTorch on the texts, what one would
write without tagllm. Each stage is timed between two raw encodes and compared with their mean: on a shared machine
whose speed drifts within minutes, a ratio between neighbouring timings is steadier than one across the run. Stages:
``tagllm encoder`` (``Embedder.encode``, the configured backend: ONNX Runtime, fused fp32 graph, on a CPU by default),
``index build``, ``generate`` (``Tagger.tag_file``, in process: what the CLI runs once set up) and ``generate CLI``
(the whole ``tagllm generate`` process on the built index: start-up, loading the index and the models, tagging,
writing). tagllm encodes each distinct text once, so where texts repeat (duplicate listings) that is part of its
ratio; ``--distinct`` leaves it out. Prints per-round ratios and their median, and the wall time of `tagllm --help`.
``--clock cpu`` times each stage in CPU time (user + system of this process and of the ``tagllm generate`` process it
waits for) instead of wall time: on cores other jobs share, wall time measures the neighbours, CPU time the work,
though it also counts what threads burn waiting (PyTorch and ONNX Runtime each use their default, one thread a core).
"""

from __future__ import annotations

import argparse
import json
import resource
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
    parser.add_argument("--n", type=int, default=3000, help="texts per stage")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each stage is timed once per round")
    parser.add_argument(
        "--embedder-backend", default="auto", help="tagllm's encoder: auto | torch | onnx | onnx-fp32 | openvino"
    )
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="skip products whose text an earlier one has: tagllm encodes a repeated text once, raw encoding does not",
    )
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="time stages in wall or CPU time")
    args = parser.parse_args()

    import os

    os.environ.setdefault("TAGLLM_CACHE_DIR", tempfile.mkdtemp(prefix="tagllm-bench-cache-"))
    from tagllm.assembly import build_index
    from tagllm.config import TaggerConfig
    from tagllm.models import Product
    from tagllm.retrieval.embedder import Embedder
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger
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
    model = Embedder(backend="torch").model  # raw PyTorch sentence-transformers, same weights
    embedder = Embedder(backend=args.embedder_backend)
    embedder.encode(texts[:64])  # load (and on first use export) the encoder outside the timings
    model.encode(texts[:64])

    # The taxonomy's label embeddings are cached per taxonomy version (once per taxonomy, not per run): warm them.
    warm_index = build_index(examples_path, taxonomy, embedder, work / "warm", label_field=args.label_field)
    del warm_index

    def clock() -> float:
        if args.clock == "wall":
            return time.perf_counter()
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime  # children: the CLI, once ended

    def seconds(fn) -> float:  # type: ignore[no-untyped-def]
        started = clock()
        fn()
        return clock() - started

    def raw_encode() -> float:
        return seconds(
            lambda: model.encode(
                texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        )

    def cli_generate(index: Path, out: Path) -> None:
        command = [sys.executable, "-m", "tagllm", "generate", str(products_path), "-o", str(out), "-q"]
        command += ["--taxonomy", args.taxonomy, "--index", str(index), "--embedder-backend", embedder.backend]
        subprocess.run(command, check=True, cwd=work, env=dict(os.environ, PYTHONPATH=str(REPO)))

    rounds: list[dict[str, float]] = []
    last = raw_encode()

    def versus_raw(fn) -> float:  # type: ignore[no-untyped-def]
        """The stage's speed relative to raw encoding timed just before and just after it."""
        nonlocal last
        before, took, last = last, seconds(fn), raw_encode()
        rounds[-1]["raw encode"] = min(rounds[-1].get("raw encode", before), before, last)
        return (before + last) / 2 / took

    for round_ in range(args.repeat):
        rounds.append({})
        target = work / f"index-{round_}"
        rounds[-1]["encoder"] = versus_raw(lambda: embedder.encode(texts))
        rounds[-1]["index build"] = versus_raw(
            lambda target=target: build_index(examples_path, taxonomy, embedder, target, label_field=args.label_field)
        )
        config = TaggerConfig(taxonomy=args.taxonomy, index=str(target))
        tagger = Tagger(taxonomy, index=ExampleIndex.load(target, taxonomy=taxonomy), embedder=embedder, config=config)
        out = work / f"tags-{round_}.jsonl"
        rounds[-1]["generate"] = versus_raw(lambda tagger=tagger, out=out: tagger.tag_file(products_path, out))
        out = work / f"tags-cli-{round_}.jsonl"
        rounds[-1]["generate CLI"] = versus_raw(lambda target=target, out=out: cli_generate(target, out))

    help_times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tagllm", "--help"], capture_output=True, check=True)
        help_times.append(time.perf_counter() - started)

    n = len(texts)
    print(f"python {' '.join(sys.argv)}")
    print(f"texts: {n} ({len(set(texts))} distinct) from {args.examples}; tagllm's encoder {embedder.name}, "
          f"batch {embedder.batch_size}, max_seq_length {embedder.max_seq_length}; {args.repeat} round(s); "
          f"{args.clock} time")  # fmt: skip
    fastest = min(r["raw encode"] for r in rounds)
    print(f"raw PyTorch sentence-transformers encode: {n / fastest:.1f} texts per {args.clock} second (fastest run)")
    print(f"{'stage':<34}{'ratio to raw encode, per round':>34}{'median':>8}")
    stages = (
        ("encoder", "tagllm encoder (Embedder.encode)"),
        ("index build", "tagllm index build"),
        ("generate", "tagllm generate (tag_file)"),
        ("generate CLI", "tagllm generate (whole process)"),
    )
    for name, label in stages:
        ratios = [r[name] for r in rounds]
        print(f"{label:<34}{' '.join(f'{x:.2f}' for x in ratios):>34}{statistics.median(ratios):>8.2f}")
    print(f"tagllm --help wall time: median {statistics.median(help_times) * 1000:.0f} ms over 5 runs")


if __name__ == "__main__":
    main()
