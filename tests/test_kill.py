"""kill -9 at random points of a file run, and exactly while a resumed run cuts off a torn row, puts its compacted
copy in place or writes a Parquet merge; then --resume until done: every product id once, none lost, for JSONL, CSV
and Parquet."""

from __future__ import annotations

import json
import os
import queue
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from output_rows import outcomes

REPO = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).with_name("killrun.py")
PRODUCTS = 2000


def _input(path: Path) -> set[str]:
    """PRODUCTS products, a line that is not JSON (named by its id, readable before the cut), one without a title
    and a repeated id; the ids a run writes."""
    lines = [json.dumps({"id": f"p{i}", "title": f"Cotton shirt {i}"}) for i in range(PRODUCTS)]
    lines.insert(700, '{"id": "broken", "title": ')
    lines.insert(1400, json.dumps({"id": "untitled"}))
    lines.append(json.dumps({"id": "p5", "title": "a second p5"}))
    path.write_text("\n".join(lines) + "\n")
    return {f"p{i}" for i in range(PRODUCTS)} | {"broken", "untitled"}


def _done(out: Path, fmt: str) -> set[str]:
    """Products whose result is in the output (complete rows only), as the next --resume will see them."""
    from tagllm.io import scan_output

    state = scan_output(out, fmt)
    return {pid for pid in state.last if pid not in state.failed}


def _resume_to_the_end(src: Path, out: Path, expected: set[str]) -> None:
    """--resume once more: every product id once, none lost, the retryable failures tagged, the two records that
    cannot be tagged still error records (exit code 1)."""
    finish = _Run(str(src), str(out), "--resume")
    finish.proc.wait(timeout=120)
    assert finish.proc.returncode == 1, finish.proc.stderr.read() if finish.proc.stderr else ""
    rows = outcomes(out)
    ids = [pid for pid, _ in rows]
    assert len(ids) == len(set(ids)), "a product has two rows"
    assert set(ids) == expected, f"lost: {sorted(expected - set(ids))[:5]}"
    assert {pid for pid, status in rows if status == "error"} == {"broken", "untitled"}


class _Run:
    """The driver in a child process, its stdout lines read as they come."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_for(self, marker: str, timeout: float = 60) -> bool:
        """True when the run printed ``marker``; False when it ended first."""
        deadline = time.monotonic() + timeout
        while (line := self.lines.get(timeout=max(0.1, deadline - time.monotonic()))) is not None:
            if line == marker:
                return True
        return False

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no finally, no flush, no cleanup
        self.proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_kill_9_anywhere_then_resume_loses_nothing_and_repeats_nothing(tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    src, out = tmp_path / "in.jsonl", tmp_path / f"out.{fmt}"
    expected = _input(src)
    rng = random.Random(f"kill-{fmt}")
    plan = ["anywhere", "anywhere", "repair", "anywhere", "compact", "anywhere", "repair", "compact", "anywhere"]
    paused = 0
    for round_, point in enumerate(plan):
        done_before = _done(out, fmt)
        args = [str(src), str(out), "--fail-rate", "0.2", "--seed", str(round_)] + (["--resume"] if round_ else [])
        run = _Run(*args, *(["--pause-at", point] if point != "anywhere" else []))
        if point == "anywhere":
            if run.wait_for("started"):
                time.sleep(rng.uniform(0.0, 1.0))
        else:
            paused += run.wait_for(point)
        run.kill()
        lost = done_before - _done(out, fmt)
        assert not lost, f"round {round_} ({point}): {len(lost)} finished product(s) gone, e.g. {sorted(lost)[:3]}"
    assert paused >= 2  # the kills did land inside a repair or a compaction
    _resume_to_the_end(src, out, expected)
    assert not list(tmp_path.glob("*.tmp")) and not (tmp_path / f"out.{fmt}.parts").exists()
    assert not list(tmp_path.glob(".*.lock"))  # the kills left the lock file; the run that finished removed it


@pytest.mark.slow
@pytest.mark.parametrize("resumed", [False, True], ids=["first run's merge", "a resumed run's merge"])
def test_kill_9_in_the_middle_of_a_parquet_merge_then_resume(tmp_path: Path, resumed: bool) -> None:
    pytest.importorskip("pyarrow")
    src, out = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    expected = _input(src)
    if resumed:  # an output there already, whose merge with the new parts is killed
        first = _Run(str(src), str(out), "--fail-rate", "0.5", "--seed", "1")
        first.proc.wait(timeout=120)
        assert out.exists() and not (tmp_path / "out.parquet.parts").exists()
    done_before = _done(out, "parquet")
    resume = ["--resume"] if resumed else []
    run = _Run(str(src), str(out), "--fail-rate", "0.2", "--seed", "2", "--pause-at", "merge", *resume)
    assert run.wait_for("merge", timeout=120)
    run.kill()
    half = tmp_path / "out.parquet.tmp"
    assert half.exists() and not half.read_bytes().endswith(b"PAR1")  # killed mid-file: the copy has no footer
    assert done_before <= _done(out, "parquet")  # nothing finished is lost
    _resume_to_the_end(src, out, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.parquet"]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_sigterm_finishes_the_output_says_how_far_it_got_and_resume_goes_on(tmp_path: Path, fmt: str) -> None:
    """SIGTERM (a scheduler, `timeout`, `docker stop`) ended the process at once: no summary, and a Parquet output
    left as parts with no OUT.parquet. It now stops the run as Ctrl-C does."""
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    src, out = tmp_path / "in.jsonl", tmp_path / f"out.{fmt}"
    expected = _input(src)
    run = _Run(str(src), str(out), "--pause-at", "tagging")
    assert run.wait_for("tagging")  # 10 batches of 16 written, the 11th being tagged
    run.proc.terminate()
    assert run.proc.wait(timeout=60) == 143
    assert run.wait_for("interrupted 160 terminated True")
    assert [pid for pid, _ in outcomes(out)] == [f"p{i}" for i in range(160)]  # whole rows, in OUT itself
    assert not (tmp_path / f"out.{fmt}.parts").exists() and not list(tmp_path.glob(".*.lock"))
    finish = _Run(str(src), str(out), "--resume")
    assert finish.proc.wait(timeout=120) == 1  # the two bad records of the input are error records
    ids = [pid for pid, _ in outcomes(out)]
    assert len(ids) == len(set(ids)) and set(ids) == expected


@pytest.mark.slow
def test_kill_9_a_real_generate_then_resume(tmp_path: Path, demo_index_dir: Path) -> None:
    """The same with `tagllm generate` and its models, once, for Parquet: the format with parts and a merge (each
    start loads the models, so the three formats are left to the test above)."""
    pytest.importorskip("pyarrow")
    fmt = "parquet"
    titles = [json.loads(line)["title"] for line in (REPO / "tests/data/demo_examples.jsonl").read_text().splitlines()]
    src, out = tmp_path / "in.jsonl", tmp_path / f"out.{fmt}"
    src.write_text("".join(json.dumps({"id": f"p{i}", "title": titles[i % len(titles)]}) + "\n" for i in range(1200)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "tagllm", "generate", str(src), "-o", str(out), "-t", "demo",
               "--index", str(demo_index_dir), "--batch-size", "64", "-q"]  # fmt: skip
    proc = subprocess.Popen(command, env=env, cwd=tmp_path)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if _done(out, fmt):  # the first results are out: kill it a moment later
            time.sleep(random.Random(fmt).uniform(0.0, 0.5))
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=30)
    done = _done(out, fmt)
    assert 0 < len(done) < 1200  # killed part way
    finish = subprocess.run([*command, "--resume"], env=env, cwd=tmp_path, timeout=600)
    assert finish.returncode == 0
    ids = [pid for pid, status in outcomes(out) if status == "ok"]
    assert len(ids) == len(set(ids)) == 1200


class _KilledAt:
    """``os`` and ``shutil`` for ``tagllm.io.compaction``, killed (KeyboardInterrupt) at one step of a merge: before
    its ``replace`` numbered ``replace``, or as it removes the merged parts, ``removed`` of them gone."""

    def __init__(self, module: Any, *, replace: int = 0, removed: int | None = None) -> None:
        self.module, self.replace_at, self.removed, self.replaced = module, replace, removed, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)

    def replace(self, source: Any, target: Any) -> None:
        self.replaced += 1
        if self.replaced == self.replace_at:
            raise KeyboardInterrupt
        os.replace(source, target)

    def rmtree(self, path: Any, ignore_errors: bool = False) -> None:
        if self.removed is not None and Path(path).is_dir():
            for part in sorted(Path(path).iterdir())[: self.removed]:
                part.unlink()
            raise KeyboardInterrupt
        shutil.rmtree(path, ignore_errors=ignore_errors)


@pytest.mark.parametrize(
    "step",
    [{"replace": 2}, {"removed": 0}, {"removed": 2}],
    ids=["parts moved, output not yet replaced", "output replaced, no part removed", "half the parts removed"],
)
def test_a_merge_killed_after_it_is_done_is_resumed_with_each_product_once(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch, step: dict[str, int]
) -> None:
    # the parts were deleted in place after the merged copy replaced the output: a run killed then left some or all
    # of them, and --resume read their rows again as the newest: 7 products, 2 of them dropped (--drop-absent) by the
    # merge, came back as 7 rows for the 5 products the input held
    pytest.importorskip("pyarrow")
    from tagllm.io import ResultWriter, compaction
    from tagllm.models import TagResult

    out = tmp_path / "tags.parquet"
    writer = ResultWriter(out, facets=["category"])
    for batch in (["p0", "p1"], ["p2", "p3"], ["p4", "p5"], ["p6"]):
        writer.write([TagResult(product_id=product_id) for product_id in batch])
    writer._lock.release()  # killed here: 4 parts, not merged
    writer = ResultWriter(out, facets=["category"], resume=True)
    assert writer.drop({"p5", "p6"}) == 2  # products the input no longer has, with --drop-absent
    killed = _KilledAt(os if "replace" in step else shutil, **step)
    monkeypatch.setattr(compaction, killed.module.__name__, killed)
    with pytest.raises(KeyboardInterrupt):
        writer.close()
    monkeypatch.undo()
    writer = ResultWriter(out, facets=["category"], resume=True)
    assert sorted(writer.state.last) == ["p0", "p1", "p2", "p3", "p4"]
    writer.close()
    assert sorted(_parquet_ids(out)) == ["p0", "p1", "p2", "p3", "p4"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tags.parquet"]


def _parquet_ids(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return [str(i) for i in pq.read_table(path).column("product_id").to_pylist()]
