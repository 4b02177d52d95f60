"""Routing mode and --resume: a product whose LLM answer failed keeps the default's tags in the output, and a resumed
run sends it to the LLM again; in every output format, with one row per product at the end."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.config import TaggerConfig
from tagllm.models import RecordError
from tagllm.retrieval.index import ExampleIndex
from tagllm.tagger import Tagger

TITLES = {"dress": "Red summer dress", "earbuds": "Wireless earbuds", "pot": "Steel cooking pot"}


class FlakyLLM(Backend):
    """An LLM stand-in that answers each facet with its first candidate, except for the products in ``down``."""

    name = "flaky"
    needs_prompt = True
    supports_schema = True

    def __init__(self) -> None:
        self.down: dict[str, str] = {}
        self.asked: list[str] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        out = []
        for request in requests:
            self.asked.append(request.product.id)
            if request.product.id in self.down:
                out.append(Generation(error=RecordError(message=self.down[request.product.id], is_retryable=True)))
                continue
            answer = {facet: cands[0].id if cands else None for facet, cands in request.candidates.items()}
            out.append(Generation(text=json.dumps(answer)))
        return out


@pytest.fixture()
def llm() -> FlakyLLM:
    return FlakyLLM()


@pytest.fixture()
def tagger(demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, llm: FlakyLLM) -> Tagger:
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    config = TaggerConfig(k=5, batch_size=2, facets=["category"], route_threshold=1.0)  # every product is routed
    return Tagger(demo_taxonomy, index=index, embedder=embedder, backend=llm, config=config)


def _input(path: Path) -> Path:
    path.write_text("".join(json.dumps({"id": pid, "title": title}) + "\n" for pid, title in TITLES.items()))
    return path


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    if path.suffix == ".csv":
        rows = list(csv.DictReader(path.open(newline="")))
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = [json.loads(r["result_json"]) | {"error_cell": r["error"]} for r in pq.read_table(path).to_pylist()]
    else:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == len({r["product_id"] for r in rows}), "one row per product"
    return {r["product_id"]: r for r in rows}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_resume_sends_the_products_whose_llm_answer_failed_to_the_llm_again(
    tagger: Tagger, llm: FlakyLLM, tmp_path: Path, suffix: str
) -> None:
    src, out = _input(tmp_path / "in.jsonl"), tmp_path / f"out{suffix}"
    llm.down["pot"] = "HTTP 503: engine overloaded"
    first = tagger.tag_file(src, out)
    assert (first.tagged, first.routed, first.fell_back, first.still_fell_back, first.exit_code) == (3, 2, 1, 1, 0)
    pot = _rows(out)["pot"]
    if suffix == ".csv":
        note = "the LLM failed, the default's tags were kept: HTTP 503: engine overloaded"
        assert (pot["status"], pot["error"]) == ("ok", note)
    else:
        assert (pot["status"], pot["source"], pot["routing"]["error"]["message"]) == (
            "ok", "default", "HTTP 503: engine overloaded",
        )  # fmt: skip

    llm.down.clear()  # the engine is back
    llm.asked.clear()
    again = tagger.tag_file(src, out, resume=True)
    assert llm.asked == ["pot"]
    assert (again.tagged, again.skipped, again.retried_llm, again.routed, again.fell_back) == (1, 2, 1, 1, 0)
    assert (again.still_fell_back, again.exit_code) == (0, 0)
    rows = _rows(out)
    assert sorted(rows) == sorted(TITLES)
    if suffix == ".csv":
        assert rows["pot"]["error"] == ""
    else:
        assert (rows["pot"]["source"], "error" in rows["pot"]["routing"]) == ("llm", False)

    llm.asked.clear()
    done = tagger.tag_file(src, out, resume=True)
    assert (llm.asked, done.skipped, done.retried_llm) == ([], 3, 0)


def test_a_product_the_llm_fails_again_keeps_the_default_tags_with_the_new_error(
    tagger: Tagger, llm: FlakyLLM, tmp_path: Path
) -> None:
    src, out = _input(tmp_path / "in.jsonl"), tmp_path / "out.jsonl"
    llm.down["pot"] = "HTTP 503: engine overloaded"
    tagger.tag_file(src, out)
    llm.down["pot"] = "timed out after 60 s"
    again = tagger.tag_file(src, out, resume=True)
    assert (again.retried_llm, again.fell_back, again.still_fell_back, again.skipped) == (1, 1, 1, 2)
    assert again.exit_code == 0  # the product has a result: the default's
    assert again.errors == ["pot: the LLM failed, the default's tags were kept: timed out after 60 s"]
    pot = _rows(out)["pot"]
    assert (pot["status"], pot["source"]) == ("ok", "default")
    assert pot["routing"]["error"]["message"] == "timed out after 60 s"


def test_the_summary_says_how_many_went_to_the_llm_again() -> None:
    from tagllm.cli.run_report import summary_line
    from tagllm.run import RunSummary

    summary = RunSummary(output="out.jsonl", tagged=2, routed=1, fell_back=1, skipped=5, retried_llm=2, seconds=1.0)
    assert summary_line(summary) == (
        "2 tagged (1 by the LLM, 1 kept the default's tags when the LLM failed), 0 failed, 5 already done, "
        "2 earlier LLM failure(s) sent to the LLM again in 1.0s (2.0 products/s, after 0.0s start-up) -> out.jsonl"
    )


def test_the_summary_of_a_routed_run_that_sent_nothing_to_the_llm_says_so(
    demo_taxonomy: Any, demo_index_dir: Path, embedder: Any, llm: FlakyLLM, tmp_path: Path
) -> None:
    """With no product under the route threshold the summary read "3 tagged, 0 failed", as a run without routing
    does: nothing said that the LLM backend, loaded for the run, was never asked."""
    from tagllm.cli.run_report import summary_line

    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    config = TaggerConfig(k=5, facets=["category"], route_threshold=0.0)  # no confidence is under 0
    tagger = Tagger(demo_taxonomy, index=index, embedder=embedder, backend=llm, config=config)
    summary = tagger.tag_file(_input(tmp_path / "in.jsonl"), tmp_path / "out.jsonl")
    assert llm.asked == []
    assert summary_line(summary).startswith(
        "3 tagged (0 by the LLM, 0 kept the default's tags when the LLM failed), 0 failed in "
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_csv_or_parquet_row_says_which_path_made_its_tags(
    tagger: Tagger, llm: FlakyLLM, tmp_path: Path, suffix: str
) -> None:
    """A routed run's JSONL row says which path made its tags (``source``); a CSV row had no such column, so a
    spreadsheet could not tell the LLM's tags from the default's, nor which products the LLM was paid for."""
    src, out = _input(tmp_path / "in.jsonl"), tmp_path / f"out{suffix}"
    llm.down["pot"] = "HTTP 503: engine overloaded"
    tagger.tag_file(src, out)
    if suffix == ".csv":
        header = next(csv.reader(out.open(newline="")))
        rows = {r["product_id"]: r for r in csv.DictReader(out.open(newline=""))}
    else:
        import pyarrow.parquet as pq

        header = pq.read_schema(out).names
        rows = {r["product_id"]: r for r in pq.read_table(out).to_pylist()}
    assert header[:4] == ["product_id", "status", "source", "error"]
    assert {pid: row["source"] for pid, row in rows.items()} == {"dress": "llm", "earbuds": "llm", "pot": "default"}


def test_a_routed_csv_written_before_rows_said_their_source_is_resumed_in_its_own_layout(
    tagger: Tagger, llm: FlakyLLM, tmp_path: Path
) -> None:
    src, out = _input(tmp_path / "in.jsonl"), tmp_path / "out.csv"
    llm.down["pot"] = "HTTP 503: engine overloaded"
    tagger.tag_file(src, out)
    rows = list(csv.reader(out.open(newline="")))
    at = rows[0].index("source")
    with out.open("w", newline="") as older:  # as a routed run wrote it before rows had the source column
        csv.writer(older).writerows([row[:at] + row[at + 1 :] for row in rows])
    llm.down.clear()
    again = tagger.tag_file(src, out, resume=True)
    assert (again.tagged, again.skipped, again.exit_code) == (1, 2, 0)
    assert "source" not in next(csv.reader(out.open(newline="")))
    assert sorted(_rows(out)) == sorted(TITLES)
