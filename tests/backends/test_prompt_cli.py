"""`tagllm prompt render`: the messages exactly as the tagger builds them, with token counts from a tokenizer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.errors import ConfigError

DATA = Path(__file__).resolve().parents[1] / "data"
BASE = ["prompt", "render", "--taxonomy", "demo", "--examples", str(DATA / "demo_examples.jsonl")]
BASE += ["--label-field", "labels", "--k", "3", "--max-candidates", "4"]
PRODUCT = '{"title": "Women\'s red floral cotton dress", "brand": "Zara"}'


@pytest.mark.slow
def test_render_prints_the_messages_and_token_counts(tiny_qwen_dir: Path) -> None:
    result = CliRunner().invoke(app, [*BASE, "--product", PRODUCT, "--tokenizer", str(tiny_qwen_dir)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "=== system ==="
    assert "=== user ===" in lines
    assert 'Product to tag: {"title": "Women\'s red floral cotton dress", "brand": "Zara"}' in lines
    assert lines[-2].startswith("--- template fewshot (") and lines[-2].endswith(".j2), hash " + lines[-2][-16:])
    assert lines[-1].startswith("--- 2 messages, ")
    assert " characters; prompt tokens: " in lines[-1] and "shared static prefix: " in lines[-1]


@pytest.mark.slow
def test_render_json_holds_messages_and_the_schema(tiny_qwen_dir: Path) -> None:
    result = CliRunner().invoke(app, [*BASE, "--product", PRODUCT, "--prompt", "zeroshot-zh", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["template"] == "zeroshot-zh"
    assert [m["role"] for m in out["messages"]] == ["system", "user"]
    category = out["schema"]["properties"]["category"]
    assert category["type"] == "string" and 1 <= len(category["enum"]) <= 4
    assert out["messages"][1]["content"].endswith(
        '待标注商品：{"title": "Women\'s red floral cotton dress", "brand": "Zara"}'
    )


def test_render_needs_a_product() -> None:
    result = CliRunner().invoke(app, ["prompt", "render", "--taxonomy", "demo"])
    assert result.exit_code != 0


def test_render_with_a_hub_id_for_tokenizer_says_it_needs_a_directory(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tagllm", *BASE, "--product", PRODUCT, "--tokenizer", "Qwen/Qwen2.5-7B-Instruct"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        "error: --tokenizer 'Qwen/Qwen2.5-7B-Instruct' is not a directory: token counts need the tokenizer on disk; "
        "download it first (e.g. `huggingface-cli download ORG/NAME --local-dir DIR`) and pass the directory\n"
    )


@pytest.mark.slow
def test_render_with_a_directory_that_holds_no_tokenizer_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [*BASE, "--product", PRODUCT, "--tokenizer", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).startswith(f"--tokenizer {tmp_path}: no tokenizer could be loaded from it (")
