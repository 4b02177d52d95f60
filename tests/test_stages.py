"""The pipeline cut at the engine (tagllm.stages): plain request rows out, generations back in, the attribute step
built between two engine passes in two_step mode; the same results as tagging in one call, and every failed row
kept as an error result."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from test_api_vectors import overflow, unembedded_error
from test_photos import COLOURS, draw, photo_index  # noqa: F401  (the module-scoped index with photos)

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.config import TaggerConfig
from tagllm.distributed import _cpu_tagger
from tagllm.engine_stage import engine_request
from tagllm.models import RecordError
from tagllm.stages import (
    ROW_COLUMNS,
    attribute_rows,
    engine_passes,
    finish_rows,
    generation_columns,
    request_from_json,
    request_rows,
)
from tagllm.tagger import Tagger
from tagllm.testing import first_choices

DATA = Path(__file__).parent / "data"
PRODUCTS = [json.loads(line) for line in (DATA / "products.jsonl").read_text().splitlines()]
ITEMS = [*PRODUCTS, {"id": "p4", "title": ""}]  # p4: a record the tagger cannot read
SAMPLING = {"max_tokens": 256, "temperature": 0.0, "top_p": 1.0, "seed": None}


class FirstChoice(Backend):
    """An LLM stand-in: answers every request with the first allowed value of each facet."""

    name = "first-choice"
    needs_prompt = True
    supports_schema = True

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return [Generation(text=first_choices(r.schema or {"properties": {}}), prompt_tokens=100) for r in requests]


@pytest.fixture(scope="module")
def tagger(demo_index_dir: Path) -> Tagger:
    return Tagger.from_config(TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5))


@pytest.fixture(scope="module")
def two_step(demo_index_dir: Path) -> Tagger:
    config = TaggerConfig(
        taxonomy="demo", index=str(demo_index_dir), k=5, backend="vllm", model="-", attribute_mode="two_step"
    )
    tagger = _cpu_tagger(config)
    tagger.backend = FirstChoice()
    return tagger


def _engine(tagger: Tagger, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The engine stage in process: the tagger's backend answers each row that has a request."""
    todo = [row for row in rows if row["request"]]
    for row, generation in zip(
        todo, tagger.backend.generate([request_from_json(r["request"]) for r in todo]), strict=True
    ):
        row.update(generation_columns(generation))
    return rows


def _without_latency(result: Any) -> Any:
    return result.model_dump(exclude={"provenance": {"latency_ms"}})


def test_request_rows_then_finish_rows_give_what_tag_gives(tagger: Tagger) -> None:
    rows = request_rows(tagger, ITEMS)
    assert json.loads(json.dumps(rows)) == rows  # strings only: any engine or data framework carries them
    assert [(r["product_id"], bool(r["request"]), json.loads(r["error"] or "{}").get("field")) for r in rows] == [
        ("p1", True, None),
        ("p2", True, None),
        ("p3", True, None),
        ("p4", False, "title"),
    ]
    staged = finish_rows(tagger, _engine(tagger, rows))
    assert [_without_latency(r) for r in staged] == [_without_latency(r) for r in tagger.tag(ITEMS)]
    assert [r.best("category").id for r in staged[:3]] == [  # type: ignore[union-attr]
        "apparel-tshirts",
        "apparel-dresses",
        "electronics-headphones",
    ]
    assert staged[3].status == "error" and staged[3].error.field == "title"  # type: ignore[union-attr]


def test_columns_json_cannot_hold_as_they_are_do_not_fail_the_batch(tagger: Tagger) -> None:
    # a list column of a DataFrame read from Parquet is a numpy array in ``df.to_dict("records")``; with it (or a
    # numpy number, a binary cell) in any row, request_rows raised for the whole batch
    import numpy as np

    first = {**PRODUCTS[0], "sizes": np.array(["S", "M"]), "stock": np.int64(3), "thumbnail": b"\xff\xd8"}
    rows = request_rows(tagger, [first, *PRODUCTS[1:]])
    assert [(r["product_id"], bool(r["request"]), r["error"]) for r in rows] == [
        ("p1", True, ""),
        ("p2", True, ""),
        ("p3", True, ""),
    ]
    assert json.loads(rows[0]["request"])["product"]["extra"] == {
        "sizes": ["S", "M"],
        "stock": 3,
        "thumbnail": "b'\\xff\\xd8'",
    }
    staged = finish_rows(tagger, _engine(tagger, rows))
    assert [_without_latency(r) for r in staged] == [_without_latency(r) for r in tagger.tag([first, *PRODUCTS[1:]])]


def test_two_step_runs_the_engine_twice_with_the_attribute_step_built_between(two_step: Tagger) -> None:
    assert engine_passes(two_step) == 2
    rows = _engine(two_step, request_rows(two_step, ITEMS))
    assert [list(json.loads(r["request"])["schema"]["properties"]) for r in rows[:3]] == [["category"]] * 3
    rows = attribute_rows(two_step, rows)
    assert [r["product_id"] for r in rows] == ["p1", "p2", "p3", "p4"]
    asked = [list(json.loads(r["request"])["schema"]["properties"]) if r["request"] else [] for r in rows]
    assert asked == [["color", "material", "audience"]] * 3 + [[]]
    assert [len(json.loads(r["answered"])) for r in rows] == [1, 1, 1, 0]  # the category step, kept for the result
    staged = finish_rows(two_step, _engine(two_step, rows))
    local = two_step.tag(ITEMS)
    assert [_without_latency(r) for r in staged] == [_without_latency(r) for r in local]
    p1 = staged[0]
    assert p1.provenance is not None and p1.provenance.template == "fewshot+attributes-fewshot"
    assert list(p1.tags) == ["category", "color", "material", "audience"]
    assert p1.provenance.raw_output.count("\n") == 1  # type: ignore[union-attr]  # one answer per step
    assert staged[3].status == "error" and staged[3].error.field == "title"  # type: ignore[union-attr]


def test_a_failed_category_step_is_an_error_result_and_a_failed_attribute_step_a_partial_one(
    two_step: Tagger,
) -> None:
    rows = request_rows(two_step, PRODUCTS[:2])
    _engine(two_step, rows[1:])
    rows[0].update({"generated_text": "", "__inference_error__": "RuntimeError: CUDA out of memory"})
    rows = attribute_rows(two_step, rows)
    assert (rows[0]["request"], bool(rows[1]["request"])) == ("", True)  # no attribute step after a failed category
    asked = list(request_from_json(rows[1]["request"]).candidates)
    rows[1].update({"generated_text": "", "__inference_error__": "ValueError: prompt too long"})
    first, second = finish_rows(two_step, rows)
    assert (first.status, second.status) == ("error", "ok")
    assert first.error.message == "LLM engine: RuntimeError: CUDA out of memory"  # type: ignore[union-attr]
    assert first.error.is_retryable  # type: ignore[union-attr]
    # the category the first step answered is kept; each facet the attribute step asked for says why it has no tags
    assert [t.id for t in second.tags["category"]] == ["apparel-dresses", "apparel"]
    assert list(second.tags) == ["category"] and second.error is None
    assert second.facet_errors == dict.fromkeys(
        asked,
        RecordError(
            message="attribute step (category chosen: apparel-dresses): LLM engine: ValueError: prompt too long",
            is_retryable=True,
        ),
    )


BROKEN = [PRODUCTS[0], {"id": "x", "title": "Quantum overflow widget"}, *PRODUCTS[1:], ITEMS[-1]]


@pytest.mark.parametrize("name", ["tagger", "two_step"])
def test_a_product_the_embedder_gives_a_nan_vector_is_an_error_row_and_the_rest_are_asked(
    name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """request_rows had no check: the NaN row was scored (its candidates and neighbours from NaN scores) and sent
    to the engine; it is the error row naming the product that tag gives, and the block's other rows go on."""
    tagger: Tagger = request.getfixturevalue(name)
    clean = [_without_latency(r) for r in tagger.tag(PRODUCTS)]
    overflow(monkeypatch, tagger.embedder)
    rows = request_rows(tagger, BROKEN)
    assert [(r["product_id"], bool(r["request"])) for r in rows] == [
        ("p1", True),
        ("x", False),
        ("p2", True),
        ("p3", True),
        ("p4", False),
    ]
    assert json.loads(rows[1]["error"]) == unembedded_error(tagger.embedder, "x")
    rows = _engine(tagger, rows)
    if engine_passes(tagger) == 2:
        rows = _engine(tagger, attribute_rows(tagger, rows))
    staged = finish_rows(tagger, rows)
    assert [r.status for r in staged] == ["ok", "error", "ok", "ok", "error"]
    assert staged[1].error is not None and staged[1].error.model_dump() == unembedded_error(tagger.embedder, "x")
    assert [_without_latency(r) for r in staged] == [_without_latency(r) for r in tagger.tag(BROKEN)]
    assert [_without_latency(r) for r in (staged[0], *staged[2:4])] == clean


def test_a_row_that_cannot_be_read_is_an_error_result(tagger: Tagger) -> None:
    rows = _engine(tagger, request_rows(tagger, PRODUCTS[:2]))
    rows[1]["request"] = "{broken"
    ok, unreadable = finish_rows(tagger, rows)
    assert ok.status == "ok"
    assert (unreadable.product_id, unreadable.status) == ("p2", "error")
    assert unreadable.error.message == (  # type: ignore[union-attr]
        "row p2: JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )


def test_the_backend_engine_stage_fails_a_row_it_cannot_read_only(tagger: Tagger) -> None:
    """tag_dataset's engine stage for tagllm's backends (_BackendWorker) read every row's request before asking the
    backend: one it could not read raised out of the batch, and Ray failed the job, every product of it lost."""
    from tagllm.dataset_rows import to_columns
    from tagllm.engine_stage import _BackendWorker

    rows = request_rows(tagger, ITEMS)
    rows[1]["request"] = "{broken"
    worker = object.__new__(_BackendWorker)  # its backend built here, not from a config
    worker.backend = FirstChoice()
    batch = worker(to_columns(rows, ROW_COLUMNS))
    answered = [dict(zip(batch, values, strict=True)) for values in zip(*batch.values(), strict=True)]
    assert [r["product_id"] for r in answered] == ["p1", "p2", "p3", "p4"]
    assert [bool(r["generated_text"]) for r in answered] == [True, False, True, False]
    results = finish_rows(tagger, answered)
    assert [r.status for r in results] == ["ok", "error", "ok", "error"]
    assert results[1].error.message == (  # type: ignore[union-attr]
        "row p2: JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )
    assert results[3].error.field == "title"  # type: ignore[union-attr]


def test_an_answer_from_an_engine_elsewhere_is_mapped_and_says_which_engine(demo_index_dir: Path) -> None:
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5, backend="vllm", model="/models/qwen-7b")
    tagger = _cpu_tagger(config)
    assert engine_passes(tagger) == 1  # the demo's facets apply everywhere: one_call
    row = request_rows(tagger, PRODUCTS[:1])[0]
    request = json.loads(row["request"])
    assert request["messages"][-1]["role"] == "user"
    assert request["messages"][-1]["content"].endswith(
        'Product to tag: {"title": "Men\'s Cotton Polo T-Shirt Navy", "brand": "US Polo"}'
    )
    engine_row = engine_request(row, SAMPLING)
    assert engine_row["messages"] == request["messages"]
    assert engine_row["sampling_params"] == {
        **SAMPLING,
        "structured_outputs": {"json": json.dumps(request["schema"]), "disable_any_whitespace": True},
    }
    answer = '{"category": "T-Shirts", "color": "navy"}'
    row.update(generated_text=answer, num_input_tokens=812, num_generated_tokens=9, time_taken_llm=0.25)
    result = finish_rows(tagger, [row], max_tokens=256)[0]
    assert [t.id for t in result.tags["category"]][:1] == ["apparel-tshirts"]
    assert [t.id for t in result.tags["color"]] == ["color-blue"]
    assert {t.source for t in result.tags["category"]} == {"llm", "ancestor"}
    prov = result.provenance
    assert prov is not None
    assert (prov.backend, prov.model, prov.prompt_tokens, prov.completion_tokens, prov.latency_ms) == (
        "vllm",
        "/models/qwen-7b",
        812,
        9,
        250.0,
    )


def test_an_answer_as_long_as_the_token_limit_was_cut(demo_index_dir: Path) -> None:
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), backend="vllm", model="/models/qwen-7b")
    row = request_rows(_cpu_tagger(config), PRODUCTS[:1])[0]
    row.update(generated_text='{"category": "T-Sh', num_input_tokens=812, num_generated_tokens=64)
    result = finish_rows(_cpu_tagger(config), [row], max_tokens=64)[0]
    assert result.status == "error"
    assert result.error.message == "the answer was cut at max_new_tokens=64; raise backend_options.max_new_tokens"  # type: ignore[union-attr]


def test_a_row_the_engine_added_no_answer_to_is_an_error_not_an_empty_ok(demo_index_dir: Path) -> None:
    """An engine stage that puts its answer in a column of its own (Ray's HTTP request processor: http_response) left
    each row without generated_text: every product came out 'ok' with no tag, an "empty answer" rejection, and
    nothing said."""
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), backend="vllm", model="/models/qwen-7b")
    tagger = _cpu_tagger(config)
    rows = request_rows(tagger, PRODUCTS[:2])
    rows[0].update(http_response={"choices": [{"message": {"content": '{"category": "T-Shirts"}'}}]})
    rows[1].update(generated_text='{"category": "Dresses"}', num_generated_tokens=9)
    first, second = finish_rows(tagger, rows, max_tokens=64)
    assert (first.product_id, first.status) == ("p1", "error")
    assert first.error is not None and first.error.message == (
        "the engine stage gave this row no answer: it has neither generated_text (Ray Data's LLM processors) nor "
        "generation (tagllm's backends); an engine= stage must add one of them to each row and keep the row's columns"
    )
    assert (second.status, [t.id for t in second.tags["category"]][:1]) == ("ok", ["apparel-dresses"])


def test_a_row_the_engine_stage_stripped_of_its_columns_says_so(demo_index_dir: Path) -> None:
    """A processor whose postprocess returns only its answer (Ray's examples: dict(answer=row["generated_text"]))
    drops product_id and request: each row came out as "row : ValueError: the row has neither a request nor an
    answered step", naming no product and not saying what went wrong."""
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), backend="vllm", model="/models/qwen-7b")
    (result,) = finish_rows(_cpu_tagger(config), [{"answer": '{"category": "T-Shirts"}'}])
    assert (result.product_id, result.status) == ("", "error")
    assert result.error is not None and result.error.message == (
        "a row without product_id: the engine stage returned it without the request row's columns (product_id, "
        "request, answered); an engine= stage must keep them (a processor's postprocess: dict(row, ...))"
    )


def test_rays_engine_samples_as_the_vllm_backend_does_and_returns_the_chosen_tokens_log_probs() -> None:
    from tagllm.engine_stage import _vllm_backend, sampling_params

    config = TaggerConfig(backend="vllm", model="/models/qwen-7b", backend_options={"max_new_tokens": 128})
    assert sampling_params(_vllm_backend(config)) == {
        "max_tokens": 128,
        "temperature": 0.0,
        "top_p": 1.0,
        "seed": None,
        "logprobs": 0,
    }


def test_a_row_without_a_request_costs_the_engine_one_token(demo_index_dir: Path) -> None:
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), backend="vllm", model="/models/qwen-7b")
    row = request_rows(_cpu_tagger(config), [{"id": "p9"}])[0]
    assert engine_request(row, SAMPLING) == {
        **row,
        "messages": [{"role": "user", "content": "-"}],
        "sampling_params": {**SAMPLING, "max_tokens": 1},
    }


def test_a_row_whose_request_cannot_be_read_costs_the_engine_one_token_and_is_an_error_result(
    demo_index_dir: Path,
) -> None:
    """Ray's vLLM stage read the row's request in its preprocess: one it could not read failed the job."""
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), backend="vllm", model="/models/qwen-7b")
    tagger = _cpu_tagger(config)
    row = request_rows(tagger, PRODUCTS[:1])[0] | {"request": "{broken"}
    asked = engine_request(row, SAMPLING)
    assert (asked["messages"], asked["sampling_params"]) == (
        [{"role": "user", "content": "-"}],
        {**SAMPLING, "max_tokens": 1},
    )
    (result,) = finish_rows(tagger, [asked | {"generated_text": "x"}])
    assert (result.product_id, result.status) == ("p1", "error")
    assert result.error.message.startswith("row p1: JSONDecodeError: ")  # type: ignore[union-attr]


@pytest.mark.parametrize("keys", [int, str], ids=["token ids", "token ids as strings (after Arrow)"])
def test_the_engines_token_log_probs_become_confidences(demo_index_dir: Path, keys: type) -> None:
    from tagllm.testing import build_tokenizer

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5, backend="vllm", model="/models/qwen-7b")
    tagger = _cpu_tagger(config)
    row = request_rows(tagger, PRODUCTS[:1])[0]
    request = request_from_json(row["request"])
    text = first_choices(request.schema or {})
    tokenizer = build_tokenizer([text, *[m["content"] for m in request.messages or []]])
    tokens = tokenizer(text, add_special_tokens=False)["input_ids"]
    # the engine was sure of every token it chose (log-prob 0): each chosen value's confidence is 1
    steps = [{keys(t): {"logprob": 0.0, "rank": 1, "decoded_token": ""}} for t in tokens]
    row.update(generated_text=text, num_input_tokens=812, num_generated_tokens=len(tokens))
    row.update(generated_tokens=tokens, logprobs=steps)
    sure = finish_rows(tagger, [row], tokenizer=tokenizer)[0]
    chosen = {f: [t.id for t in tags if t.source == "llm"] for f, tags in sure.tags.items()}
    assert chosen == {f: [c[0].id] for f, c in request.candidates.items() if c}
    assert {t.confidence for tags in sure.tags.values() for t in tags if t.source == "llm"} == {1.0}
    # without the tokenizer the log-probs cannot be placed on the values: the candidate score, as before
    unsure = finish_rows(tagger, [row])[0]
    assert unsure.tags["color"][0].confidence == round(request.candidates["color"][0].score, 6) < 1.0


def test_from_the_photos_alone_a_product_without_a_readable_photo_is_an_error_row(
    photo_index: Path,  # noqa: F811  (the fixture imported from test_photos)
    tmp_path: Path,
) -> None:
    """inputs [image]: ``tag`` makes such a product an error record naming its photos; the stages sent it to the
    engine with its text hidden and no photo, and it came out 'ok', tagged from nothing, which --resume never
    retried."""
    draw(tmp_path / "shoe.jpg", "shoe", COLOURS["color-green"], jitter=5)
    products = [
        {"id": "shoe", "title": "Everyday sneakers", "images": ["shoe.jpg"]},
        {"id": "gone", "title": "Everyday sneakers", "images": ["gone.jpg"]},
        {"id": "none", "title": "Everyday sneakers"},
    ]
    config = TaggerConfig(
        taxonomy="demo", index=str(photo_index), k=5, image_root=str(tmp_path), inputs=["image"], backend="vllm",
        model="-",
    )  # fmt: skip
    tagger = _cpu_tagger(config)
    tagger.backend = FirstChoice()
    rows = request_rows(tagger, products)
    assert [bool(r["request"]) for r in rows] == [True, False, False]  # no engine time on them
    staged = finish_rows(tagger, _engine(tagger, rows))
    assert [(r.status, r.error) for r in staged] == [(r.status, r.error) for r in tagger.tag(products)]
    assert [r.status for r in staged] == ["ok", "error", "error"]
    assert [(r.error.field, r.error.message) for r in staged[1:]] == [  # type: ignore[union-attr]
        ("images", f"inputs [image] tags from the photos alone, and none could be read: gone.jpg: no such "
                   f"file ({tmp_path / 'gone.jpg'})"),
        ("images", "inputs [image] tags from the photos alone, and the product has none"),
    ]  # fmt: skip


def test_what_became_of_each_photo_reaches_the_result(photo_index: Path, tmp_path: Path) -> None:  # noqa: F811
    """The request rows left the photos' fates out: a result made in the stages named no photo in its provenance, and
    one none of whose photos could be read came out 'ok' without ``degraded``, which --resume retries, as ``tag``
    sets it."""
    draw(tmp_path / "shoe.jpg", "shoe", COLOURS["color-green"], jitter=5)
    products = [
        {"id": "shoe", "title": "Everyday sneakers", "images": ["shoe.jpg"]},
        {"id": "gone", "title": "Everyday sneakers", "images": ["gone.jpg"]},
    ]
    config = TaggerConfig(
        taxonomy="demo", index=str(photo_index), k=5, image_root=str(tmp_path), inputs=["text", "image"],
        backend="vllm", model="-",
    )  # fmt: skip
    tagger = _cpu_tagger(config)
    tagger.backend = FirstChoice()
    staged = finish_rows(tagger, _engine(tagger, request_rows(tagger, products)))
    assert [_without_latency(r) for r in staged] == [_without_latency(r) for r in tagger.tag(products)]
    shoe, gone = staged
    assert [use.status for use in shoe.provenance.images] == ["ok"]  # type: ignore[union-attr]
    assert gone.status == "ok"
    assert gone.degraded is not None and gone.degraded.field == "images"
    assert gone.degraded.message.endswith(f"gone.jpg: no such file ({tmp_path / 'gone.jpg'})")


@pytest.mark.parametrize("images", [True, False], ids=["engine reads photos", "images: false"])
def test_photos_the_stages_cannot_send_to_an_engine_that_reads_them_mark_the_result_degraded(
    demo_index_dir: Path, tmp_path: Path, images: bool
) -> None:
    """``tag`` shows an openai engine the product's photos; the stages render its prompt without them (a row carries
    no image), and the result came out 'ok' as if the product had none, with no word. A backend told to read no
    photos (images: false) is tagged from the text in both, with no note."""
    draw(tmp_path / "shoe.jpg", "shoe", COLOURS["color-green"], jitter=5)
    config = TaggerConfig(
        taxonomy="demo", index=str(demo_index_dir), k=5, image_root=str(tmp_path), backend="openai", model="m",
        backend_options={"images": images},
    )  # fmt: skip
    tagger = _cpu_tagger(config)
    rows = request_rows(tagger, [{"id": "shoe", "title": "Everyday sneakers", "images": ["shoe.jpg"]}])
    rows[0].update(generated_text=first_choices(json.loads(rows[0]["request"])["schema"]), num_generated_tokens=9)
    (result,) = finish_rows(tagger, rows, max_tokens=256)
    assert result.status == "ok"
    if not images:
        assert result.degraded is None
        return
    assert result.degraded is not None and result.degraded.field == "images"
    assert result.degraded.message == (
        "no photo could be read, tagged from the text alone: the distributed stages send no photo to the openai "
        "engine; tagllm generate sends them"
    )
