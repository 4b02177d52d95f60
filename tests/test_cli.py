"""The CLI as a user runs it: generate on files and stdin, error records and exit codes, resume, index commands."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _outside_the_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repo's own tagllm.yaml must not configure these runs."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture()
def config(tmp_path: Path, demo_index_dir: Path) -> Path:
    path = tmp_path / "tagllm.yaml"
    path.write_text(f"taxonomy: demo\nindex: {demo_index_dir}\nk: 5\n")
    return path


def test_generate_jsonl_to_csv(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "tags.csv"
    result = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["product_id"] for r in rows] == ["p1", "p2", "p3"]
    assert [r["category_id"] for r in rows] == ["apparel-tshirts", "apparel-dresses", "electronics-headphones"]
    assert rows[1]["category"] == "Apparel > Dresses"
    assert "3 tagged, 0 failed" in result.stderr


def test_bad_records_are_error_records_and_exit_1(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        b'{"id": "a", "title": "Blue denim jeans"}\n'
        b'{"id": "b", "title": \n'
        b'{"id": "c"}\n'
        b'{"id": "d", "title": "caf\xe9 mug"}\n'
        b'{"id": "e", "title": "Gold necklace"}\n'
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["product_id"], r["status"]) for r in lines] == [
        ("a", "ok"), ("line-2", "error"), ("c", "error"), ("line-4", "error"), ("e", "ok"),
    ]  # fmt: skip
    assert lines[1]["error"]["message"] == f"{src}:2: not valid JSON (Expecting value at column 22)"
    assert lines[2]["error"]["message"] == f"{src}:3: record 'c' has no title; every product needs a non-empty title"
    assert lines[3]["error"]["message"] == f"{src}:4: not UTF-8 (byte 25 is 0xe9); re-save the file as UTF-8"
    assert "2 tagged, 3 failed" in result.stderr


def test_resume_skips_done_products_and_repairs_a_cut_line(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "out.jsonl"
    first = runner.invoke(app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config)])
    assert first.exit_code == 0
    lines = out.read_text().splitlines(keepends=True)
    out.write_text(lines[0] + lines[1][:40])  # as if the run crashed while writing the second result
    again = runner.invoke(
        app, ["generate", str(DATA / "products.jsonl"), "-o", str(out), "-c", str(config), "--resume"]
    )
    assert again.exit_code == 0
    ids = [json.loads(line)["product_id"] for line in out.read_text().splitlines()]
    assert ids == ["p1", "p2", "p3"]
    assert "2 tagged, 0 failed, 1 already done" in again.stderr


def test_stdin_to_stdout(config: Path) -> None:
    result = runner.invoke(
        app,
        ["generate", "-", "-c", str(config), "-q"],
        input='{"id": "s", "title": "Stainless steel pressure cooker"}\n',
    )
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["tags"]["category"][0]["id"] == "home-cookware"


def test_unknown_column_is_named_with_a_suggestion(tmp_path: Path, config: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,titel,title\n1,x,Red cotton t-shirt\n")
    result = runner.invoke(app, ["generate", str(src), "-o", str(tmp_path / "o.jsonl"), "-c", str(config)])
    assert result.exit_code == 0
    assert (
        "warning: " + str(src) + ": column 'titel' is not a product field (did you mean 'title'?); kept in extra"
        in result.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "missing.jsonl"], "error: missing.jsonl: no such file"),
        (["generate", "EMPTY", "--taxonomy", "demo"], "error: EMPTY: the file is empty: no products to read"),
        (["taxonomy", "stats", "--taxonomy", "nosuch"], "error: unknown taxonomy 'nosuch'"),
    ],
)
def test_errors_name_the_file_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    args = [str(empty) if a == "EMPTY" else a for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "tagllm", *args], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(message.replace("EMPTY", str(empty)))


def test_index_built_for_another_taxonomy_is_refused(tmp_path: Path, demo_index_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tagllm", "generate", str(DATA / "products.jsonl"), "--taxonomy", "shopify",
         "--index", str(demo_index_dir)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "built for taxonomy 'demo' version" in proc.stderr and "rebuild the index" in proc.stderr


def test_index_build_add_info(tmp_path: Path) -> None:
    examples = DATA / "demo_examples.jsonl"
    first = tmp_path / "first.jsonl"
    lines = examples.read_text().splitlines()
    first.write_text("\n".join(lines[:20]) + "\n")
    rest = tmp_path / "rest.jsonl"
    rest.write_text("\n".join(lines[20:]) + '\n{"id": "bad", "title": "x", "labels": {"category": ["nope"]}}\n')
    index = tmp_path / "idx"
    built = runner.invoke(app, ["index", "build", str(first), "-i", str(index), "-t", "demo", "-q"])
    assert built.exit_code == 0, built.output
    assert built.stdout.startswith(f"{index}: 20 examples (flat search), facets audience, category, color, material")
    added = runner.invoke(app, ["index", "add", str(rest), "-i", str(index), "-t", "demo"])
    assert added.exit_code == 1
    assert f"{index}: added 10, now 30 examples, 1 record(s) skipped" in added.stdout
    assert "category label 'nope' is not a value of the taxonomy" in added.stderr
    info = json.loads(runner.invoke(app, ["index", "info", str(index)]).stdout)
    assert info["count"] == 30 and info["embedder"] == "all-MiniLM-L6-v2" and info["dim"] == 384
