"""`tagllm prompt render`: the messages exactly as the tagger builds them, with token counts from a tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app

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
