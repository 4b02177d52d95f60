"""The mapping benchmark: variants of sampled Shopify values and must-reject strings, accuracy and throughput.

Run: python benchmarks/mapping_bench.py --seed 2            (report)
     python benchmarks/mapping_bench.py --seed 1 --sweep    (choose thresholds on another seed)
     python benchmarks/mapping_bench.py --written-only      (the hand-written cases, per kind and per stage)
     python benchmarks/mapping_bench.py --written-only --cases benchmarks/mapping_heldout.yaml   (held-out cases)
     python benchmarks/mapping_bench.py --written-only --cases benchmarks/mapping_fresh.yaml     (fresh cases)

Variants are built from the full Shopify taxonomy (categories and attribute values) and its zh-CN labels, plus
taxonomy/shopify-synonyms.yaml for the synonym kind. Each string is mapped within the facet of the value it came
from, as the tagger does. A variant is correct when it maps to the value it came from; a must-reject string is
correct when it is rejected. "wrong" is any mapping to another value (for must-reject kinds: any mapping).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mapping_common import load
from mapping_scoring import print_summary, record_outcomes, report, run_cases, show_errors, stats_at
from mapping_throughput import exact_throughput, load_times, throughput
from mapping_variants import build_cases
from mapping_written import (
    WRITTEN_CASES,
    load_written_cases,
    map_written,
    print_written_errors,
    report_stages,
    report_written,
)

from tagllm.mapping import Mapper
from tagllm.mapping import fuzzy as fuzzy_stage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--per-kind", type=int, default=400)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--fuzzy-threshold", type=float)
    parser.add_argument("--embedding-threshold", type=float)
    parser.add_argument(
        "--sweep", choices=("fuzzy", "embedding"), help="try thresholds of one stage and print each summary"
    )
    parser.add_argument("--cache-dir", type=Path, help="where tables and label embeddings are cached")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--word-floor", type=float, help="override tagllm.mapping.WORD_FLOOR (fuzzy word check)")
    parser.add_argument("--show-errors", type=int, default=0, help="print up to N wrong or missed cases per kind")
    parser.add_argument("--written-only", action="store_true", help="only the hand-written cases (mapping_cases.yaml)")
    parser.add_argument(
        "--cases", type=Path, default=WRITTEN_CASES, help="hand-written cases to map (e.g. mapping_heldout.yaml)"
    )
    args = parser.parse_args(argv)

    if args.word_floor is not None:
        fuzzy_stage.WORD_FLOOR = args.word_floor
    taxonomy = load()
    cases = build_cases(taxonomy, args.seed, args.per_kind)
    options = {"use_embeddings": not args.no_embeddings, "cache_dir": args.cache_dir}
    if args.fuzzy_threshold is not None:
        options["fuzzy_threshold"] = args.fuzzy_threshold
    if args.embedding_threshold is not None:
        options["embedding_threshold"] = args.embedding_threshold
    print(
        f"Shopify taxonomy {taxonomy.version}: {len(taxonomy):,} values in {len(taxonomy.facets):,} facets; "
        f"seed {args.seed}"
    )

    if args.sweep == "fuzzy":
        # fuzzy is swept with embeddings off
        plain_taxonomy = load(synonyms=False)
        for ft in (0.70, 0.75, 0.78, 0.80, 0.83, 0.86):
            mapper = Mapper(taxonomy, **{**options, "use_embeddings": False, "fuzzy_threshold": ft})
            plain = Mapper(plain_taxonomy, **{**options, "use_embeddings": False, "fuzzy_threshold": ft})
            stats = run_cases(mapper, cases, plain)
            print_summary(f"fuzzy {ft:.2f}, no embeddings", report(stats, out=lambda _: None), stats)
    elif args.sweep == "embedding":
        # one pass with the embedding threshold at 0 records each string's outcome and score; a higher threshold
        # only turns embedding mappings below it into rejections, so every threshold is scored from that pass
        low = {**options, "embedding_threshold": 0.0}
        mapper, plain = Mapper(taxonomy, **low), Mapper(load(synonyms=False), **low)
        outcomes = record_outcomes(mapper, cases, plain)
        for et in (0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95):
            stats = stats_at(outcomes, et)
            print_summary(
                f"fuzzy {mapper.fuzzy_threshold:.2f}, embedding {et:.2f}", report(stats, out=lambda _: None), stats
            )
    if args.sweep:
        return 0

    mapper = Mapper(taxonomy, **options)
    plain = Mapper(load(synonyms=False), **options)
    if args.written_only:
        cases = []
    print(
        f"fuzzy threshold {mapper.fuzzy_threshold}, embedding threshold {mapper.embedding_threshold}"
        f"{' (embeddings off)' if not mapper.use_embeddings else ''}"
    )
    if cases:
        stats = run_cases(mapper, cases, plain)
        report(stats)
    written = load_written_cases(plain.taxonomy, args.cases)
    print(f"\nwritten cases ({args.cases.name}), taxonomy without the synonym file:")
    stats_before = {k: (v.seen, v.accepted, v.rejected, v.seconds) for k, v in plain.stats.items()}
    outcomes = map_written(plain, written)
    report_written(outcomes)
    print("first pass (includes one-time loads: WordNet's tables, the facets' label embeddings, fuzzy indexes):")
    report_stages(plain, stats_before)
    stats_before = {k: (v.seen, v.accepted, v.rejected, v.seconds) for k, v in plain.stats.items()}
    map_written(plain, written)
    print("second pass over the same strings (what each string costs once everything is loaded):")
    report_stages(plain, stats_before)
    if args.show_errors:
        print_written_errors(plain, outcomes)
    if args.show_errors and cases:
        show_errors(mapper, cases, args.show_errors)
    if not args.skip_throughput:
        exact_throughput(taxonomy, mapper)
        throughput(taxonomy, mapper, args.seed, cases)
        load_times(taxonomy)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
