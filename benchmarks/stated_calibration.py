"""How often a value the title states is right: the measurements behind ``tagllm.candidates.stated``.

Run: python benchmarks/stated_calibration.py --data ../shared/data

For each labelled dataset (fashion: Gender, Colour, Season, Usage; Flipkart: 9 keys; OpenBG: 10 keys), the
attribute facets are learned (``learn_taxonomy``) from the training part of the benchmark's split
(benchmarks/attributes.py: by a hash of the title; fashion's training part sampled to ``--fashion-train``), then
each held-out title is read by ``StatedFinder`` (no examples, no index: names, synonyms, facet-rule words, longest
mentions). Over the held-out products whose gold carries the key, every stated value is counted right when the gold
holds it (compared by ``value_key``), per way of stating it (sole: the only value of the facet the title states;
shared: one of several; in Latin script, or only as a Chinese substring; "sole, by a shade": the only colour, named
by a shade the facet has no value for; "listed", see ``tagllm.candidates.stated``). Printed per dataset and pooled;
the lower end of the pooled share's 95% Wilson interval, rounded down to a twentieth, is ``STATED_PROBABILITY``
(precision first: a probability the data would not bear out is the worse error). ``--seed`` changes the split.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from attribute_data import (  # noqa: E402
    FASHION_KEYS,
    FLIPKART_KEYS,
    OPENBG_KEYS,
    gold_values,
    read_jsonl,
    sample,
    split,
    title_only,
)

from tagllm.attributes import AttributeResolver, learn_taxonomy, value_key  # noqa: E402
from tagllm.candidates.calibration import lower_bound  # noqa: E402
from tagllm.candidates.stated import STATED_PROBABILITY, StatedFinder  # noqa: E402
from tagllm.taxonomy import load_taxonomy  # noqa: E402
from tagllm.text import normalize  # noqa: E402

CASE_FACETS = ("color", "material", "target-gender")
DATASETS = (("fashion", "fashion", FASHION_KEYS), ("flipkart", "flipkart", FLIPKART_KEYS),
            ("openbg", "openbg-zh", OPENBG_KEYS))  # fmt: skip


def measure(name: str, directory: Path, keys: tuple[str, ...], train_n: int | None, test_n: int | None,
            seed: int, work: Path) -> dict[tuple[str, str], Counter[str]]:  # fmt: skip
    """(key, how) -> Counter(right=, stated=) over the held-out products whose gold carries the key."""
    rows = [r for r in read_jsonl(directory / "products.jsonl") if r.get("gold_category") and gold_values(r, keys)]
    train, test = split(rows, 0.2, seed)
    train, test = sample(train, train_n, seed), sample(test, test_n, seed)
    train_file = work / f"{name}-train.jsonl"
    train_file.write_text("".join(json.dumps(title_only(r, keys, True), ensure_ascii=False) + "\n" for r in train))
    taxonomy = learn_taxonomy(train_file, load_taxonomy(directory / "categories.jsonl")).taxonomy
    resolver = AttributeResolver(taxonomy)
    counts: dict[tuple[str, str], Counter[str]] = {}
    for key in keys:
        facet = resolver.facet(key)
        if facet is None:
            continue
        finder = StatedFinder(taxonomy, facet, {v.id: i for i, v in enumerate(taxonomy.facet_values(facet))})
        names = [v.name for v in taxonomy.facet_values(facet)]
        for row in test:
            gold = gold_values(row, [key]).get(key)
            if not gold:
                continue
            for statement in finder(normalize(row["title"]), row["title"]):
                tally = counts.setdefault((key, statement.how), Counter())
                tally["stated"] += 1
                tally["right"] += value_key(names[statement.value], key) in gold
    return counts


def measure_cases(paths: list[Path]) -> dict[tuple[str, str], Counter[str]]:
    """(facet, how) -> Counter(right=, stated=) over hand-labelled titles against Shopify's taxonomy (the
    ``benchmarks/zero_cases*.yaml`` format: per facet the expected value names, ``accept`` the others not wrong):
    the only labelled titles here whose colour is multi-valued, as Shopify's is ("Black/White" trainers)."""
    import yaml

    taxonomy = load_taxonomy("shopify")
    counts: dict[tuple[str, str], Counter[str]] = {}
    for facet in CASE_FACETS:
        finder = StatedFinder(taxonomy, facet, {v.id: i for i, v in enumerate(taxonomy.facet_values(facet))})
        names = [v.name.casefold() for v in taxonomy.facet_values(facet)]
        for path in paths:
            for case in yaml.safe_load(path.read_text()):
                if facet not in case:
                    continue
                ok = {n.casefold() for n in [*case[facet], *case.get("accept", {}).get(facet, [])]}
                for statement in finder(normalize(case["title"]), case["title"]):
                    tally = counts.setdefault((facet, statement.how), Counter())
                    tally["stated"] += 1
                    tally["right"] += names[statement.value] in ok
    return counts


def wilson_lower(right: int, n: int, z: float = 1.96) -> float:
    """The lower end of the Wilson score interval of a share ``right / n``."""
    return float(lower_bound(np.float64(right), np.float64(n), z))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fashion-train", type=int, default=5000)
    parser.add_argument("--fashion-test", type=int, default=3000)
    parser.add_argument(
        "--cases", type=Path, nargs="*", default=[], help="hand-labelled Shopify titles (benchmarks/zero_cases*.yaml)"
    )
    args = parser.parse_args(argv)
    pooled: dict[str, Counter[str]] = {}
    lines = ["| data | key | stated as | stated | right | share right |", "|---|---|---|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder, keys in [*DATASETS, *([("cases", None, CASE_FACETS)] if args.cases else [])]:
            big = name == "fashion"
            if folder is None:
                counts = measure_cases(args.cases)
            else:
                counts = measure(name, args.data / folder, keys, args.fashion_train if big else None,
                                 args.fashion_test if big else None, args.seed, Path(tmp))  # fmt: skip
            for (key, how), tally in sorted(counts.items()):
                lines.append(f"| {name} | {key} | {how} | {tally['stated']} | {tally['right']} | "
                             f"{tally['right'] / tally['stated']:.3f} |")  # fmt: skip
                pooled.setdefault(how, Counter()).update(tally)
            for how in STATED_PROBABILITY:
                tally = Counter()
                for (_, h), t in counts.items():
                    if h == how:
                        tally.update(t)
                if tally["stated"]:
                    lines.append(f"| {name} | **all keys** | {how} | {tally['stated']} | {tally['right']} | "
                                 f"{tally['right'] / tally['stated']:.3f} |")  # fmt: skip
    lines += [
        "",
        "| pooled | stated | right | share right | 95% lower bound | probability |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for how in [*STATED_PROBABILITY, *(h for h in pooled if h not in STATED_PROBABILITY)]:
        tally = pooled.get(how, Counter())
        if tally["stated"]:
            share, low = tally["right"] / tally["stated"], wilson_lower(tally["right"], tally["stated"])
            lines.append(f"| {how} | {tally['stated']} | {tally['right']} | {share:.3f} | {low:.3f} | "
                         f"{math.floor(low * 20) / 20:.2f} |")  # fmt: skip
    given = sys.argv[1:] if argv is None else argv
    print("command: python " + " ".join([str(Path(sys.argv[0]))] + given))
    print("\n".join(lines))
    print(f"STATED_PROBABILITY in use: {STATED_PROBABILITY}")


if __name__ == "__main__":
    main()
