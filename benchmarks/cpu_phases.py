"""Where a whole `tagllm` command spends its CPU time, by named functions, without a profiler's overhead.

    python benchmarks/cpu_phases.py tagllm.retrieval.onnx:OnnxEncoder.encode,tagllm.scoring:BatchScorer.prepare \\
        -- generate products.jsonl --taxonomy shopify -o out.jsonl

Each ``module:Qualified.name`` is wrapped with a timer of the process's CPU time (all threads: ONNX Runtime's
too) before the CLI runs; printed per function: the time inside its outermost calls ("incl"), that time less the
time of the other named functions it called ("excl"), and its outermost calls. cProfile charges every Python call
a fixed cost, so it inflates code of many small calls by several times (building the head family for Shopify's
categories: 6.3 s under cProfile, 0.64 s by this timer) and misleads which parts to cut; sampling profilers are not
installed here. Functions are patched on their module or class: one imported by name into another module before
the patch (``from x import f``) is timed only where that module's name is patched (``other.module:f``).
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections.abc import Callable
from typing import Any


class Timers:
    """CPU time per wrapped function, inclusive and exclusive of the other wrapped functions it calls."""

    def __init__(self) -> None:
        self.inclusive: dict[str, float] = {}
        self.exclusive: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[Any]] = []  # [name, CPU time of named callees]

    def wrap(self, spec: str) -> None:
        module, qualified = spec.split(":")
        owner: Any = importlib.import_module(module)
        *path, attribute = qualified.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, attribute, self._timed(spec, getattr(owner, attribute)))
        self.inclusive[spec] = self.exclusive[spec] = 0.0
        self.calls[spec] = 0

    def _timed(self, spec: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            outermost = all(name != spec for name, _ in self._stack)
            entry: list[Any] = [spec, 0.0]
            self._stack.append(entry)
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._stack.pop()
                spent = time.process_time() - start
                self.exclusive[spec] += spent - entry[1]
                if self._stack:
                    self._stack[-1][1] += spent
                if outermost:
                    self.inclusive[spec] += spent
                    self.calls[spec] += 1

        return timed

    def report(self) -> str:
        lines = [f"CPU {time.process_time():.2f} s in all; per function: incl s, excl s, calls"]
        lines += [f"{self.inclusive[n]:8.2f} {self.exclusive[n]:8.2f} {self.calls[n]:7d}  {n}" for n in self.inclusive]
        return "\n".join(lines)


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[2] != "--":
        sys.exit(__doc__)
    timers = Timers()
    for spec in sys.argv[1].split(","):
        timers.wrap(spec)
    sys.argv = ["tagllm", *sys.argv[3:]]
    from tagllm.cli import main as cli

    try:
        cli()
    except SystemExit as stop:
        if stop.code:
            print(f"tagllm exited with {stop.code}", file=sys.stderr)
    finally:
        print(timers.report(), file=sys.stderr)


if __name__ == "__main__":
    main()
