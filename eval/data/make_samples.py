"""Rebuild the evaluation samples in eval/data from the full datasets (run once; the outputs are committed)."""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEEP = ("id", "title", "description", "brand", "attributes", "gold_category")
DESCRIPTION_CHARS = 240  # enough for the tagger to read; keeps the repository light


def _slim(row: dict) -> dict:
    out = {k: row.get(k) for k in KEEP}
    if out["description"]:
        out["description"] = out["description"][:DESCRIPTION_CHARS]
    return out


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def build(source: Path, name: str, n_examples: int, n_gold: int, seed: int) -> None:
    rows = [json.loads(line) for line in (source / "products.jsonl").open(encoding="utf-8")]
    rows = [r for r in rows if r.get("gold_category")]
    random.Random(seed).shuffle(rows)
    examples, gold = rows[:n_examples], rows[n_examples : n_examples + n_gold]
    out = HERE / name
    out.mkdir(exist_ok=True)
    _write(out / "examples.jsonl", [_slim(r) for r in examples])
    # Alternate dev/test so both halves follow the same distribution.
    _write(out / "gold.jsonl", [{**_slim(r), "split": ("dev", "test")[i % 2]} for i, r in enumerate(gold)])
    shutil.copyfile(source / "categories.jsonl", out / "categories.jsonl")
    print(f"{name}: {len(examples)} examples, {len(gold)} gold")


if __name__ == "__main__":
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    build(data / "flipkart", "flipkart", n_examples=3000, n_gold=600, seed=13)
    build(data / "openbg-zh", "openbg-zh", n_examples=300, n_gold=200, seed=13)
