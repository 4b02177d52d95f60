"""The benchmark scripts README.md's table names start: each parses its command line. They run on purpose, not in
the tests, so nothing else imports them; benchmarks/zero_calibration.py went on importing read_jsonl from
attributes.py after the split that moved it to attribute_data.py, and failed before its first line of work. The list
is read from the README's table, so a script added there is checked without a second list to keep in step."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
TABLE_ROW = re.compile(r"^\| `benchmarks/(\w+)\.py` \|", re.MULTILINE)
README_SCRIPTS = TABLE_ROW.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_table_names_the_benchmark_scripts() -> None:
    assert len(README_SCRIPTS) >= 10, README_SCRIPTS
    missing = [name for name in README_SCRIPTS if not (BENCHMARKS / f"{name}.py").is_file()]
    assert not missing, f"README.md names benchmark scripts that do not exist: {missing}"


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
