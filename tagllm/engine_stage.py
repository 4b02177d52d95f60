"""The engine stage of ``tagllm.distributed.tag_dataset``: request rows to rows with the engine's answers, by Ray
Data's vLLM processor (the vllm backend) or by tagllm's own backend in actors of their own (transformers, openai)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tagllm.backends.base import Generation, GenerationRequest, close_after
from tagllm.config import TaggerConfig
from tagllm.dataset_rows import batch_rows, to_columns
from tagllm.errors import missing_dependency
from tagllm.results import ask_backend
from tagllm.stages import INFERENCE_ERROR, ROW_COLUMNS, engine_requests, generation_columns, unreadable_row

Stage = Callable[[Any], Any]  # a Ray Dataset in, a Ray Dataset out


def _vllm_backend(config: TaggerConfig) -> Any:
    """The vllm backend's settings (nothing loads: Ray's processor runs the engine); an option it does not take is a
    ConfigError naming it."""
    from tagllm.assembly import backend_options
    from tagllm.backends import check_options
    from tagllm.backends.vllm import VLLMBackend

    options = {k: v for k, v in backend_options(config, None).items() if k != "device"}  # type: ignore[arg-type]
    check_options("vllm", VLLMBackend, options)
    return VLLMBackend(**options)


def vllm_processor(config: TaggerConfig, *, concurrency: int = 1, batch_size: int = 64, **processor: Any) -> Any:
    """Ray Data's vLLM processor (``ray.data.llm.build_processor``) for request rows: the backend options' engine
    and sampling settings, the model's chat template, each row's JSON schema as its structured output, and a row
    whose inference fails kept, with ``__inference_error__`` set.

    ``processor``: more ``vLLMEngineProcessorConfig`` settings (``accelerator_type``, ``runtime_env``, …).
    A vLLM before 0.12 installed here is refused, as the vllm backend refuses it (``check_vllm_version``)."""
    from tagllm.backends.vllm import check_vllm_version

    check_vllm_version()
    try:
        from ray.data.llm import build_processor, vLLMEngineProcessorConfig
    except ImportError:
        raise missing_dependency("ray.data.llm", "ray", "the vLLM engine stage (needs ray[llm] on GPU nodes)") from None
    backend = _vllm_backend(config)
    engine_kwargs = {k: v for k, v in backend.engine_kwargs().items() if k != "model"}
    settings: dict[str, Any] = {
        "model_source": str(backend.model),
        "engine_kwargs": engine_kwargs,
        "concurrency": concurrency,
        "batch_size": batch_size,
        "should_continue_on_error": True,  # a row whose inference fails comes back with __inference_error__ set
        "detokenize_stage": False,  # vLLM returns the text already (SamplingParams.detokenize): no second decode
    }
    settings.update(processor)
    sampling = sampling_params(backend)
    disable_any_whitespace = not backend.any_whitespace
    builder = {"chat_template_kwargs": backend.chat_template_kwargs} if backend.chat_template_kwargs else None
    return build_processor(
        vLLMEngineProcessorConfig(**settings),
        preprocess=lambda row: engine_request(row, sampling, disable_any_whitespace=disable_any_whitespace),
        postprocess=dict,  # every column on: error rows skip postprocess and keep them all, so both shapes match
        builder_kwargs=builder,
    )


def sampling_params(backend: Any) -> dict[str, Any]:
    """The per-row ``sampling_params`` of Ray's vLLM stage from a ``VLLMBackend``'s settings (greedy by default)."""
    return {
        "max_tokens": backend.max_new_tokens,
        "temperature": backend.temperature,
        "top_p": backend.top_p if backend.temperature > 0 else 1.0,
        "seed": backend.seed if backend.temperature > 0 else None,
        "logprobs": 0 if backend.logprobs else None,  # 0: the chosen token's log-prob only
    }


def engine_request(
    row: dict[str, Any], sampling: dict[str, Any], *, disable_any_whitespace: bool = True
) -> dict[str, Any]:
    """A request row as Ray's vLLM stage reads it: ``messages`` and ``sampling_params`` with the row's schema.

    A row with no request (an unreadable record; in the attribute pass, a product whose category step failed or
    that has no facet to ask) still passes through the processor, which has no way to skip a row: a one-token
    prompt and ``max_tokens=1``, so it costs next to nothing; the next CPU stage ignores its answer. A row whose
    request cannot be read passes so too, as an error row (``stages.unreadable_row``)."""
    skip = {"messages": [{"role": "user", "content": "-"}], "sampling_params": {**sampling, "max_tokens": 1}}
    if row.get("error") or not row.get("request"):
        return {**row, **skip}
    try:
        request = json.loads(row["request"])
        messages = request["messages"]
    except Exception as exc:  # one row that cannot be read fails that row, never the batch
        return {**unreadable_row(dict(row), exc), **skip}
    params = dict(sampling)
    if request.get("schema") is not None:
        # a JSON string, not a dict: Arrow would turn each row's schema into a struct type of its own
        structured = {"json": json.dumps(request["schema"]), "disable_any_whitespace": disable_any_whitespace}
        params["structured_outputs"] = structured
    return {**row, "messages": messages, "sampling_params": params}


def _backend_engine(settings: dict[str, Any], *, concurrency: int, num_gpus: float, batch_size: int) -> Stage:
    def stage(dataset: Any) -> Any:
        return dataset.map_batches(
            _BackendWorker,
            fn_constructor_args=(settings,),
            batch_size=batch_size,
            batch_format="numpy",
            compute=_actors(concurrency),
            num_gpus=num_gpus,
        )

    return stage


def _actors(concurrency: int | tuple[int, ...]) -> Any:
    """The actor pool of a stage of ``concurrency`` actors (or Ray's ``(min, max[, initial])`` for one that scales),
    passed as ``compute``: Ray Data deprecated ``map_batches(concurrency=...)`` in 2.51 and warned of it on every job,
    naming an argument the caller of ``tag_dataset`` had rightly given."""
    from ray.data import ActorPoolStrategy

    if isinstance(concurrency, tuple):
        return ActorPoolStrategy(
            min_size=concurrency[0],
            max_size=concurrency[1],
            initial_size=concurrency[2] if len(concurrency) > 2 else None,
        )
    return ActorPoolStrategy(size=concurrency)


class _BackendWorker:
    """tagllm's own LLM backend as the engine stage (transformers, openai).

    The engine starts when the actor does, as ``Tagger.prepare`` starts it before a run's first product: an
    OpenAI-compatible server that is not there (or a model it does not serve) stops the job with the backend's own
    message, where it was found batch by batch, each row an error after its retries ("ConnectError: All connection
    attempts failed", no address named), the whole dataset so. The driver does not check it: a server that only the
    cluster's nodes reach is a sound setup."""

    def __init__(self, config: dict[str, Any]) -> None:
        from tagllm.assembly import backend_options
        from tagllm.backends import get_backend
        from tagllm.taxonomy import load_taxonomy

        cfg = TaggerConfig.model_validate(config)
        self.backend = get_backend(cfg.backend, **backend_options(cfg, load_taxonomy(cfg.taxonomy)))
        try:
            self.backend.load()
        except BaseException as exc:
            close_after(self.backend, exc)  # the load's error is the one raised, a failed close noted on it
            raise

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows = batch_rows(batch)
        todo = engine_requests(rows)  # a row it cannot read becomes an error row
        requests: list[GenerationRequest] = [request for _, request in todo]
        generations = ask_backend(requests, self.backend) if requests else []  # a failure is the rows' error
        answers = {i: generation_columns(g) for (i, _), g in zip(todo, generations, strict=True)}
        empty = generation_columns(Generation()) | {"generation": ""}
        for i, row in enumerate(rows):
            row.update(answers.get(i, empty))
            row[INFERENCE_ERROR] = ""
        return to_columns(rows, (*ROW_COLUMNS, *empty, INFERENCE_ERROR))
