"""Rebuild the evaluation samples in eval/data from the full datasets (run once; the outputs are committed)."""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository's tagllm, for the taxonomies
KEEP = ("id", "title", "description", "brand", "attributes", "gold_category")
DESCRIPTION_CHARS = 240  # enough for the tagger to read; keeps the repository light


def _slim(row: dict, tags: bool) -> dict:
    out = {k: row.get(k) for k in (*KEEP, "gold_attribute_tags") if tags or k in KEEP}
    if out["description"]:
        out["description"] = out["description"][:DESCRIPTION_CHARS]
    return out


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def build(
    source: Path, name: str, n_examples: int, n_gold: int, seed: int, *, attributes: bool = False, tags: bool = False
) -> None:
    """A seeded sample of products with a gold category; with ``attributes`` only products with attribute tags;
    with ``tags`` (or ``attributes``) their ``gold_attribute_tags`` kept."""
    tags = tags or attributes
    rows = [json.loads(line) for line in (source / "products.jsonl").open(encoding="utf-8")]
    rows = [r for r in rows if r.get("gold_category") and (r.get("gold_attribute_tags") or not attributes)]
    random.Random(seed).shuffle(rows)
    examples, gold = rows[:n_examples], rows[n_examples : n_examples + n_gold]
    out = HERE / name
    out.mkdir(exist_ok=True)
    _write(out / "examples.jsonl", [_slim(r, tags) for r in examples])
    # Alternate dev/test so both halves follow the same distribution.
    _write(out / "gold.jsonl", [{**_slim(r, tags), "split": ("dev", "test")[i % 2]} for i, r in enumerate(gold)])
    if not attributes:  # an attribute sample uses its dataset's category sample
        shutil.copyfile(source / "categories.jsonl", out / "categories.jsonl")
    print(f"{name}: {len(examples)} examples, {len(gold)} gold")


def build_taxonomies() -> None:
    """The attribute taxonomies the attribute configs use, built from the samples' examples by the same API as
    `tagllm taxonomy build EXAMPLES -t categories.jsonl -o taxonomy.yaml`."""
    from tagllm.attributes import learn_taxonomy
    from tagllm.taxonomy import load_taxonomy, save_own

    for name, tree in (("flipkart-attributes", "flipkart"), ("openbg-zh", "openbg-zh")):
        out = HERE / name
        categories = HERE / tree / "categories.jsonl"
        learned = learn_taxonomy(out / "examples.jsonl", load_taxonomy(categories), name=name)
        header = (
            f"Built by: tagllm taxonomy build {name}/examples.jsonl -t {tree}/categories.jsonl -o {name}/taxonomy.yaml"
            f" --name {name}\n(eval/data/make_samples.py). CC BY-SA 4.0: see eval/data/README.md."
        )
        save_own(learned.taxonomy, out / "taxonomy.yaml", header=header)
        print(f"{name}: taxonomy.yaml with {len(learned.taxonomy.facets) - 1} attribute facets")


if __name__ == "__main__":
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    build(data / "flipkart", "flipkart", n_examples=3000, n_gold=600, seed=13)
    build(data / "openbg-zh", "openbg-zh", n_examples=300, n_gold=200, seed=13, tags=True)
    # Flipkart products with attribute tags (about one in ten has them): the attribute evaluation's sample
    build(data / "flipkart", "flipkart-attributes", n_examples=900, n_gold=300, seed=13, attributes=True)
    build_taxonomies()
