"""The mapping benchmark's hand-written cases: loading a case file, mapping it as `tagllm taxonomy map` reads a
column, and reporting per kind, per method and per stage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from mapping_common import Case

from tagllm.mapping import Mapper, map_texts
from tagllm.taxonomy import Taxonomy

WRITTEN_CASES = Path(__file__).with_name("mapping_cases.yaml")
"""Hand-written cases (regional words, modifiers, abbreviations, Chinese affixes, wrapped answers, paraphrases and
must-reject strings), mapped with the taxonomy WITHOUT the synonym file: see the file's header."""


def load_written_cases(taxonomy: Taxonomy, path: Path = WRITTEN_CASES) -> list[Case]:
    """The hand-written cases, targets resolved to ids (a target is a value's name or the tail of its path)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases: list[Case] = []
    for kind, spec in data.items():
        for row in spec["cases"]:
            facet, text, target = (spec["facet"], *row) if "facet" in spec else row
            expected = None if target is None else _resolve(taxonomy, facet, str(target), path)
            cases.append(Case(kind, facet, str(text), expected, answer=bool(spec.get("answer"))))
    return cases


def _resolve(taxonomy: Taxonomy, facet: str, target: str, path: Path = WRITTEN_CASES) -> str:
    found = [
        v.id
        for v in taxonomy.facet_values(facet)
        if v.name == target or v.path == target or (v.path or "").endswith(" > " + target)
    ]
    if len(found) != 1:
        raise SystemExit(f"{path.name}: target {target!r} names {len(found)} values of facet {facet!r}")
    return found[0]


def written_kinds(cases: list[Case]) -> list[str]:
    return list(dict.fromkeys(c.kind for c in cases))


def report_written(outcomes: list[tuple[Case, str | None, str, float]], *, out: Callable[[str], None] = print) -> None:
    """Per kind: correct, wrong, rejected; then the mappable and must-reject totals and each method's share."""
    kinds = written_kinds([c for c, *_ in outcomes])
    out(f"{'kind':<20} {'n':>4} {'correct':>8} {'wrong':>7} {'rejected':>9}  methods")
    totals = {"map": [0, 0, 0, 0], "reject": [0, 0, 0]}
    by_method: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kind in kinds:
        rows = [(c, got, m) for c, got, m, _ in outcomes if c.kind == kind]
        n = len(rows)
        correct = sum(1 for c, got, _ in rows if got == c.expected)
        wrong = sum(1 for c, got, _ in rows if got is not None and got != c.expected)
        rejected = sum(1 for _, got, _ in rows if got is None)
        methods: dict[str, int] = defaultdict(int)
        for c, got, m in rows:
            methods[m] += 1
            if got is not None:
                by_method[m][0] += 1
                by_method[m][1] += got != c.expected
        for c, got, _ in rows:
            if c.expected is None:
                t = totals["reject"]
                t[0] += 1
                t[1] += got is None
                t[2] += got is not None
            else:
                t = totals["map"]
                t[0] += 1
                t[1] += got == c.expected
                t[2] += got is not None and got != c.expected
                t[3] += got is None
        shown = ", ".join(f"{k} {v}" for k, v in sorted(methods.items()))
        out(f"{kind:<20} {n:>4} {correct / n:>8.1%} {wrong / n:>7.1%} {rejected / n:>9.1%}  {shown}")
    m, r = totals["map"], totals["reject"]
    out(
        f"mappable: {m[0]} strings, {m[1] / max(m[0], 1):.1%} correct, {m[2] / max(m[0], 1):.2%} wrong, "
        f"{m[3] / max(m[0], 1):.1%} rejected"
    )
    out(f"must-reject: {r[0]} strings, {r[1] / max(r[0], 1):.1%} rejected, {r[2]} mapped (wrong)")
    out(f"wrong overall: {m[2] + r[2]} of {m[0] + r[0]} = {(m[2] + r[2]) / max(m[0] + r[0], 1):.2%}")
    out(
        "mapped by method (written cases): "
        + ", ".join(f"{k} {v[0]} ({v[1]} wrong)" for k, v in sorted(by_method.items()))
    )


def report_stages(mapper: Mapper, before: dict[str, tuple[int, int, int, float]]) -> None:
    """Each stage's work on the written cases: strings it saw, accepted, rejected, and its cost per string seen."""
    print(f"{'stage':<12} {'seen':>6} {'accepted':>9} {'rejected':>9} {'ms/string':>10}")
    for name, stats in mapper.stats.items():
        seen0, acc0, rej0, sec0 = before.get(name, (0, 0, 0, 0.0))
        seen = stats.seen - seen0
        if not seen:
            continue
        per = (stats.seconds - sec0) / seen * 1000
        print(f"{name:<12} {seen:>6} {stats.accepted - acc0:>9} {stats.rejected - rej0:>9} {per:>10.3f}")


def map_written(mapper: Mapper, cases: list[Case]) -> list[tuple[Case, str | None, str, float]]:
    out: list[tuple[Case, str | None, str, float]] = []
    by_facet: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_facet[case.facet].append(case)
    for facet, group in by_facet.items():  # as `tagllm taxonomy map --facet F` reads a column: answers parsed
        for case, cell in zip(group, map_texts(mapper, [c.text for c in group], facet), strict=True):
            if cell.values:
                value, info = cell.values[0]
                out.append((case, value.id, info.method, info.score))
            else:
                out.append((case, None, "rejected", 0.0))
    return out


def print_written_errors(mapper: Mapper, outcomes: list[tuple[Case, str | None, str, float]]) -> None:
    """Every hand-written case mapped to another value than its target, or rejected though it has one."""
    for case, got, method, score in outcomes:
        if got != case.expected:
            tax = mapper.taxonomy
            what = f"{got} {tax.path_of(got)} ({method} {score:.3f})" if got else "rejected"
            want = case.expected and tax.path_of(case.expected)
            print(f"  [{case.kind}] {case.facet}: {case.text[:60]!r} -> {what}; expected {want}")
