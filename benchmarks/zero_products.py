"""A first run with no examples, scored: the hand-written products of ``zero_cases.yaml`` tagged against the Shopify
taxonomy tagllm ships (facets category, color, material, target-gender), per facet precision, recall and coverage.

Run: python benchmarks/zero_products.py [--cases benchmarks/zero_cases.yaml] [--show]
     python benchmarks/zero_products.py --cases benchmarks/zero_cases_category.yaml  (everyday products, category)
     python benchmarks/zero_products.py --cases benchmarks/zero_cases_category2.yaml (40 more, written later)
     python benchmarks/zero_products.py --cases benchmarks/zero_cases_category3.yaml (120 held out, with ids)
     python benchmarks/zero_products.py --cases benchmarks/zero_cases_attributes2.yaml (160 titles, colour, material
         and gender; also zero_cases_attributes3.yaml, 160, and zero_cases_attributes4.yaml, 120: docs/eval.md)
     python benchmarks/zero_products.py --write-csv products.csv   (the titles alone, for timing ``tagllm generate``)

The tagger sees each title and nothing else. A predicted value is right when its name is one of the case's expected
names for the facet (or its ``accept`` list); precision = right / predicted, recall = expected names predicted /
expected (an accepted name is right, not found), coverage =
products given a value among those that expect one. Tags inherited as ancestors are not counted. A case scores the
facets it lists; for ``category`` the tagger's best category is right when its name is one of the case's names, or,
where the case lists ``category_id`` (``zero_cases_category3.yaml``), its id one of those ids (a same-name value on
another branch is wrong, as is a parent or a child of the expected category), so its precision is top-1 accuracy
over answered products. Where every case lists a category, the best category's reliability per confidence band and
the Brier score follow, after the category's candidate recall (the products whose right category is among the
candidates offered: what an LLM backend can choose; ``--show`` marks a wrong product NOT-IN-CANDIDATES) (right by
id where the case lists ids, else by name); several ``--cases`` files are pooled.
The attribute answers' right share at each confidence is printed too (a confidence means something when the share
of its answers right is about it).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tagllm import Tagger  # noqa: E402
from tagllm.config import TaggerConfig  # noqa: E402
from tagllm.taxonomy import load_taxonomy  # noqa: E402

FACETS = ("category", "color", "material", "target-gender")
BANDS = ((0.0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0))


def load_cases(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())


def score(cases: list[dict[str, Any]], predicted: list[dict[str, list[str]]]) -> dict[str, dict[str, float]]:
    """Per facet: precision, recall, coverage (of products that expect a value) and the counts behind them."""
    out = {}
    for facet in FACETS:
        right = said = found = expected = covered = expecting = 0
        for case, tags in zip(cases, predicted, strict=True):
            if facet not in case:
                continue
            gold = {n.casefold() for n in case[facet]}
            ok = gold | {n.casefold() for n in case.get("accept", {}).get(facet, [])}
            names = {n.casefold() for n in tags.get(facet, [])}
            if facet == "category" and "category_id" in case:  # ids: a same-name value on another branch is wrong
                ok, names = set(case["category_id"]), set(tags.get("category_id", []))
            right += len(names & ok)
            said += len(names)
            hits = names & (ok if facet == "category" and "category_id" in case else gold)
            found += min(len(hits), 1) if facet == "category" else len(hits)
            expected += min(len(gold), 1) if facet == "category" else len(gold)  # its names are alternatives
            if gold:
                expecting += 1
                covered += bool(names)
        out[facet] = {
            "precision": right / said if said else 1.0,
            "recall": found / expected if expected else 1.0,
            "coverage": covered / expecting if expecting else 0.0,
            "right": right,
            "predicted": said,
            "expected": expected,
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--cases", type=Path, nargs="+", default=[REPO / "benchmarks" / "zero_cases.yaml"], help="pooled when several"
    )
    parser.add_argument("--show", action="store_true", help="print every product's tags")
    parser.add_argument("--write-csv", type=Path, help="write the titles as a CSV (id,title) and stop")
    args = parser.parse_args(argv)
    cases = [case for path in args.cases for case in load_cases(path)]
    if args.write_csv:
        with args.write_csv.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "title"])
            writer.writerows([str(i), c["title"]] for i, c in enumerate(cases, 1))
        return
    taxonomy = load_taxonomy("shopify")
    config = TaggerConfig(taxonomy="shopify", facets=list(FACETS))
    tagger = Tagger(taxonomy, config=config)
    results = tagger.tag([{"id": str(i), "title": c["title"]} for i, c in enumerate(cases, 1)])
    predicted: list[dict[str, list[str]]] = []
    answers: list[tuple[float, bool]] = []  # the best category's confidence, and whether it is right
    reached: list[bool] = []  # per product listing a category: whether the right one is among its candidates
    stated: list[tuple[float, bool]] = []  # each attribute answer's confidence, and whether it is right
    for case, r in zip(cases, results, strict=True):
        tags = {f: [t.name for t in r.tags.get(f, []) if t.source != "ancestor"] for f in FACETS[1:]}
        for f in (f for f in FACETS[1:] if f in case):
            ok = {n.casefold() for n in [*case[f], *case.get("accept", {}).get(f, [])]}
            stated += [(t.confidence, t.name.casefold() in ok) for t in r.tags.get(f, []) if t.source != "ancestor"]
        best = r.best("category")
        tags["category"] = [best.name] if best else []
        tags["category_id"] = [best.id] if best else []
        predicted.append(tags)
        answers.append((best.confidence if best else 0.0, is_right(case, tags)))
        offered = r.provenance.candidates.get("category", []) if r.provenance else []
        among = is_right(case, {"category": [c.name for c in offered], "category_id": [c.id for c in offered]})
        if "category" in case or "category_id" in case:
            reached.append(among)
        if args.show:
            shown = "; ".join(
                f"{f}={','.join(f'{t.name}:{t.confidence:.2f}' for t in r.tags.get(f, []))}" for f in FACETS
            )
            answer = f"{best.id} {best.name}" if best else "-"
            right = answers[-1][1] if accepted(case) else bool(set(tags["category"]) & set(case.get("category", [])))
            mark = "ok" if right else f"WRONG (want {', '.join(case.get('category', []))})"
            mark += "" if right or among else " NOT-IN-CANDIDATES"
            print(f"{case['title'][:60]:60} | {answer} | {mark} | {shown}")
    print("| facet | precision | recall | coverage | right / predicted / expected |")
    print("|---|---:|---:|---:|---|")
    for facet, s in score(cases, predicted).items():
        if not s["expected"] and not s["predicted"]:
            continue  # no case lists the facet
        print(f"| {facet} | {s['precision']:.3f} | {s['recall']:.3f} | {s['coverage']:.3f} | "
              f"{s['right']} / {s['predicted']} / {s['expected']} |")  # fmt: skip
    if reached:
        print(f"\ncategory candidate recall: {sum(reached)}/{len(reached)} ({sum(reached) / len(reached):.3f})"
              " (the right category among the candidates offered)")  # fmt: skip
    if stated:
        print("\nattribute answers by confidence: " + by_confidence(stated))
    if all("category" in c or "category_id" in c for c in cases):
        print("\nbest category by its confidence: " + reliability(answers))
        print(f"Brier score of the best category's confidence: {brier(answers):.4f} over {len(answers)} titles")


def accepted(case: dict[str, Any]) -> set[str]:
    """The category ids a case accepts (none when it lists names only)."""
    return set(case.get("category_id", []))


def is_right(case: dict[str, Any], tags: dict[str, list[str]]) -> bool:
    """Whether the best category is the case's: by id where it lists ids, else by name (or its ``accept`` list)."""
    if "category_id" in case:
        return bool(set(tags["category_id"]) & accepted(case))
    names = {n.casefold() for n in case.get("category", []) + case.get("accept", {}).get("category", [])}
    return bool({n.casefold() for n in tags["category"]} & names)


def brier(answers: list[tuple[float, bool]]) -> float:
    """Mean squared gap between the confidence and being right (0 or 1): lower is better, and only confidences
    that are the probability of being right make it lowest."""
    return sum((confidence - right) ** 2 for confidence, right in answers) / max(len(answers), 1)


def reliability(answers: list[tuple[float, bool]]) -> str:
    """Right share of the best category per confidence band: a confidence means something when the share of
    answers right in a band lies within it."""
    parts = []
    for low, high in BANDS:
        band = [right for confidence, right in answers if low <= confidence < high or (high == 1.0 and confidence == 1)]
        if band:
            parts.append(f"{low:.1f}-{high:.1f}: {sum(band)}/{len(band)} right ({sum(band) / len(band):.2f})")
    return "; ".join(parts)


def by_confidence(answers: list[tuple[float, bool]]) -> str:
    """Right share of the answers at each confidence (the stated values' probabilities are a few fixed numbers): a
    confidence means something when about that share of its answers is right."""
    parts = []
    for confidence in sorted({round(c, 2) for c, _ in answers}, reverse=True):
        band = [right for c, right in answers if round(c, 2) == confidence]
        parts.append(f"{confidence:.2f}: {sum(band)}/{len(band)} right ({sum(band) / len(band):.3f})")
    return "; ".join(parts)


if __name__ == "__main__":
    main()
