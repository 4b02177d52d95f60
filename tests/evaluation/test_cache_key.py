"""The prediction cache's key: what a prediction depends on changes it, and nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.evaluation import cache


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
