"""The Ray Data stages in Ray's local mode: the retrieval default in one CPU stage; an LLM backend as an engine stage
between CPU stages; Ray's own vLLM processor with a stand-in engine, twice in two_step mode. Results match the local
tagger, and a row that fails anywhere comes out as an error row."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.config import TaggerConfig
from tagllm.testing import first_choices

DATA = Path(__file__).parent / "data"
PRODUCTS = [json.loads(line) for line in (DATA / "products.jsonl").read_text().splitlines()]
ITEMS = [*PRODUCTS, {"id": "p4", "title": "", "brand": None}]  # p4: a record the tagger cannot read

pytestmark = pytest.mark.slow  # Ray and its actors start in seconds, not milliseconds


@pytest.fixture(scope="module")
def ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="needs the ray extra: pip install 'tagllm[ray]'")
    # Ray's workers get the tests' cache directory and offline mode (the fixtures' environment comes too late).
    # One BLAS thread, as in the local runs compared with them (see ``_one_blas_thread``).
    env = {"TAGLLM_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "cache"), "HF_HUB_OFFLINE": "1"}
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"
    # logical CPUs: each stage holds an actor, and two_step's nine stages are up at once on a two-core machine
    ray.init(
        num_cpus=12,
        include_dashboard=False,
        ignore_reinit_error=True,
        log_to_driver=False,
        runtime_env={"env_vars": env},
    )
    # the stand-in engine below is defined here, in a module Ray's workers cannot import: send it by value
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, demo_index_dir: Path) -> Path:
    """A random-weight Qwen2-shaped chat model whose tokenizer was trained on the demo prompts, saved to disk."""
    pytest.importorskip("xgrammar", reason="needs the transformers extra: pip install 'tagllm[transformers]'")
    from tagllm.distributed import _cpu_tagger
    from tagllm.stages import request_rows
    from tagllm.testing import build_model, build_tokenizer

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5, backend="vllm", model="-")
    tagger = _cpu_tagger(config)
    corpus = [v.path or v.name for v in tagger.taxonomy.values.values()]
    corpus += [m["content"] for row in request_rows(tagger, PRODUCTS) for m in json.loads(row["request"])["messages"]]
    path = tmp_path_factory.mktemp("tiny-qwen")
    tokenizer = build_tokenizer(corpus, "qwen")
    build_model(tokenizer, "qwen").save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _one_blas_thread() -> Any:
    """The local side of a comparison with Ray's workers, which run one BLAS thread. k=5 differs from the index's k,
    so each side refits the stackers on the demo index's 30 examples, and a matrix product summed in another order
    (two threads against one) moves a score at the 7th digit: enough to change which candidates make the cut, the
    fitted weights, the candidates' order in the prompt and so a random model's answer. Same threads, same answer."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["product_id"]: {"status": r["status"], **json.loads(r["result_json"])} for r in rows}


def _ids(tags: dict[str, list[Any]]) -> dict[str, list[str]]:
    return {f: [t["id"] if isinstance(t, dict) else t.id for t in facet_tags] for f, facet_tags in tags.items()}


def test_the_retrieval_default_runs_in_one_cpu_stage(ray: Any, demo_index_dir: Path) -> None:
    from tagllm.distributed import tag_dataset
    from tagllm.tagger import Tagger

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5)
    local = {r.product_id: r.best("category").id for r in Tagger.from_config(config).tag(PRODUCTS)}  # type: ignore[union-attr]
    out = _by_id(tag_dataset(ray.data.from_items(PRODUCTS), config, batch_size=2).take_all())
    remote = {pid: r["tags"]["category"][0]["id"] for pid, r in out.items()}
    assert remote == local == {"p1": "apparel-tshirts", "p2": "apparel-dresses", "p3": "electronics-headphones"}


def test_the_stages_are_built_without_rays_deprecated_concurrency_argument(ray: Any, demo_index_dir: Path) -> None:
    """Ray Data 2.51 deprecated map_batches(concurrency=...): every job logged "The argument ``concurrency`` is
    deprecated", which read as if tag_dataset's own concurrency were wrong."""
    import logging

    from tagllm.distributed import _backend_engine, tag_dataset

    class Kept(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    kept = Kept()
    logger = logging.getLogger("ray.data._internal.util")
    logger.addHandler(kept)
    try:
        config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5)
        rows = tag_dataset(ray.data.from_items(PRODUCTS), config, batch_size=2, concurrency=2, check_ids=False)
        _backend_engine({}, concurrency=2, num_gpus=0, batch_size=2)(ray.data.from_items(PRODUCTS))  # built, not run
        assert sorted(r["product_id"] for r in rows.take_all()) == ["p1", "p2", "p3"]
    finally:
        logger.removeHandler(kept)
    assert [m for m in kept.messages if "deprecated" in m] == []


def test_a_column_null_in_every_row_of_a_batch_is_no_value_not_an_error(ray: Any, demo_index_dir: Path) -> None:
    """Arrow types a column of nulls alone as null, which Ray's numpy batches hand over as NaN: every product of
    such a batch (a sparse brand column, say) failed with "brand: Input should be a valid string"."""
    from tagllm.distributed import tag_dataset

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5)
    items = [
        {"id": "p1", "title": "Men's Cotton Polo T-Shirt Navy", "brand": None, "attributes": None},
        {"id": "p2", "title": "", "brand": None, "attributes": None},
    ]
    out = _by_id(tag_dataset(ray.data.from_items(items, override_num_blocks=1), config, batch_size=2).take_all())
    assert (out["p1"]["status"], out["p1"]["tags"]["category"][0]["id"]) == ("ok", "apparel-tshirts")
    assert (out["p2"]["status"], out["p2"]["error"]["message"]) == (
        "error",
        "record 'p2' has no title; every product needs a non-empty title",
    )


def test_blocks_whose_columns_differ_in_type_or_presence_are_each_tagged(ray: Any, demo_index_dir: Path) -> None:
    """Ray joined blocks into a batch before the worker saw them: a block whose title column was read as numbers
    (another file of the dataset, say) failed the whole job ("Failed to unify schemas"); and an integer id next to a
    null in its block reached the tagger as a float, written as product id '17.0'."""
    import pyarrow as pa

    from tagllm.distributed import tag_dataset

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5)
    blocks = [
        pa.table({"id": ["a1", "a2"], "title": ["Blue denim jeans", "Red summer dress"]}),
        pa.table({"id": ["a3"], "title": pa.array([42], pa.int64())}),
        pa.table({"id": ["a4"], "title": ["Gold plated necklace"], "brand": ["Zara"]}),
    ]
    out = _by_id(tag_dataset(ray.data.from_arrow(blocks), config, batch_size=4).take_all())
    assert {pid: r["status"] for pid, r in out.items()} == {"a1": "ok", "a2": "ok", "a3": "ok", "a4": "ok"}
    items = [{"id": 17, "title": "Blue denim jeans"}, {"id": None, "title": "Red summer dress"}]
    ids = sorted(r["product_id"] for r in tag_dataset(ray.data.from_items(items), config, batch_size=2).take_all())
    assert ids[0] == "17" and ids[1].startswith("row-")  # sorted: grouped by id (check_ids), rows come in any order


def test_a_repeated_product_id_is_tagged_once_and_the_repeat_is_an_error_row(ray: Any, demo_index_dir: Path) -> None:
    """Two rows of one product id in different blocks were each tagged, two results under one id, and nothing said."""
    from tagllm.distributed import tag_dataset

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5)
    items = [*PRODUCTS, {"id": "p1", "title": "Blue denim jeans"}]
    rows = tag_dataset(ray.data.from_items(items, override_num_blocks=2), config, batch_size=2).take_all()
    assert sorted((r["product_id"], r["status"]) for r in rows) == [
        ("p1", "error"), ("p1", "ok"), ("p2", "ok"), ("p3", "ok"),
    ]  # fmt: skip
    error = next(json.loads(r["result_json"])["error"] for r in rows if r["status"] == "error")
    assert (error["field"], error["message"]) == (
        "id",
        "record 'p1': product id 'p1' again (another row of the dataset has it); only one row per product id is tagged",
    )
    unchecked = tag_dataset(ray.data.from_items(items), config, batch_size=2, check_ids=False).take_all()
    assert sorted(r["product_id"] for r in unchecked) == ["p1", "p1", "p2", "p3"]


def test_a_dataset_filtered_to_no_rows_gives_no_rows(ray: Any, demo_index_dir: Path) -> None:
    """A daily delta with no new products: the id check's shuffle failed on blocks that have no columns."""
    from tagllm.distributed import tag_dataset

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5)
    empty = ray.data.from_items(PRODUCTS).filter(lambda row: False)
    assert tag_dataset(empty, config, batch_size=2).take_all() == []


def test_a_dataset_without_a_title_column_is_refused_before_a_row_is_tagged(ray: Any, demo_index_dir: Path) -> None:
    """Every row came out as an error row ("has no title"), however many millions, instead of one message."""
    from tagllm.distributed import tag_dataset
    from tagllm.errors import InputError

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5)
    items = [{"id": "a1", "name": "Blue denim jeans"}, {"id": "a2", "name": "Red summer dress"}]
    with pytest.raises(InputError) as raised:
        tag_dataset(ray.data.from_items(items), config, batch_size=2)
    assert str(raised.value) == (
        "the dataset has no title column (its columns are 'id', 'name'); every product needs a title: name the "
        "column that holds the titles title, dataset.rename_columns({'COLUMN': 'title'})"
    )
    renamed = tag_dataset(ray.data.from_items(items).rename_columns({"name": "title"}), config, batch_size=2)
    assert sorted((r["product_id"], r["status"]) for r in renamed.take_all()) == [("a1", "ok"), ("a2", "ok")]


def test_an_llm_backend_runs_as_an_engine_stage_between_cpu_stages(
    ray: Any, demo_index_dir: Path, tiny_model_dir: Path
) -> None:
    from tagllm.distributed import tag_dataset
    from tagllm.tagger import Tagger

    config = TaggerConfig(
        taxonomy="demo", index=str(demo_index_dir), k=5, backend="transformers", model=str(tiny_model_dir)
    )
    # the same batches on both sides ([p1, p2], [p3, p4]): padding differs with the batch, and so could a logit
    with _one_blas_thread():
        local = {r.product_id: r for r in Tagger.from_config(config).tag_iter(ITEMS, batch_size=2)}
    dataset = ray.data.from_items(ITEMS, override_num_blocks=1)
    out = _by_id(tag_dataset(dataset, config, batch_size=2).take_all())
    assert sorted(out) == ["p1", "p2", "p3", "p4"]
    for pid in ("p1", "p2", "p3"):
        mine, theirs = out[pid], local[pid]
        assert mine["status"] == "ok"
        assert mine["provenance"]["backend"] == "transformers"
        assert mine["provenance"]["raw_output"] == theirs.provenance.raw_output  # type: ignore[union-attr]
        assert _ids(mine["tags"]) == _ids(theirs.tags)
    assert local["p4"].status == out["p4"]["status"] == "error"
    # named by its id: a dataset's rows have no line numbers, and a place in a Ray batch repeats in every batch
    assert out["p4"]["error"] == {
        "field": "title",
        "record_id": "p4",
        "message": "record 'p4' has no title; every product needs a non-empty title",
        "is_retryable": False,
    }


class _FakeVLLM:
    """What Ray's vLLM stage does with a row, without vLLM: read the chat-templated, tokenised prompt and the row's
    structured-output schema, answer the first allowed value of each facet, sure of every token (log-prob 0). The
    earbuds (p3) fail in the engine in the attribute pass, as a row does under ``should_continue_on_error``."""

    @staticmethod
    def stage(model_dir: str) -> Any:
        from ray.llm._internal.batch.stages.base import StatefulStage, StatefulStageUDF

        class FakeEngineUDF(StatefulStageUDF):
            async def udf(self, rows: list[dict[str, Any]]) -> Any:
                from transformers import AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(model_dir)
                for row in rows:
                    yield {self.IDX_IN_BATCH_COLUMN: row[self.IDX_IN_BATCH_COLUMN], **_FakeVLLM.answer(row, tokenizer)}

        class FakeEngineStage(StatefulStage):
            def get_required_input_keys(self) -> dict[str, str]:
                return {"tokenized_prompt": "token ids", "sampling_params": "per-row sampling parameters"}

        return FakeEngineStage(fn=FakeEngineUDF, map_batches_kwargs={"concurrency": 1})

    @staticmethod
    def answer(row: dict[str, Any], tokenizer: Any) -> dict[str, Any]:
        structured = row["sampling_params"].get("structured_outputs")
        schema = json.loads(structured["json"]) if structured else {"properties": {}}
        output = {"num_input_tokens": len(row["tokenized_prompt"]), "time_taken_llm": 0.01}
        if "Earbuds" in row["prompt"] and "category" not in schema["properties"]:
            failed = {"generated_text": "", "generated_tokens": [], "logprobs": None, "num_generated_tokens": 0}
            return {**output, **failed, "num_input_tokens": 0, "__inference_error__": "ValueError: prompt too long"}
        text = first_choices(schema)
        tokens = tokenizer(text, add_special_tokens=False)["input_ids"]
        logprobs = [{t: {"logprob": 0.0, "rank": 1, "decoded_token": tokenizer.decode([t])}} for t in tokens]
        answer = {"generated_text": text, "generated_tokens": tokens, "logprobs": logprobs}
        return {**output, **answer, "num_generated_tokens": len(tokens), "__inference_error__": ""}


class _FirstChoice(Backend):
    name = "vllm"
    needs_prompt = True
    supports_schema = True

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return [Generation(text=first_choices(r.schema or {})) for r in requests]


def test_rays_vllm_processor_answers_both_steps_with_each_rows_schema_and_keeps_errors(
    ray: Any, demo_index_dir: Path, tiny_model_dir: Path
) -> None:
    pytest.importorskip("ray.data.llm", reason="ray.data.llm needs aiohttp (in the dev extra)")
    from tagllm.distributed import _cpu_tagger, tag_dataset, vllm_processor

    config = TaggerConfig(
        taxonomy="demo",
        index=str(demo_index_dir),
        k=5,
        backend="vllm",
        model=str(tiny_model_dir),
        attribute_mode="two_step",
    )
    processor = vllm_processor(config, batch_size=2)
    assert list(processor.stages) == ["ChatTemplateStage", "TokenizeStage", "vLLMEngineStage"]
    engine = processor.stages["vLLMEngineStage"]
    assert engine.fn_constructor_kwargs["should_continue_on_error"] is True
    assert engine.fn_constructor_kwargs["model"] == str(tiny_model_dir)
    processor.stages["vLLMEngineStage"] = _FakeVLLM.stage(
        str(tiny_model_dir)
    )  # Ray's chat-template and tokenize stages run for real

    out = _by_id(tag_dataset(ray.data.from_items(ITEMS), config, batch_size=2, engine=processor).take_all())
    assert sorted(out) == ["p1", "p2", "p3", "p4"]
    local = _cpu_tagger(config)
    local.backend = _FirstChoice()
    expected = {r.product_id: r for r in local.tag(PRODUCTS[:2])}
    for pid in ("p1", "p2"):
        mine = out[pid]
        assert mine["status"] == "ok" and mine["provenance"]["backend"] == "vllm"
        assert _ids(mine["tags"]) == _ids(expected[pid].tags)  # both steps' answers, mapped back
        assert list(mine["tags"]) == ["category", "color", "material", "audience"]
        assert mine["provenance"]["template"] == "fewshot+attributes-fewshot"
        assert mine["provenance"]["prompt_tokens"] > 200  # two chat-templated prompts, tokenised by Ray's stages
        assert mine["provenance"]["latency_ms"] == 20.0  # 10 ms per step, from Ray's time_taken_llm
        # the confidences come from the engine's token log-probs (all 0: sure), not from the candidate scores
        assert {t["confidence"] for tags in mine["tags"].values() for t in tags if t["source"] == "llm"} == {1.0}
    # the earbuds' attribute step failed: a partial result, the category of the first step kept, each facet asked
    # for with why (it was an error record, and the category lost with it)
    p3 = out["p3"]
    assert (p3["status"], _ids(p3["tags"])) == ("ok", {"category": ["electronics-headphones", "electronics"]})
    why = {
        "message": "attribute step (category chosen: electronics-headphones): LLM engine: ValueError: prompt too long",
        "is_retryable": True,
    }
    assert p3["facet_errors"] and all(error == why for error in p3["facet_errors"].values())
    assert out["p4"]["status"] == "error" and out["p4"]["error"]["field"] == "title"


def test_a_setup_mistake_stops_the_job_on_the_driver_before_any_row(demo_index_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="needs the ray extra: pip install 'tagllm[ray]'")
    from tagllm.distributed import tag_dataset
    from tagllm.errors import ConfigError

    missing = tmp_path / "qwen-7b"
    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), backend="vllm", model=str(missing))
    with pytest.raises(ConfigError) as error:
        tag_dataset(None, config)  # the dataset is never touched
    assert str(error.value) == (
        f"the vllm backend: model {str(missing)!r} is not a directory; download it first "
        "(e.g. `huggingface-cli download ORG/NAME --local-dir DIR`) and pass the directory with --model"
    )
    config = TaggerConfig(taxonomy="demo", index=str(tmp_path / "no-index"))
    with pytest.raises(ConfigError, match="no-index does not exist; build it with: tagllm index build EXAMPLES"):
        tag_dataset(None, config)


@pytest.mark.parametrize("step", ["prompt", "attribute_prompt"])
def test_a_template_that_cannot_render_stops_the_job_on_the_driver(
    ray: Any, demo_index_dir: Path, tmp_path: Path, step: str
) -> None:
    """tag_dataset rendered its first template in the request stage's actors: a misspelt variable failed the job there
    (RayTaskError(UserCodeException), the template's message deep in Ray's trace) and, in the attribute step's
    template (two_step), only after the engine had answered every product's category."""
    from tagllm.distributed import tag_dataset
    from tagllm.errors import ConfigError

    source = Path(__file__).parents[1] / "prompts" / ("attributes-zeroshot.j2" if step != "prompt" else "zeroshot.j2")
    template = tmp_path / "misspelt.j2"
    template.write_text(source.read_text().replace("{{ product.json }}", "{{ product.json }} {{ product.titel }}"))
    model = tmp_path / "qwen"
    model.mkdir()
    config = TaggerConfig(
        taxonomy="demo",
        index=str(demo_index_dir),
        k=5,
        backend="vllm",
        model=str(model),
        attribute_mode="two_step" if step != "prompt" else "one_call",
        **{step: str(template)},
    )
    dataset = ray.data.from_items(ITEMS[::-1])  # the first row cannot be read: the first product is rehearsed
    with pytest.raises(ConfigError) as error:
        tag_dataset(dataset, config, engine=lambda rows: rows)
    assert str(error.value).startswith(f"prompt {template}:")
    assert "titel" in str(error.value)


def test_route_threshold_is_refused_before_any_row_rather_than_ignored(demo_index_dir: Path) -> None:
    pytest.importorskip("ray", reason="needs the ray extra: pip install 'tagllm[ray]'")
    from tagllm.distributed import tag_dataset
    from tagllm.errors import ConfigError

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), backend="openai", model="m", route_threshold=0.9)
    with pytest.raises(ConfigError) as error:
        tag_dataset(None, config)  # the dataset is never touched
    assert str(error.value) == (
        "route_threshold: tag_dataset does not route, it sends every product to the engine; leave "
        "route_threshold unset here, or route with tagllm generate --route-threshold (Tagger.tag_file)"
    )


@pytest.mark.parametrize("custom_engine", [False, True], ids=["vllm processor", "engine="])
def test_a_vllm_backend_option_misspelt_stops_the_job_on_the_driver(
    demo_index_dir: Path, tmp_path: Path, custom_engine: bool
) -> None:
    """The vllm backend's options were never checked on the driver: a misspelt one was a TypeError traceback where the
    job built its vLLM processor, and with engine= it killed every CPU stage's actor (ActorDiedError) once running."""
    pytest.importorskip("ray", reason="needs the ray extra: pip install 'tagllm[ray]'")
    from tagllm.distributed import tag_dataset
    from tagllm.errors import ConfigError

    model = tmp_path / "qwen"
    model.mkdir()
    config = TaggerConfig(
        taxonomy="demo",
        index=str(demo_index_dir),
        backend="vllm",
        model=str(model),
        backend_options={"max_new_token": 64},
    )
    with pytest.raises(ConfigError) as error:
        tag_dataset(None, config, engine=(lambda rows: rows) if custom_engine else None)  # the dataset is never touched
    assert str(error.value).startswith("the vllm backend has no option 'max_new_token'; its options: model, ")
