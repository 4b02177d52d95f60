"""Rows without an id in a Ray dataset: each gets a name of its own, from its content, the same in every run (their
place in a block, which names a record in a batch, repeats in every block). Runs the workers' code without Ray."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tagllm.config import TaggerConfig
from tagllm.dataset_rows import as_records
from tagllm.distributed import _TaggerWorker


def test_rows_without_an_id_are_named_apart_and_alike_in_every_run(demo_index_dir: Path) -> None:
    worker = _TaggerWorker(TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5).model_dump())

    def block(ids: list[object], titles: list[str]) -> list[str]:
        out = worker({"id": np.array(ids, dtype=object), "title": np.array(titles, dtype=object)})
        assert set(out["status"]) == {"ok"}
        return list(out["product_id"])

    first = block([None, "p1", ""], ["Red summer dress", "Blue denim jeans", "Gold plated necklace"])
    second = block([None, " "], ["Wool scarf", "Steel cooking pot"])  # Ray's next block: positions start again
    assert first[1] == "p1"
    named = [first[0], first[2], *second]
    assert all(name.startswith("row-") and len(name) == 16 for name in named)
    assert len(set(named)) == 4  # before: line-1, line-3, line-1, line-2
    assert block([None], ["Red summer dress"]) == [first[0]]  # the same row, the same name
    result = json.loads(worker({"title": np.array(["Wool scarf"], dtype=object)})["result_json"][0])
    assert result["product_id"] == second[0]  # no id column at all: named alike


def test_a_failed_row_is_named_by_its_product_id_not_its_place_in_a_block(demo_index_dir: Path) -> None:
    """A row's place in a Ray block (``batch:2``) repeats in every block and names no product; a row whose id is not
    a string or a number was written as ``line-N``, the same in every block."""
    worker = _TaggerWorker(TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5).model_dump())
    ids = np.array(["p1", "p2", "p3", True], dtype=object)
    out = worker({"id": ids, "title": np.array(["Blue denim jeans", "", True, "Red summer dress"], dtype=object)})
    errors = {pid: json.loads(row).get("error") for pid, row in zip(out["product_id"], out["result_json"], strict=True)}
    assert list(out["status"]) == ["ok", "error", "error", "error"]
    assert errors["p2"] == {
        "field": "title",
        "record_id": "p2",
        "message": "record 'p2' has no title; every product needs a non-empty title",
        "is_retryable": False,
    }
    assert errors["p3"]["message"] == (
        "record 'p3' field 'title': expected text (a string or a number), got a boolean (true)"
    )
    named = out["product_id"][3]
    assert named.startswith("row-") and len(named) == 16
    assert errors[named]["message"] == (
        "record True field 'id': the id is a yes/no value (true); an id must be text or a whole number: check that "
        "the id column is the products' ids (--columns id=COLUMN names another)"
    )


def test_rows_with_a_nan_id_are_named_apart(demo_index_dir: Path) -> None:
    # a float id column's missing cells (pandas writes NaN), as tag_dataset hands them over (each row as JSON text):
    # read as "nan", every such row shared one id
    pa = pytest.importorskip("pyarrow")
    worker = _TaggerWorker(TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5).model_dump())
    rows = [
        {"id": i, "title": t} for i, t in [(1.0, "Red summer dress"), (np.nan, "Wool scarf"), (np.nan, "Steel pot")]
    ]
    table = pa.Table.from_pylist(rows)
    names = list(worker(as_records(table))["product_id"])
    assert names[0] == "1"  # a whole number of a float id column is that integer, as in a file run
    assert all(name.startswith("row-") for name in names[1:]) and names[1] != names[2]


def test_a_repeated_product_id_is_tagged_once_and_each_repeat_is_an_error_row(demo_index_dir: Path) -> None:
    """tag_dataset tagged a repeated id once per row, two results under one id, and said nothing (a file run tags it
    once and reports the repeat). Runs the id check's group step on rows grouped by name, as Ray's groupby hands
    them over, then the worker."""
    pa = pytest.importorskip("pyarrow")
    from tagllm.dataset_rows import NAME, RECORD, one_per_id

    worker = _TaggerWorker(TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5).model_dump())
    rows = [
        {"id": "p1", "title": "Blue denim jeans"},
        {"id": "7", "title": "Wool scarf"},
        {"id": " p1 ", "title": "Steel cooking pot"},
        {"id": None, "title": "Gold plated necklace"},
        {"id": None, "title": "Gold plated necklace"},  # no id, the same content: the same name
        {"id": "p9", "title": "Gold plated necklace"},
    ]
    other_block = [{"id": 7, "title": "Red summer dress"}]  # 7 and "7": one product id, as in a file run
    first, second = as_records(pa.Table.from_pylist(rows)), as_records(pa.Table.from_pylist(other_block))
    records = {c: first[c] + second[c] for c in (RECORD, NAME)}
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(records[NAME]):
        groups.setdefault(name, []).append(i)
    out: dict[str, list[object]] = {"product_id": [], "status": [], "result_json": []}
    for members in groups.values():
        group = {c: np.array([records[c][i] for i in members], dtype=object) for c in (RECORD, NAME)}
        for column, values in worker(one_per_id(group)).items():
            out[column].extend(values)
    results = [(pid, status, json.loads(row)) for pid, status, row in zip(*out.values(), strict=True)]
    assert len(results) == len(rows) + 1
    assert sorted((pid, status) for pid, status, _ in results if not pid.startswith("row-")) == [
        ("7", "error"), ("7", "ok"), ("p1", "error"), ("p1", "ok"), ("p9", "ok"),
    ]  # fmt: skip
    ok = [pid for pid, status, _ in results if status == "ok"]
    assert len(ok) == len(set(ok)) == 4  # p1, 7, p9 and the row without an id: one result each
    errors = {pid: r["error"] for pid, status, r in results if status == "error"}
    assert errors["p1"] == {
        "field": "id",
        "record_id": "p1",
        "message": "record 'p1': product id 'p1' again (another row of the dataset has it); only one row per "
        "product id is tagged",
        "is_retryable": False,
    }
    nameless = next(pid for pid in errors if pid.startswith("row-"))
    assert errors[nameless]["message"] == (
        f"row {nameless!r} has no id of its own and the same content as another row, named alike; only one row per "
        "product id is tagged"
    )


def test_tag_dataset_refuses_a_config_files_path_naming_load_config() -> None:
    """``tag_dataset(ds, "tagllm.yaml")`` failed with "expected str, bytes or os.PathLike object, not
    builtin_function_or_method", before the dataset was looked at."""
    pytest.importorskip("ray", reason="needs the ray extra: pip install 'tagllm[ray]'")
    from tagllm.distributed import tag_dataset

    with pytest.raises(TypeError) as raised:
        tag_dataset(None, "tagllm.yaml")  # type: ignore[arg-type]
    assert str(raised.value) == (
        "tag_dataset takes a TaggerConfig, not a str: build it with tagllm.load_config(PATH, **settings) (a config "
        "file, then settings over it) or TaggerConfig(**settings)"
    )


@pytest.mark.parametrize("size", [0, -5, 2.5])
def test_a_batch_size_that_is_not_one_or_more_products_is_refused_before_the_index_loads(monkeypatch, size) -> None:  # type: ignore[no-untyped-def]
    """``batch_size=0`` took the config's batch size without a word, 2.5 ran, and -5 failed in Ray after the index
    loaded ("Batch size can't be negative or 0"); tag_batches refuses all three, naming what to give."""
    pytest.importorskip("ray", reason="needs the ray extra: pip install 'tagllm[ray]'")
    import tagllm.distributed as distributed

    def loaded(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the index was loaded before the batch size was checked")

    monkeypatch.setattr(distributed, "_cpu_tagger", loaded)
    with pytest.raises(ValueError) as raised:
        distributed.tag_dataset(None, TaggerConfig(taxonomy="demo"), batch_size=size)
    assert str(raised.value) == (
        f"batch_size must be a whole number of products, 1 or more, not {size!r}; leave it out (None) for the "
        "config's batch_size"
    )


@pytest.mark.parametrize("custom_engine", [False, True], ids=["vllm processor", "vllm_processor()"])
def test_a_vllm_older_than_0_12_stops_the_job_on_the_driver_before_any_row(
    monkeypatch: pytest.MonkeyPatch, demo_index_dir: Path, tmp_path: Path, custom_engine: bool
) -> None:
    # before: the vllm backend refused a vLLM before 0.12 and tag_dataset did not check, so every row's schema went
    # to an engine that may refuse structured_outputs or not apply it, found on the GPU nodes if at all
    import sys
    from types import ModuleType

    import tagllm.distributed as distributed
    from tagllm.backends import vllm as vllm_module
    from tagllm.errors import ConfigError, MissingDependencyError

    monkeypatch.setitem(sys.modules, "ray", ModuleType("ray"))  # tag_dataset asks only that ray is there
    # and ray.data.llm is missing, even where an earlier test imported the real one (sys.modules keeps it)
    monkeypatch.setitem(sys.modules, "ray.data.llm", None)
    monkeypatch.setattr(vllm_module, "_vllm_version", lambda: "0.11.2")
    model = tmp_path / "qwen"
    model.mkdir()
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), backend="vllm", model=str(model))
    said = (
        "the vllm backend needs vLLM >= 0.12 (its structured outputs hold each answer to the taxonomy's values); "
        "vLLM 0.11.2 is installed: pip install -U 'vllm>=0.12'"
    )
    with pytest.raises(ConfigError) as caught:
        if custom_engine:
            distributed.vllm_processor(config)  # the processor a caller builds to pass as engine=
        else:
            distributed.tag_dataset(None, config)  # the dataset is never touched
    assert str(caught.value) == said
    monkeypatch.setattr(vllm_module, "_vllm_version", lambda: "0.12.0")

    def reached(*args: object) -> None:
        raise LookupError("past the setup checks")

    monkeypatch.setattr(distributed, "_actors", reached)  # the job's stages are built after every check
    with pytest.raises(MissingDependencyError if custom_engine else LookupError):
        if custom_engine:
            distributed.vllm_processor(config)  # what it needs next: ray.data.llm, not in the stand-in ray
        else:
            distributed.tag_dataset(None, config)
