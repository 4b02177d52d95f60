"""Per-string cost of the embedder's agreement check (tagllm/mapping/agreement.py), one string at a time and over a
batch: the category strings of the hand-written case files with their expected values, checked at the head's bar.

Run: python benchmarks/agreement_bench.py [--cases mapping_fresh3.yaml mapping_fresh4.yaml ...] [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tagllm.mapping import Mapper  # noqa: E402
from tagllm.mapping import agreement as checks  # noqa: E402
from tagllm.taxonomy import Taxonomy, load_shopify  # noqa: E402

FLOOR, TRAIL = 0.6, 0.05  # the modifier stage's head bar (HEAD_AGREEMENT, HEAD_TRAIL)


def category_cases(taxonomy: Taxonomy, names: list[str]) -> list[tuple[str, str]]:
    """(string, expected category id) for every mappable category case of the files."""
    import yaml

    out: list[tuple[str, str]] = []
    for name in names:
        for spec in yaml.safe_load((REPO / "benchmarks" / name).read_text(encoding="utf-8")).values():
            if spec.get("facet") != "category":
                continue
            for text, target in spec["cases"]:
                found = [
                    v.id
                    for v in taxonomy.facet_values("category")
                    if target in (v.name, v.path) or (v.path or "").endswith(" > " + str(target))
                ]
                if target is not None and len(found) == 1:
                    out.append((str(text), found[0]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["mapping_fresh2.yaml", "mapping_fresh3.yaml"])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    taxonomy = load_shopify(REPO / "taxonomy" / "shopify")
    mapper = Mapper(taxonomy)
    queries = category_cases(taxonomy, args.cases)
    print(f"{len(queries)} category strings from {', '.join(args.cases)}")
    checks.agreement(mapper, "warm up", queries[0][1], "category", FLOOR, TRAIL)  # the embedder and label vectors
    for _ in range(args.repeat):
        started = time.perf_counter()
        one = [checks.agreement(mapper, text, vid, "category", FLOOR, TRAIL) for text, vid in queries]
        print(f"one string at a time: {(time.perf_counter() - started) / len(queries) * 1000:.2f} ms/string")
        batched = getattr(checks, "agreements", None)
        if batched is None:
            continue  # code from before the batch check
        started = time.perf_counter()
        many = batched(mapper, queries, "category", FLOOR, TRAIL)
        per = (time.perf_counter() - started) / len(queries) * 1000
        same = all(
            (a is None) == (b is None) and (a is None or b is None or abs(a - b) < 1e-5)
            for a, b in zip(one, many, strict=True)
        )
        print(f"one batch: {per:.2f} ms/string; same decisions (scores within 1e-5): {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
