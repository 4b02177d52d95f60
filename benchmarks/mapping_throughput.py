"""The mapping benchmark's speed figures: the exact path's strings per second, the cost per string of the fuzzy and
embedding stages, and how long the mapping tables take to build and to load from the cache."""

from __future__ import annotations

import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from mapping_common import REPO, UNRELATED, Case

from tagllm.mapping import Mapper
from tagllm.taxonomy import Taxonomy, load_shopify


def exact_throughput(taxonomy: Taxonomy, mapper: Mapper) -> None:
    """Strings/s of the exact path: every value's name, full path and zh-CN label, mapped within its facet in
    per-facet batches (as the tagger maps a batch of answers), twice: the first pass may build per-facet indexes."""
    by_facet: dict[str, list[str]] = defaultdict(list)
    for v in taxonomy.values.values():
        by_facet[v.facet].extend(t for t in (v.name, v.path, v.label("zh-CN")) if t)
    n = sum(len(texts) for texts in by_facet.values())
    times, cpu_times = [], []
    for _ in range(2):
        methods: dict[str, int] = defaultdict(int)
        started, cpu_started = time.perf_counter(), time.process_time()
        for facet, texts in by_facet.items():
            for m in mapper.map(texts, facet):
                methods[m.method or "rejected"] += 1
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    # on a shared machine the wall clock counts other people's jobs; the process's CPU time counts only this one
    print(
        f"exact path: {n / min(times):,.0f} strings/s wall clock, {n / min(cpu_times):,.0f} strings per CPU second "
        f"({n:,} names, paths and zh-CN labels in {len(by_facet):,} per-facet batches, best of 2; "
        f"{', '.join(f'{k} {v:,}' for k, v in sorted(methods.items()))})"
    )


def throughput(taxonomy: Taxonomy, mapper: Mapper, seed: int, cases: list[Case]) -> None:
    rng = random.Random(seed)
    # what backends send: ids (the retrieval backend), names, and re-cased / re-spaced names; every string distinct
    # within its facet, so the batch's de-duplication saves nothing
    strings: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for v in taxonomy.values.values():
        for text in (v.id, v.name, v.name.lower(), f" {v.name.upper()} "):
            if (v.facet, text) not in seen:
                seen.add((v.facet, text))
                strings.append((v.facet, text))
    rng.shuffle(strings)
    by_facet: dict[str, list[str]] = defaultdict(list)
    for facet, text in strings:
        by_facet[facet].append(text)
    started = time.perf_counter()
    for facet, texts in by_facet.items():
        mapper.map(texts, facet)
    grouped = time.perf_counter() - started
    category = by_facet["category"]
    started = time.perf_counter()
    results = mapper.map(category, "category")
    one_facet = time.perf_counter() - started
    methods: dict[str, int] = defaultdict(int)
    for m in results:
        methods[m.method or "rejected"] += 1
    print(
        f"throughput, exact/normalized stages: {len(strings) / grouped:,.0f} strings/s ({len(strings):,} distinct "
        f"strings in {len(by_facet):,} per-facet batches); one facet (category, {len(category):,} strings): "
        f"{len(category) / one_facet:,.0f} strings/s ({', '.join(f'{k} {v:,}' for k, v in sorted(methods.items()))})"
    )
    fuzzy = [c for c in cases if c.kind in ("typo1", "typo2") and c.facet == "category"]
    fuzzy_attr = [c for c in cases if c.kind in ("typo1", "typo2") and c.facet != "category"]
    for label, group in (("category", fuzzy), ("attribute facets", fuzzy_attr)):
        if not group:
            continue
        fresh = Mapper(taxonomy, use_embeddings=False, cache_dir=mapper.cache_dir)
        for facet in {c.facet for c in group}:
            fresh.fuzzy.index(facet)  # built once per facet on first need; not a per-string cost
        started = time.perf_counter()
        for c in group:
            fresh.map([c.text], c.facet)
        per = (time.perf_counter() - started) / len(group)
        print(f"cost per string reaching fuzzy ({label}, {len(group)} typos, embeddings off): {per * 1000:.2f} ms")
    if mapper.use_embeddings:
        rej = [c for c in cases if c.kind == "unrelated" and c.facet == "category"] or [
            Case("unrelated", "category", t, None) for t in UNRELATED[:40]
        ]
        texts = [c.text for c in rej]
        mapper.map(texts[:1], "category")  # label embeddings of the facet built or loaded (counted below)
        started = time.perf_counter()
        mapper.map(texts, "category")
        batch = (time.perf_counter() - started) / len(texts)
        started = time.perf_counter()
        for t in texts[:20]:
            mapper.map([t], "category")
        single = (time.perf_counter() - started) / min(20, len(texts))
        print(
            f"cost per string reaching embedding (category, fuzzy + embedding): {batch * 1000:.1f} ms in a batch "
            f"of {len(texts)}, {single * 1000:.1f} ms one at a time"
        )


def load_times(taxonomy: Taxonomy) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        cold = Mapper(taxonomy, cache_dir=Path(tmp))
        cold_s = time.perf_counter() - started
        times = []
        for _ in range(3):
            started = time.perf_counter()
            warm = Mapper(taxonomy, cache_dir=Path(tmp))
            times.append(time.perf_counter() - started)
        assert warm.tables_cached and not cold.tables_cached
        started = time.perf_counter()
        fresh = load_shopify(REPO / "taxonomy" / "shopify")
        tax_s = time.perf_counter() - started
        print(
            f"mapping tables for {len(taxonomy):,} values: cold build {cold_s:.2f} s, from cache {min(times):.3f} s "
            f"(taxonomy files themselves load in {tax_s:.2f} s, {len(fresh):,} values)"
        )
