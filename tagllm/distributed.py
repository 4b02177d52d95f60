"""Beyond one machine: the tagging pipeline over a Ray Data dataset, in stages that Ray scales separately.

With an LLM backend the pipeline runs as CPU stages around the engine, so GPUs never wait for CPU work::

    products ─▶ requests   (CPU actors: normalise, embed, retrieve, candidates, prompt + schema)  stages.request_rows
             ─▶ engine     (GPU actors: Ray Data's vLLM processor, one JSON schema per row)     ray.data.llm
            [─▶ attributes (CPU actors: map the category, build the attribute requests)       stages.attribute_rows
             ─▶ engine     (GPU actors: the attribute step)]                                   two_step only
             ─▶ results    (CPU actors: map the answers onto the taxonomy)                     stages.finish_rows

The retrieval backend needs no engine: one CPU stage runs the whole tagger. Backends other than vLLM (transformers,
an OpenAI-compatible server) run as the engine stage through tagllm's own backend, in actors of their own. A row
that fails at any stage comes out as an error result; none is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from tagllm.backends.base import Backend, Generation
from tagllm.config import TaggerConfig, check_config
from tagllm.dataset_rows import (
    NAME,
    RECORD,
    as_products,
    batch_rows,
    one_per_id,
    product_rows,
    record_column,
    to_columns,
)
from tagllm.engine_stage import Stage, _actors, _backend_engine, _vllm_backend, vllm_processor
from tagllm.errors import BackendError, ConfigError, InputError, missing_dependency
from tagllm.models import Product
from tagllm.stages import (
    RESULT_COLUMNS,
    ROW_COLUMNS,
    attribute_rows,
    engine_passes,
    finish_rows,
    request_rows,
    result_row,
)

__all__ = ["RESULT_COLUMNS", "tag_dataset", "vllm_processor"]

ENGINE_BATCH = 256  # the most rows one batch of Ray's vLLM processor holds (vLLM schedules across batches anyway)
REHEARSAL_ROWS = 16  # the rows read on the driver for a product to render the templates for (``_rehearse``)


def tag_dataset(
    dataset: Any,
    config: TaggerConfig,
    *,
    batch_size: int | None = None,
    concurrency: int = 1,
    num_gpus: float = 0,
    llm_concurrency: int = 1,
    engine: Stage | None = None,
    check_ids: bool = True,
) -> Any:
    """Tag a ``ray.data.Dataset`` of product rows; returns a dataset of (product_id, status, result_json).

    ``concurrency`` actors in each CPU stage (each holds one tagger: the index and the embedder load once per actor;
    the index must be a directory every node can read, built first with ``tagllm index build``).
    ``llm_concurrency`` engine replicas per engine pass: for the vllm backend, Ray Data's vLLM processor
    (``vllm_processor``), each replica on ``tensor_parallel_size`` GPUs; for transformers/openai, tagllm's backend
    in actors with ``num_gpus`` each. two_step runs two engine passes, each with replicas of its own. ``engine``
    replaces the engine stage of every pass (a function from a dataset of request rows to one with generations,
    see ``tagllm.stages``), e.g. a processor you built yourself.

    A product id that more than one row has (``1`` and ``"1"`` are one id, as in a file run; rows without an id,
    named by their content, are one when their content is) is tagged once: the other rows come out as error rows
    under that id, field ``id``, saying so. A dataset's rows have no order, so the row tagged is the first Ray hands
    over, not necessarily the first of a file (``Tagger.tag_file`` tags a file's first). Finding them groups the rows
    by id, a shuffle before the first stage; ``check_ids=False`` skips it for ids known to be unique, and a repeated
    id is then tagged once per row.

    The taxonomy, the index, the prompts and the backend's setup are checked here, before any row is tagged (the
    templates are rendered for the first product of the dataset's first rows, read here): a setup mistake stops the
    job with one message instead of failing every row on the cluster.
    """
    try:
        import ray  # noqa: F401
    except ImportError:
        raise missing_dependency("ray", "ray", "tagging a Ray dataset") from None
    from tagllm.assembly import with_index_settings
    from tagllm.tagger_checks import checked_batch_size

    check_config(config, "tag_dataset")
    size = config.batch_size if batch_size is None else checked_batch_size(batch_size)  # before the index loads
    config = with_index_settings(config)
    _refuse_routing(config)
    tagger = _cpu_tagger(config)  # taxonomy, index, facets, templates: checked here, once
    passes = engine_passes(tagger)
    _check_engine(config, custom=engine is not None)
    settings = json.loads(config.model_dump_json())
    cpu = {"batch_size": size, "batch_format": "numpy", "compute": _actors(concurrency)}
    _check_titles(dataset)
    dataset = record_column(dataset)
    has_rows = dataset.schema() is not None  # no schema: no rows at all (a delta of no new products)
    if has_rows:
        _rehearse(tagger, dataset)
    if check_ids and has_rows:
        dataset = dataset.groupby(NAME).map_groups(one_per_id, batch_format="numpy")
    if config.backend == "retrieval":
        return dataset.map_batches(_TaggerWorker, fn_constructor_args=(settings,), num_gpus=num_gpus, **cpu)
    if engine is None:
        if config.backend == "vllm":
            engine = vllm_processor(config, concurrency=llm_concurrency, batch_size=min(size, ENGINE_BATCH))
        else:
            engine = _backend_engine(settings, concurrency=llm_concurrency, num_gpus=num_gpus, batch_size=size)
    rows = engine(dataset.map_batches(_RequestWorker, fn_constructor_args=(settings,), **cpu))
    if passes == 2:
        rows = engine(rows.map_batches(_AttributeWorker, fn_constructor_args=(settings,), **cpu))
    return rows.map_batches(_FinishWorker, fn_constructor_args=(settings,), **cpu)


# -- the CPU stages --------------------------------------------------------------------------------------------------
class _TaggerWorker:
    """The whole pipeline in one actor (the retrieval backend: nothing to hand to an engine)."""

    def __init__(self, config: dict[str, Any]) -> None:
        from tagllm.tagger import Tagger

        self.tagger = Tagger.from_config(TaggerConfig.model_validate(config))

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        return to_columns(
            [result_row(r) for r in self.tagger.tag_iter(as_products(product_rows(batch)))], RESULT_COLUMNS
        )


class _CPUWorker:
    def __init__(self, config: dict[str, Any]) -> None:
        settings = TaggerConfig.model_validate(config)
        self.tagger = _cpu_tagger(settings)
        self.max_tokens = _max_tokens(settings)
        self.model = settings.model if settings.backend == "vllm" else None
        self._tokenizer: Any = None

    def tokenizer(self, rows: list[dict[str, Any]]) -> Any:
        """The model's tokenizer when the rows carry log-probs (vllm: they become confidences); loaded once."""
        if not any(row.get("logprobs") for row in rows):
            return None
        if self._tokenizer is None and self.model is not None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.model)
        return self._tokenizer


class _RequestWorker(_CPUWorker):
    """Products to request rows (``tagllm.stages.request_rows``)."""

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        return to_columns(request_rows(self.tagger, as_products(product_rows(batch))), ROW_COLUMNS)


class _AttributeWorker(_CPUWorker):
    """two_step: category answers to attribute requests (``tagllm.stages.attribute_rows``)."""

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows = batch_rows(batch)
        rows = attribute_rows(self.tagger, rows, max_tokens=self.max_tokens, tokenizer=self.tokenizer(rows))
        return to_columns(rows, ROW_COLUMNS)


class _FinishWorker(_CPUWorker):
    """Rows with the engine's answers to result rows (``tagllm.stages.finish_rows``)."""

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows = batch_rows(batch)
        results = finish_rows(self.tagger, rows, max_tokens=self.max_tokens, tokenizer=self.tokenizer(rows))
        return to_columns([result_row(r) for r in results], RESULT_COLUMNS)


class _EngineElsewhere(Backend):
    """Stands in for the LLM backend in the CPU stages: it names the engine in provenance and makes the tagger
    render prompts and schemas, but generating is the engine stage's job.

    A row carries no photo, so prompts are rendered without them (``supports_images`` False); ``photos_not_sent``
    says the engine would have been shown them, as ``Tagger.tag`` shows them, and ``stages.finish_rows`` says so in
    each result of a product with photos."""

    needs_prompt = True
    supports_schema = True

    def __init__(self, name: str, model: str | None, *, photos_not_sent: bool = False) -> None:
        self.name = name
        self.model = model
        self.photos_not_sent = photos_not_sent

    def generate(self, requests: Any) -> list[Generation]:
        raise BackendError(f"the {self.name} engine runs in a stage of its own; this tagger only prepares and maps")


def _cpu_tagger(config: TaggerConfig) -> Any:
    """A tagger for the CPU stages: taxonomy, index, embedder, prompts; an LLM engine runs elsewhere."""
    from tagllm.assembly import open_index, with_index_settings
    from tagllm.backends.chat import reads_images
    from tagllm.retrieval.embedder import Embedder
    from tagllm.tagger import Tagger
    from tagllm.taxonomy import load_taxonomy

    config = with_index_settings(config)
    taxonomy = load_taxonomy(config.taxonomy)
    embedder = Embedder.from_config(config)
    index = open_index(config, taxonomy, embedder)
    backend = None
    if config.backend != "retrieval":
        backend = _EngineElsewhere(config.backend, config.model, photos_not_sent=reads_images(config))
    return Tagger(taxonomy, index=index, embedder=embedder, backend=backend, config=config)


def _rehearse(tagger: Any, dataset: Any) -> None:
    """Render the templates for the first product of the dataset's first rows, here on the driver, as ``Tagger.tag``
    renders them for its first product: a template that cannot render (a misspelt variable) stops the job with its
    message, not in every request actor, nor (the attribute step's, two_step) after the engine answered the
    categories."""
    if tagger.steps is None:
        return
    rows = dataset.take(REHEARSAL_ROWS)
    items = [tagger.retrieval.visible(item) for item in as_products(product_rows({RECORD: [r[RECORD] for r in rows]}))]
    products = [item for item in items if isinstance(item, Product)]
    if products:
        tagger.steps.rehearse(tagger.score(products[:1]))


def _check_titles(dataset: Any) -> None:
    """A dataset without a title column (the titles under ``name``, say) made every row an error row, on the cluster,
    after the job started: refused here, naming its columns, as ``tagllm generate`` refuses such a file."""
    try:
        schema = dataset.schema()
    except Exception:  # blocks whose types differ (titles read as numbers in one file): Ray cannot join their schemas,
        return  # and each row is tagged, or is an error row, on its own (``record_column``)
    if schema is None or "title" in schema.names:  # no schema: no rows
        return
    columns = list(schema.names)
    shown = ", ".join(repr(c) for c in columns[:12]) + (" …" if len(columns) > 12 else "")
    raise InputError(
        f"the dataset has no title column (its columns are {shown}); every product needs a title: name the column "
        "that holds the titles title, dataset.rename_columns({'COLUMN': 'title'})"
    )


def _refuse_routing(config: TaggerConfig) -> None:
    """The stages send every product to the engine: with route_threshold set, the job would ignore it silently."""
    if config.route_threshold is not None:
        raise ConfigError(
            "route_threshold: tag_dataset does not route, it sends every product to the engine; leave "
            "route_threshold unset here, or route with tagllm generate --route-threshold (Tagger.tag_file)"
        )


def _max_tokens(config: TaggerConfig) -> int | None:
    """The vllm engine's answer length limit (Ray's processor does not say when it cut an answer)."""
    return _vllm_backend(config).max_new_tokens if config.backend == "vllm" else None


def _check_engine(config: TaggerConfig, *, custom: bool) -> None:
    """The setup mistakes of the engine stage, found on the driver: a model directory that is not there, a
    package not installed, an option the backend does not take (for vllm under Ray's processor, its options, the
    model directory and a vLLM before 0.12 installed here: vLLM runs on the GPU nodes)."""
    if config.backend == "retrieval":
        return
    from tagllm.assembly import backend_options
    from tagllm.backends import get_backend
    from tagllm.backends.base import check_model_path
    from tagllm.backends.vllm import check_vllm_version
    from tagllm.taxonomy import load_taxonomy

    if config.backend == "vllm":
        backend = _vllm_backend(config)  # the CPU stages read its settings even when engine= replaces the engine
        if not custom:
            check_model_path(backend.model, "vllm", needs_config=False)
            check_vllm_version()  # the rows' schemas go as vLLM 0.12's structured_outputs
        return
    if not custom:
        get_backend(config.backend, **backend_options(config, load_taxonomy(config.taxonomy))).close()
