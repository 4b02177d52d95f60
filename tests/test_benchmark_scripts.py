"""The benchmark scripts README.md's table names start: each parses its command line. They run on purpose, not in
the tests, so nothing else imports them; benchmarks/zero_calibration.py went on importing read_jsonl from
attributes.py after the split that moved it to attribute_data.py, and failed before its first line of work."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
README_SCRIPTS = [
    "accuracy", "throughput", "index_bench", "mapping_bench", "mapping_google", "zero_products", "zero_calibration",
    "stated_calibration", "attributes", "images", "llm_bench",
]  # fmt: skip


@pytest.mark.parametrize("script", README_SCRIPTS)
def test_a_benchmark_script_the_readme_names_starts(
    script: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = BENCHMARKS / f"{script}.py"
    monkeypatch.setattr(sys, "argv", [str(path), "--help"])
    monkeypatch.setattr(sys, "path", [str(BENCHMARKS), *sys.path])  # python puts a script's folder first
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(path), run_name="__main__")
    assert stopped.value.code == 0
    assert "usage:" in capsys.readouterr().out
