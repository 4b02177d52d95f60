"""What predicts fashion's Season: each key's majority value in the training part, read on the held-out part.

Run: python benchmarks/season_evidence.py --data ../shared/data [--seed n]

Season in the fashion data (Myntra) is the catalogue's season of the listing, not something a title says. This
reads, on the attribute benchmark's split (``attribute_data.is_test``, 20% held out by a hash of the title; all
products, not the benchmark's sample of 3,000 / 600), how well the Season of the training products sharing a key
predicts a held-out product's: keys a title carries (the gold category, which the tagger chooses first; the first
word of the title, usually the brand) and one it does not (the gold Year). Per key: the accuracy of the majority
value over the held-out products (a key unseen in training counts as wrong), and the products whose key's majority is
at least 0.9 of at least 5 training products, with the share of them right (what a rule confident per key could
keep).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.attribute_data import is_test, read_jsonl  # noqa: E402

Row = dict[str, Any]


def tag(row: Row, key: str) -> str | None:
    """The value of the "Key: Value" attribute tag ``key`` of ``row``, None when it has none."""
    for text in row.get("gold_attribute_tags") or []:
        name, _, value = text.partition(": ")
        if name == key:
            return value
    return None


KEYS: dict[str, Callable[[Row], object]] = {
    "category": lambda r: r["gold_category"],
    "first title word": lambda r: r["title"].split()[0].lower(),
    "category + first title word": lambda r: (r["gold_category"], r["title"].split()[0].lower()),
    "Year (not in the title)": lambda r: tag(r, "Year"),
    "category + Year (not in the title)": lambda r: (r["gold_category"], tag(r, "Year")),
}


def read_key(train: list[Row], test: list[Row], key: Callable[[Row], object]) -> str:
    seasons: dict[object, Counter[str]] = defaultdict(Counter)
    for row in train:
        seasons[key(row)][tag(row, "Season") or ""] += 1
    right = kept = kept_right = 0
    for row in test:
        counts = seasons.get(key(row))
        if not counts:
            continue
        value, n = counts.most_common(1)[0]
        is_right = value == tag(row, "Season")
        right += is_right
        if n / sum(counts.values()) >= 0.9 and sum(counts.values()) >= 5:
            kept, kept_right = kept + 1, kept_right + is_right
    share = f"{kept_right / kept:.3f}" if kept else "-"
    return f"accuracy {right / len(test):.3f}; confident keys: {kept / len(test):.3f} of products, {share} right"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = [r for r in read_jsonl(args.data / "fashion" / "products.jsonl") if tag(r, "Season")]
    train = [r for r in rows if not is_test(r, 0.2, args.seed)]
    test = [r for r in rows if is_test(r, 0.2, args.seed)]
    print(f"fashion Season: {len(train)} train / {len(test)} test; {Counter(tag(r, 'Season') for r in test)}")
    for name, key in KEYS.items():
        print(f"{name}: {read_key(train, test, key)}")


if __name__ == "__main__":
    main()
