"""A file run for the kill test: the real run, writer and resume code with a stand-in tagger (no models, so it starts
in a second and writes fast). Run by tests/test_kill.py as

    python tests/killrun.py INPUT OUTPUT --fail-rate 0.2 --seed 3 [--resume] [--pause-at repair|compact|merge|tagging]

``--pause-at`` prints the phase's name and sleeps at that point (cutting a torn row, renaming a compacted copy
over the output, or tagging the 11th batch), so that the test can kill the run exactly there. Exit code: the run's
(an interrupted run prints its summary's counts and exits 130, or 143 when SIGTERM stopped it).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from tagllm.io import compaction as outputs
from tagllm.io import error_id
from tagllm.models import Candidate, Provenance, RecordError, Tag, TagResult
from tagllm.run import RunInterrupted, run_file


class QuickTagger:
    """Tags every product 'Shirts' at once; fails a share of them at random, as a flaky backend would."""

    facets = ["category"]

    def __init__(self, fail_rate: float, seed: int, pause: bool = False) -> None:
        self.fail_rate = fail_rate
        self.random = random.Random(seed)
        self.pause = pause
        self.batches = 0

    def prepare(self, progress: Any = None) -> None:
        pass

    def tag_batches(
        self, items: Iterable[Any], *, progress: Any = None, batch_size: int | None = None
    ) -> Iterator[Any]:
        batch: list[Any] = []
        for item in items:
            batch.append(item)
            if len(batch) == 16:
                self.batches += 1
                if self.pause and self.batches == 11:
                    print("tagging", flush=True)
                    time.sleep(30)
                yield [self._tag(i, n) for n, i in enumerate(batch)]
                batch = []
                time.sleep(0.002)
        if batch:
            yield [self._tag(i, n) for n, i in enumerate(batch)]

    def _tag(self, item: Any, position: int) -> TagResult:
        if isinstance(item, RecordError):
            return TagResult(product_id=error_id(item, position), status="error", error=item)
        if self.random.random() < self.fail_rate:
            error = RecordError(message="backend openai: server unavailable (503)", is_retryable=True)
            return TagResult(product_id=item.id, status="error", error=error)
        tag = Tag(facet="category", id="c1", name="Shirts", path="Apparel > Shirts", confidence=0.9, source="llm")
        candidates = [Candidate(id=f"c{j}", name=f"Value {j}", score=0.01 * j) for j in range(20)]  # bulk, as real
        provenance = Provenance(backend="quick", taxonomy_version="v", candidates={"category": candidates})
        return TagResult(product_id=item.id, tags={"category": [tag]}, provenance=provenance)


class _PausingOs:
    """The os module as tagllm.io.compaction sees it, with one function that first says so and waits to be killed."""

    def __init__(self, name: str, phase: str) -> None:
        real = getattr(os, name)

        def pause(*args: Any) -> Any:
            print(phase, flush=True)
            time.sleep(30)
            return real(*args)

        setattr(self, name, pause)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


class _PausingParquet:
    """pyarrow.parquet as tagllm.io.compaction sees it, whose merged copy says so and waits to be killed once its
    first row groups are written: the copy beside the output is then half a file, with no footer."""

    def __init__(self) -> None:
        import pyarrow.parquet as pq

        class Writer(pq.ParquetWriter):  # type: ignore[misc]
            groups = 0

            def write_table(self, *args: Any, **kwargs: Any) -> None:
                super().write_table(*args, **kwargs)
                Writer.groups += 1
                if Writer.groups == 2:
                    print("merge", flush=True)
                    time.sleep(30)

        self.ParquetWriter = Writer
        self._pq = pq

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pq, name)


def pause_at(phase: str) -> None:
    """repair: before a torn last row is cut off; compact: before a compacted or merged copy replaces the output;
    merge: while a Parquet output's merged copy is written, two row groups of 64 rows in."""
    if phase == "merge":
        outputs.MERGED_ROW_GROUP = 64
        outputs.pyarrow_parquet = _PausingParquet  # type: ignore[assignment]
        return
    outputs.os = _PausingOs("truncate" if phase == "repair" else "replace", phase)  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--pause-at", choices=["repair", "compact", "merge", "tagging"])
    args = parser.parse_args()
    if args.pause_at in ("repair", "compact", "merge"):
        pause_at(args.pause_at)
    print("started", flush=True)
    tagger = QuickTagger(args.fail_rate, args.seed, pause=args.pause_at == "tagging")
    try:
        summary = run_file(tagger, args.input, args.output, resume=args.resume)  # type: ignore[arg-type]
    except RunInterrupted as stop:
        print(f"interrupted {stop.summary.tagged} terminated {stop.summary.terminated}", flush=True)
        sys.exit(143 if stop.summary.terminated else 130)
    sys.exit(summary.exit_code)


if __name__ == "__main__":
    main()
