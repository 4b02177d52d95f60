"""The mapping benchmark's scoring of generated cases: each case right, wrong or rejected per kind, the totals, the
threshold sweeps' summaries, and the wrong or missed cases shown."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from mapping_common import EXTRA_KINDS, REJECT_KINDS, VARIANT_KINDS, Case

from tagllm.mapping import Mapper


def run_cases(mapper: Mapper, cases: list[Case], plain: Mapper | None = None) -> dict[str, dict[str, int]]:
    """Score every case; ``plain`` (a mapper without the synonym file) maps the unlisted_synonym kind."""
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_facet: dict[str, list[Case]] = defaultdict(list)
    if plain is not None:
        unlisted = [Case("unlisted_synonym", c.facet, c.text, c.expected) for c in cases if c.kind == "synonym"]
        for case in unlisted:
            mapped = plain.map([case.text], case.facet)[0]
            _score(stats, case, mapped.value.id if mapped.value else None, mapped.method or "rejected")
    for case in cases:
        if case.answer:
            answer = mapper.map_answer(case.text, [case.facet])
            got = [v.id for v, _ in answer.tags.get(case.facet, [])]
            _score(stats, case, got[0] if got else None, "answer")
        else:
            by_facet[case.facet].append(case)
    for facet, group in by_facet.items():
        for case, mapped in zip(group, mapper.map([c.text for c in group], facet), strict=True):
            _score(stats, case, mapped.value.id if mapped.value else None, mapped.method or "rejected")
    return stats


def record_outcomes(mapper: Mapper, cases: list[Case], plain: Mapper) -> list[tuple[Case, str | None, str, float]]:
    """(case, id or None, method, score) for every case, the unlisted synonyms mapped by ``plain``."""
    out: list[tuple[Case, str | None, str, float]] = []
    unlisted = [Case("unlisted_synonym", c.facet, c.text, c.expected) for c in cases if c.kind == "synonym"]
    for case in unlisted:
        m = plain.map([case.text], case.facet)[0]
        out.append((case, m.value.id if m.value else None, m.method or "rejected", m.score))
    by_facet: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if case.answer:
            answer = mapper.map_answer(case.text, [case.facet])
            tags = answer.tags.get(case.facet, [])
            if tags:
                out.append((case, tags[0][0].id, tags[0][1].method, tags[0][1].score))
            else:
                out.append((case, None, "rejected", 0.0))
        else:
            by_facet[case.facet].append(case)
    for facet, group in by_facet.items():  # one batch per facet, as the tagger sends them
        for case, m in zip(group, mapper.map([c.text for c in group], facet), strict=True):
            out.append((case, m.value.id if m.value else None, m.method or "rejected", m.score))
    return out


def stats_at(outcomes: list[tuple[Case, str | None, str, float]], threshold: float) -> dict[str, dict[str, int]]:
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for case, got, method, score in outcomes:
        if method == "embedding" and score < threshold:
            got, method = None, "rejected"
        _score(stats, case, got, method)
    return stats


def print_summary(label: str, figures: dict[str, float], stats: dict[str, dict[str, int]]) -> None:
    u = stats["unlisted_synonym"]
    print(
        f"{label}: variants {figures['variant_accuracy']:.1%} correct, {figures['variant_wrong']:.2%} wrong; "
        f"must-reject {figures['reject_rate']:.1%} rejected; wrong overall {figures['wrong_overall']:.2%}; "
        f"unlisted synonyms {u['correct']}/{u['n']} right, {u['wrong']} wrong"
    )


def _score(stats: dict[str, dict[str, int]], case: Case, got: str | None, method: str) -> None:
    s = stats[case.kind]
    s["n"] += 1
    if case.expected is None:
        s["correct" if got is None else "wrong"] += 1
    elif got == case.expected:
        s["correct"] += 1
    elif got is None:
        s["rejected"] += 1
    else:
        s["wrong"] += 1
    s[f"m:{method}"] += 1


def report(stats: dict[str, dict[str, int]], *, out: Callable[[str], None] = print) -> dict[str, float]:
    out(f"{'kind':<14} {'n':>5} {'accuracy':>9} {'wrong':>7} {'rejected':>9}  methods")
    totals = {"variants": [0, 0, 0, 0], "rejects": [0, 0, 0]}
    for kind in (*VARIANT_KINDS, *REJECT_KINDS, *EXTRA_KINDS):
        s = stats.get(kind)
        if not s:
            continue
        if kind in EXTRA_KINDS:
            n = s["n"]
            methods = ", ".join(f"{k[2:]} {v}" for k, v in sorted(s.items()) if k.startswith("m:"))
            out(
                f"{kind:<14} {n:>5} {s['correct'] / n:>9.1%} {s['wrong'] / n:>7.1%} {s['rejected'] / n:>9.1%}  "
                f"{methods}  (not in the totals)"
            )
            continue
        n = s["n"]
        rejected = s["rejected"] if kind in VARIANT_KINDS else s["correct"]
        methods = ", ".join(f"{k[2:]} {v}" for k, v in sorted(s.items()) if k.startswith("m:"))
        out(f"{kind:<14} {n:>5} {s['correct'] / n:>9.1%} {s['wrong'] / n:>7.1%} {rejected / n:>9.1%}  {methods}")
        if kind in VARIANT_KINDS:
            t = totals["variants"]
            t[0] += n
            t[1] += s["correct"]
            t[2] += s["wrong"]
            t[3] += s["rejected"]
        else:
            t = totals["rejects"]
            t[0] += n
            t[1] += s["correct"]
            t[2] += s["wrong"]
    v, r = totals["variants"], totals["rejects"]
    figures = {
        "variant_accuracy": v[1] / max(v[0], 1),
        "variant_wrong": v[2] / max(v[0], 1),
        "reject_rate": r[1] / max(r[0], 1),
        "wrong_overall": (v[2] + r[2]) / max(v[0] + r[0], 1),
    }
    out(
        f"variants: {v[0]} strings, {figures['variant_accuracy']:.1%} mapped correctly, "
        f"{figures['variant_wrong']:.2%} wrong, {v[3] / max(v[0], 1):.1%} rejected"
    )
    out(f"must-reject: {r[0]} strings, {figures['reject_rate']:.1%} rejected, {r[2]} mapped (wrong)")
    out(f"wrong mappings overall: {v[2] + r[2]} of {v[0] + r[0]} = {figures['wrong_overall']:.2%}")
    return figures


def show_errors(mapper: Mapper, cases: list[Case], limit: int) -> None:
    shown: dict[str, int] = defaultdict(int)
    for case in cases:
        if case.answer or shown[case.kind] >= limit:
            continue
        mapped = mapper.map([case.text], case.facet)[0]
        got = mapped.value.id if mapped.value else None
        if got != case.expected:
            shown[case.kind] += 1
            what = (
                f"{mapped.value.id} {mapped.value.path or mapped.value.name} ({mapped.method} {mapped.score:.3f})"
                if mapped.value
                else f"rejected: {mapped.reason}"
            )
            want = case.expected and (
                mapper.taxonomy.values[case.expected].path or mapper.taxonomy.values[case.expected].name
            )
            print(f"  [{case.kind}] {case.facet}: {case.text[:80]!r} -> {what[:160]}; expected {want}")
