"""Google's product taxonomy mapped onto Shopify's, scored against Shopify's own Google mapping.

    python benchmarks/mapping_google.py --data ../shared/data            # 5,456 Google paths, as written
    python benchmarks/mapping_google.py --data ../shared/data --leaf     # their last segment alone

Shopify publishes, for each of its categories, the Google category it corresponds to
(``taxonomies/shopify/shopify_to_google_mapping.jsonl``). Read backwards, a Google path's right answers are the
Shopify categories mapped onto it (a Google category often stands for a Shopify category and its children). Each
Google path is mapped as `tagllm taxonomy map --facet category` maps a string, and counted right (a Shopify category
mapped onto that path), wrong (any other) or rejected. Shopify's tree grew out of Google's, so most paths are exact
names; what this measures is the rest: paths whose names Shopify changed, other catalogues' breadcrumbs in the wild,
and how often the foreign-path, modifier and embedding stages place such a path wrongly. Wrong answers are printed
with the Shopify categories Shopify mapped the path from.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from tagllm.mapping import Mapper
from tagllm.taxonomy import load_taxonomy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--leaf", action="store_true", help="map each path's last segment alone")
    args = parser.parse_args()

    mapping = args.data / "taxonomies" / "shopify" / "shopify_to_google_mapping.jsonl"
    right_ids: dict[str, set[str]] = defaultdict(set)
    for line in mapping.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for path in row["google_paths"]:
            right_ids[path].add(row["shopify_id"])
    taxonomy = load_taxonomy("shopify")
    mapper = Mapper(taxonomy)
    paths = sorted(right_ids)
    texts = [path.rsplit(" > ", 1)[-1] if args.leaf else path for path in paths]
    counts: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    for path, text, mapped in zip(paths, texts, mapper.map(texts, "category"), strict=True):
        if mapped.value is None:
            counts["rejected", "-"] += 1
        elif mapped.value.id in right_ids[path]:
            counts["right", str(mapped.method)] += 1
        else:
            counts["wrong", str(mapped.method)] += 1
            wanted = "; ".join(taxonomy.path_of(v) for v in sorted(right_ids[path])[:2])
            wrong.append(f"  {text!r} -> {taxonomy.path_of(mapped.value.id)} ({mapped.method}); Shopify: {wanted}")
    total = len(paths)
    for outcome in ("right", "wrong", "rejected"):
        n = sum(c for (o, _), c in counts.items() if o == outcome)
        methods = ", ".join(f"{m} {c}" for (o, m), c in sorted(counts.items()) if o == outcome and m != "-")
        print(f"{outcome:<9} {n:>5} of {total} ({n / total:.2%}){'  ' + methods if methods else ''}")
    if wrong:
        print("wrong:")
        print("\n".join(wrong))


if __name__ == "__main__":
    main()
