"""The vllm backend: an in-process vLLM engine, one ``generate`` call per batch, JSON schema via structured outputs.

What the engine returns for each request is read by ``tagllm.backends.vllm_output``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from tagllm.backends.base import (
    Backend,
    Generation,
    GenerationRequest,
    PromptSize,
    check_counts,
    check_installed,
    check_model_path,
    content_parts,
    start_engine,
)
from tagllm.backends.chat import chat_text, defuse_special_tokens, is_vision_model
from tagllm.backends.vllm_output import read_output, refusal_message
from tagllm.errors import ConfigError, missing_dependency
from tagllm.models import RecordError


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError:
        raise missing_dependency("vllm", "vllm", "the vllm backend") from None
    return vllm


MIN_VLLM = (0, 12)
"""The first vLLM whose ``SamplingParams`` take ``structured_outputs`` (and no longer the ``guided_*`` names)."""


def _vllm_version() -> str | None:
    """The installed vLLM's version, read from its package metadata (nothing is imported); None where unknown."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vllm")
    except PackageNotFoundError:
        return None


def check_vllm_version() -> None:
    """A vLLM before 0.12 (one an environment already had: ``tagllm[vllm]`` asks for 0.12 or later) is a setup mistake,
    said before the first product: the JSON schema that holds each answer to the taxonomy's values goes as vLLM 0.12's
    ``structured_outputs``, which an older vLLM may refuse or not apply. A version not known is left to the engine."""
    found = _vllm_version()
    release = re.match(r"(\d+)\.(\d+)", found or "")
    if release is None or (int(release[1]), int(release[2])) >= MIN_VLLM:
        return
    needed = ".".join(map(str, MIN_VLLM))
    raise ConfigError(
        f"the vllm backend needs vLLM >= {needed} (its structured outputs hold each answer to the taxonomy's values); "
        f"vLLM {found} is installed: pip install -U 'vllm>={needed}'"
    )


def _structured_outputs_params() -> Any:
    try:
        from vllm.sampling_params import SamplingParams, StructuredOutputsParams
    except ImportError:
        raise missing_dependency("vllm", "vllm", "the vllm backend (vLLM >= 0.12: structured outputs)") from None
    return SamplingParams, StructuredOutputsParams


def _refusals() -> tuple[type[BaseException], ...]:
    """What vLLM raises for a request it will not take (too long for the context, a photo past the encoder cache):
    VLLMValidationError, a VLLMClientError, in vLLM 0.33; ValueError in the vLLM releases before it."""
    try:
        from vllm.exceptions import VLLMClientError
    except ImportError:
        return (ValueError,)
    return (ValueError, VLLMClientError)


class VLLMBackend(Backend):
    """vLLM in process: every prompt of a batch goes into one ``LLM.generate`` call, which schedules them
    together (continuous batching) and serves the shared static prefix from its prefix cache.

    Prompts are the model's own chat template applied to the rendered messages, handed over as token ids, so
    nothing is tokenised twice and no second BOS sneaks in. Each request carries its own JSON schema as
    ``SamplingParams(structured_outputs=StructuredOutputsParams(json=schema))`` (the ``guided_*`` names were
    removed in vLLM 0.12). Log-probs of the chosen tokens become per-value confidences: vLLM applies the
    grammar's mask before computing them, so they are probabilities among the allowed candidates.

    A request whose messages show the product's photo goes through ``LLM.enqueue_chat`` instead, with the photo as an
    ``image_pil`` content part where the template placed it: vLLM then applies the model's chat template and its
    multimodal processor, which put the model's own image placeholder tokens in. Photos are sent to vision-language
    models only (a ``vision_config`` in the model's config), unless ``images`` says otherwise.
    """

    name = "vllm"
    supports_schema = True
    supports_logprobs = True

    def __init__(
        self,
        model: str | None = None,
        *,
        tensor_parallel_size: int = 1,
        pipeline_parallel_size: int = 1,
        quantization: str | None = None,
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        enable_prefix_caching: bool = True,
        dtype: str = "auto",
        seed: int = 0,
        trust_remote_code: bool = False,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        logprobs: bool = True,
        any_whitespace: bool = False,
        chat_template_kwargs: dict[str, Any] | None = None,
        engine_args: dict[str, Any] | None = None,
        device: str | None = None,
        images: bool | None = None,
    ) -> None:
        if model is None:
            raise ConfigError("the vllm backend needs --model: a model directory")
        check_counts("vllm", max_new_tokens=max_new_tokens)
        if device not in (None, "cuda", "auto"):
            raise ConfigError(
                f"the vllm backend runs where vLLM puts it (CUDA); device {device!r} is not supported, "
                "use --backend transformers for CPU"
            )
        self.model = model
        self.tensor_parallel_size = tensor_parallel_size
        self.pipeline_parallel_size = pipeline_parallel_size
        self.quantization = quantization
        self.max_model_len = max_model_len
        self.gpu_memory_utilization = gpu_memory_utilization
        self.enable_prefix_caching = enable_prefix_caching
        self.dtype = dtype
        self.seed = seed
        self.trust_remote_code = trust_remote_code
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.logprobs = logprobs
        self.any_whitespace = any_whitespace
        self.chat_template_kwargs = chat_template_kwargs or {}
        self.engine_args = engine_args or {}
        self.images = images
        self._llm: Any = None
        self._tokenizer: Any = None

    @classmethod
    def from_llm(cls, llm: Any, **options: Any) -> VLLMBackend:
        """Wrap a ``vllm.LLM`` the caller already built (a notebook, a Ray actor, a test's recording engine)."""
        config = getattr(llm, "llm_engine", None)
        name = options.pop("model", None) or getattr(getattr(config, "model_config", None), "model", None)
        backend = cls(str(name or "in-process"), **options)
        backend._llm = llm
        return backend

    def check(self) -> None:
        check_installed(["vllm"], "vllm", "the vllm backend")
        check_vllm_version()
        # vLLM also reads a single GGUF file and Mistral-format directories (params.json): existence is the check.
        check_model_path(self.model, "vllm", needs_config=False)

    @property
    def supports_images(self) -> bool:  # type: ignore[override]
        if self.images is not None:
            return self.images
        if self._llm is not None:
            config = getattr(getattr(self._llm, "llm_engine", None), "model_config", None)
            if config is not None and hasattr(config, "is_multimodal_model"):
                return bool(config.is_multimodal_model)
        return is_vision_model(self.model)

    def engine_kwargs(self) -> dict[str, Any]:
        """The arguments ``vllm.LLM`` is built with: the named settings, then ``engine_args`` as given."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "tensor_parallel_size": self.tensor_parallel_size,
            "pipeline_parallel_size": self.pipeline_parallel_size,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "enable_prefix_caching": self.enable_prefix_caching,
            "dtype": self.dtype,
            "seed": self.seed,
            "trust_remote_code": self.trust_remote_code,
        }
        if self.quantization:
            kwargs["quantization"] = self.quantization
        if self.max_model_len:
            kwargs["max_model_len"] = self.max_model_len
        kwargs.update(self.engine_args)
        return kwargs

    def load(self) -> None:
        check_vllm_version()  # an engine built by the caller (from_llm) was not checked with the backend
        self._load()
        context = self._context()
        if context is not None and self.max_new_tokens >= context:
            # every product failed alone, told to shorten its text or the template
            raise ConfigError(
                f"the vllm backend: max_new_tokens={self.max_new_tokens} leaves no room for a prompt in the engine's "
                f"context of {context} tokens (max_model_len); set backend_options.max_new_tokens below it (256 is "
                "the default), or max_model_len above it"
            )

    def _context(self) -> int | None:
        """The engine's context (its ``max_model_len``), or the one asked for when the engine does not say."""
        config = getattr(getattr(self._llm, "llm_engine", None), "model_config", None)
        context = getattr(config, "max_model_len", None) or self.max_model_len
        return context if isinstance(context, int) else None

    def prompt_size(self, messages: list[dict[str, Any]]) -> PromptSize | None:
        self._load()
        context = self._context()
        if context is None:
            return None
        text = chat_text(self._tokenizer, messages, self.chat_template_kwargs)
        ids = self._tokenizer(text, add_special_tokens=False)["input_ids"]
        longer = "raise max_model_len, up to the model's own context, or use a model with a longer one"
        return PromptSize(len(ids), context, self.max_new_tokens, longer)

    def _load(self) -> Any:
        if self._llm is None:
            vllm = _import_vllm()
            check_model_path(self.model, "vllm", needs_config=False)
            self._llm = start_engine("vllm", self.model, lambda: vllm.LLM(**self.engine_kwargs()))
        if self._tokenizer is None:
            self._tokenizer = self._llm.get_tokenizer()
        return self._llm

    def sampling_params(self, request: GenerationRequest) -> Any:
        """The ``SamplingParams`` for one request: its schema as structured output, greedy unless told."""
        sampling_params, structured_outputs_params = _structured_outputs_params()
        structured = None
        if request.schema is not None:
            structured = structured_outputs_params(json=request.schema, disable_any_whitespace=not self.any_whitespace)
        return sampling_params(
            max_tokens=self.max_new_tokens,
            temperature=self.temperature,
            top_p=self.top_p if self.temperature > 0 else 1.0,
            seed=self.seed if self.temperature > 0 else None,
            logprobs=0 if self.logprobs else None,  # 0: only the chosen token's log-prob
            structured_outputs=structured,
        )

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        llm = self._load()
        tokenizer = self._tokenizer
        results: list[Generation | None] = [None] * len(requests)
        prompts: list[dict[str, list[int]]] = []
        params: list[Any] = []
        order: list[int] = []
        conversations: list[list[dict[str, Any]]] = []
        chat_params: list[Any] = []
        chat_order: list[int] = []
        for i, request in enumerate(requests):
            if not request.messages:
                results[i] = Generation(error=RecordError(message="no prompt: the request has no messages"))
                continue
            if any(not isinstance(m["content"], str) for m in request.messages):
                conversations.append(self.chat_messages(request))
                chat_params.append(self.sampling_params(request))
                chat_order.append(i)
                continue
            text = chat_text(tokenizer, request.messages, self.chat_template_kwargs)
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            too_long = self._past_context(len(ids), text)
            if too_long is not None:
                results[i] = Generation(error=RecordError(message=too_long))
                continue
            prompts.append({"prompt_token_ids": ids})
            params.append(self.sampling_params(request))
            order.append(i)
        for batch, batch_params, batch_order in ((prompts, params, order), (conversations, chat_params, chat_order)):
            if not batch:
                continue
            started = time.perf_counter()
            if batch is prompts:
                outputs = llm.generate(prompts, sampling_params=batch_params, use_tqdm=False)
            else:
                outputs = self._chat(llm, conversations, batch_params)
            answered = sum(not isinstance(output, RecordError) for output in outputs)
            per_product_ms = (time.perf_counter() - started) * 1000 / max(answered, 1)
            for i, output in zip(batch_order, outputs, strict=True):
                if isinstance(output, RecordError):
                    results[i] = Generation(error=output)
                else:
                    results[i] = read_output(
                        output, requests[i], self._tokenizer, logprobs=self.logprobs,
                        max_new_tokens=self.max_new_tokens, latency_ms=per_product_ms,
                    )  # fmt: skip
        return [r if r is not None else Generation() for r in results]

    def _chat(self, llm: Any, conversations: list[list[dict[str, Any]]], params: list[Any]) -> list[Any]:
        """The engine's output for each conversation with photos, or the RecordError of one the engine refused.

        A photo's tokens are known only once vLLM's multimodal processor has placed them, and vLLM refuses a prompt
        that then reaches ``max_model_len`` while it adds a call's requests, aborting the ones it added: through one
        ``LLM.chat`` such a product failed the whole batch (text prompts included), each product then asked alone.
        Each conversation is added alone (``enqueue_chat``), so a refusal stays with its product, and the engine runs
        the rest together (``wait_for_completion``). An engine without ``enqueue_chat`` gets one ``LLM.chat``."""
        kwargs = {"use_tqdm": False, "chat_template_kwargs": self._template_kwargs()}
        if not hasattr(llm, "enqueue_chat"):
            return list(llm.chat(conversations, sampling_params=params, **kwargs))
        answers: list[Any] = [None] * len(conversations)
        queued: dict[str, int] = {}
        refusals = _refusals()
        try:
            for j, (conversation, request_params) in enumerate(zip(conversations, params, strict=True)):
                try:
                    (request_id,) = llm.enqueue_chat([conversation], sampling_params=[request_params], **kwargs)
                except refusals as exc:
                    answers[j] = RecordError(message=refusal_message(exc, self._context(), self.max_new_tokens))
                else:
                    queued[str(request_id)] = j
        except BaseException:
            if queued:  # left in the engine, they would come out of its next call
                llm.llm_engine.abort_request(list(queued))
            raise
        for output in llm.wait_for_completion(use_tqdm=False) if queued else []:
            answers[queued[str(output.request_id)]] = output
        return answers

    def _past_context(self, prompt: int, text: str) -> str | None:
        """Why a prompt of ``prompt`` tokens cannot be answered within the engine's context, or None when it can.
        vLLM refuses a prompt of ``max_model_len`` tokens or more while it adds the batch's requests, and its
        ValueError failed the whole batch; one that leaves less room than ``max_new_tokens`` was cut at the context
        and reported as cut at ``max_new_tokens``. Measured here, such a product fails alone, as with transformers."""
        context = self._context()
        if context is None or prompt + self.max_new_tokens <= context:
            return None
        return (
            f"the prompt is {prompt} tokens ({len(text)} characters): with max_new_tokens={self.max_new_tokens}, more "
            f"than the model's context of {context} tokens; shorten the product's text or the template"
        )

    def chat_messages(self, request: GenerationRequest) -> list[dict[str, Any]]:
        """The conversation ``LLM.chat`` gets for a request that shows photos: photos as ``image_pil`` parts, and the
        text with the spelling of the model's special tokens defused (as ``chat_text`` does for text prompts)."""
        specials = list(getattr(self._tokenizer, "all_special_tokens", []))

        def defused(text: str) -> str:
            return defuse_special_tokens([{"role": "user", "content": text}], specials)[0]["content"]

        def image(index: int) -> dict[str, Any]:
            return {"type": "image_pil", "image_pil": request.images[index].image}

        messages = []
        for message in request.messages or []:
            content = content_parts(message["content"], image)
            if isinstance(content, str):
                content = defused(content)
            else:
                content = [{"type": "text", "text": defused(p["text"])} if p["type"] == "text" else p for p in content]
            messages.append({"role": message["role"], "content": content})
        return messages

    def _template_kwargs(self) -> dict[str, Any]:
        from tagllm.backends.chat import DEFAULT_CHAT_TEMPLATE_KWARGS

        return {**DEFAULT_CHAT_TEMPLATE_KWARGS, **self.chat_template_kwargs}
