"""The prediction cache: its key (what a prediction depends on changes it, and nothing else does) and its file."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tagllm.evaluation import cache
from tagllm.models import TagResult


def test_the_code_digest_covers_the_data_tagllm_tags_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only tagllm's .py files were hashed: with the zero-example stacker's weights (or the compound or colour
    tables) changed, `eval run` took every prediction from the cache and reported the old tables' figures as the new
    ones'. Compiled files and the report templates change no prediction and leave the key as it is."""
    package = tmp_path / "tagllm"
    for folder in ("evaluation/__pycache__", "evaluation/templates", "candidates"):
        (package / folder).mkdir(parents=True)
    (package / "evaluation" / "cache.py").write_text("# the cache\n")
    weights = package / "candidates" / "zero_stacker.json"
    weights.write_text('{"coef": [1.0]}\n')
    monkeypatch.setattr(cache, "__file__", str(package / "evaluation" / "cache.py"))

    def digest() -> str:
        cache.code_digest.cache_clear()
        return cache.code_digest()

    try:
        first = digest()
        (package / "evaluation" / "__pycache__" / "cache.cpython-311.pyc").write_bytes(b"\x00compiled")
        (package / "evaluation" / "templates" / "report.html.j2").write_text("<p>a report</p>\n")
        assert digest() == first
        weights.write_text('{"coef": [2.0]}\n')
        assert digest() != first
    finally:
        monkeypatch.undo()
        cache.code_digest.cache_clear()


def test_a_run_caching_while_another_run_writes_its_line_keeps_both_entries(tmp_path: Path) -> None:
    """Two eval runs of one variant (two terminals, two jobs) share its cache file. A run that read the file while
    the other's line was half written took it for a line an interrupted run had cut, and wrote a line break into it
    when it cached its own products: the other's entry was lost (that product tagged again by every later run)."""
    fcntl = pytest.importorskip("fcntl")
    ours = cache.PredictionCache(tmp_path, "k")
    line = json.dumps({"key": "theirs", "result": TagResult(product_id="p1").model_dump(mode="json")}) + "\n"
    with ours.path.open("ab") as theirs:  # the other run, as it appends: under the lock
        fcntl.flock(theirs.fileno(), fcntl.LOCK_EX)
        theirs.write(line[:20].encode())
        theirs.flush()
        ours = cache.PredictionCache(tmp_path, "k")  # read with their line half written
        putting = threading.Thread(target=ours.put, args=([("ours", TagResult(product_id="p2"), 0.5)],))
        putting.start()
        putting.join(0.5)
        theirs.write(line[20:].encode())
    putting.join()
    assert set(cache.PredictionCache(tmp_path, "k").entries) == {"theirs", "ours"}
    assert len(ours.path.read_bytes().splitlines()) == 2


def test_a_line_an_interrupted_run_cut_is_ended_before_the_next_entry(tmp_path: Path) -> None:
    first = cache.PredictionCache(tmp_path, "k")
    first.put([("a", TagResult(product_id="p1"), 0.1)])
    with first.path.open("ab") as fh:
        fh.write(b'{"key": "b", "res')  # the run was killed here
    second = cache.PredictionCache(tmp_path, "k")
    assert set(second.entries) == {"a"}
    second.put([("c", TagResult(product_id="p3"), 0.1)])
    assert set(cache.PredictionCache(tmp_path, "k").entries) == {"a", "c"}
