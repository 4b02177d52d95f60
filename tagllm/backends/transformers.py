"""The transformers backend: a local Hugging Face model, batched generation under an xgrammar JSON schema.

The model is loaded and checked by ``tagllm.backends.transformers_model``; each answer is read by
``tagllm.backends.transformers_output``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from tagllm.backends.base import (
    ANSWERED,
    Backend,
    Generation,
    GenerationRequest,
    PromptSize,
    check_counts,
    check_installed,
    check_model_path,
    start_engine,
)
from tagllm.backends.chat import chat_text, is_vision_model, stop_token_ids
from tagllm.backends.grammar import GrammarLogitsProcessor
from tagllm.backends.transformers_model import PROBE_TEXT, check_tokenizer, context_length, load_model, vocab_size
from tagllm.backends.transformers_output import read_row
from tagllm.errors import BackendError, ConfigError, TagllmError, missing_dependency
from tagllm.models import RecordError
from tagllm.schema import schema_key

_Ready = tuple[int, str, list[Any]]  # a request's position, its prompt text, the photos it shows


def _import_engine() -> tuple[Any, Any, Any]:
    try:
        import torch
        import transformers
        import xgrammar
    except ImportError as exc:
        package = (exc.name or "transformers").split(".")[0]
        raise missing_dependency(package, "transformers", "the transformers backend") from None
    return torch, transformers, xgrammar


class TransformersBackend(Backend):
    """A local Hugging Face causal LM (a model directory or hub id already on disk), on CPU or CUDA.

    Prompts go through the model's own chat template; each batch is one ``generate`` call, left-padded,
    sorted by
    length to waste little on padding; every row is held to its own request's JSON schema by xgrammar.
    """

    name = "transformers"
    supports_schema = True
    supports_logprobs = True

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str | None = None,
        dtype: str = "auto",
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        batch_size: int = 16,
        logprobs: bool = True,
        seed: int | None = 0,
        trust_remote_code: bool = False,
        chat_template_kwargs: dict[str, Any] | None = None,
        any_whitespace: bool = False,
        images: bool | None = None,
    ) -> None:
        self.model = model
        self.device = device
        self.dtype = dtype
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.batch_size = batch_size
        self.logprobs = logprobs
        self.seed = seed
        self.trust_remote_code = trust_remote_code
        self.chat_template_kwargs = chat_template_kwargs or {}
        # Compact JSON: fewer tokens, and a random or weak model cannot stall in whitespace.
        self.any_whitespace = any_whitespace
        self.images = images
        self._model: Any = None
        self._tokenizer: Any = None
        self._processor: Any = None  # a vision-language model's: its chat template and image processing
        self._compiler: Any = None
        self._grammars: dict[str, Any] = {}
        self._fits: int | None = None  # the largest batch tried since the GPU ran out of memory on a larger one
        if model is None:
            raise ConfigError("the transformers backend needs --model: a Hugging Face model directory")
        check_counts("transformers", max_new_tokens=max_new_tokens, batch_size=batch_size)

    @classmethod
    def from_model(cls, model: Any, tokenizer: Any, *, processor: Any = None, **options: Any) -> TransformersBackend:
        """Wrap a model and tokenizer the caller already loaded (a notebook, a test, a custom device map); for a
        vision-language model, its processor too."""
        name = getattr(model, "name_or_path", None) or getattr(model.config, "_name_or_path", None) or "in-memory"
        backend = cls(str(name), **options)
        backend._model = model
        backend._tokenizer = tokenizer
        backend._processor = processor
        return backend

    def check(self) -> None:
        check_installed(["torch", "transformers", "xgrammar"], "transformers", "the transformers backend")
        if self._model is None:
            check_model_path(self.model, "transformers")

    @property
    def supports_images(self) -> bool:  # type: ignore[override]
        """Photos go to vision-language models (a ``vision_config`` in their config), unless ``images`` says."""
        if self.images is not None:
            return self.images
        if self._model is not None:
            return self._processor is not None and hasattr(self._model.config, "vision_config")
        return is_vision_model(self.model)

    # -- engine ----------------------------------------------------------------------------------------------
    def load(self) -> None:
        _, tokenizer = self._load()
        check_tokenizer(tokenizer, self._model, self.model)
        context = self._context_length()
        if context is not None and self.max_new_tokens >= context:  # every product would fail alone, told to shorten
            raise ConfigError(
                f"the transformers backend: max_new_tokens={self.max_new_tokens} leaves no room for a prompt in the "
                f"model's context of {context} tokens; set backend_options.max_new_tokens below it (256 is the default)"
            )
        # a tokenizer without a chat template is a setup mistake too: said here, before the output is opened
        chat_text(tokenizer, [{"role": "user", "content": PROBE_TEXT}], self.chat_template_kwargs)

    def prompt_size(self, messages: list[dict[str, Any]]) -> PromptSize | None:
        _, tokenizer = self._load()
        context = self._context_length()
        if context is None:
            return None
        text = chat_text(tokenizer, messages, self.chat_template_kwargs)
        return PromptSize(len(tokenizer(text, add_special_tokens=False)["input_ids"]), context, self.max_new_tokens)

    def _load(self) -> tuple[Any, Any]:
        torch, transformers, _ = _import_engine()
        if self._model is None:
            check_model_path(self.model, "transformers")
            start_engine("transformers", self.model, lambda: self._load_model(torch, transformers))
        tokenizer = self._tokenizer
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"  # decoder-only models continue from the right edge
        return self._model, tokenizer

    def _load_model(self, torch: Any, transformers: Any) -> None:
        """The tokenizer (or a vision model's processor) and the model, on its device."""
        self._model, self._tokenizer, processor = load_model(
            self.model, torch, transformers, device=self.device, dtype=self.dtype,
            trust_remote_code=self.trust_remote_code,
        )  # fmt: skip
        if processor is not None:
            self._processor = processor

    def _vocab_size(self) -> int:
        return vocab_size(self._model)

    def _grammar(self, schema: dict[str, Any]) -> Any:
        key = schema_key(schema)
        if key not in self._grammars:
            _, _, xgr = _import_engine()
            if self._compiler is None:
                info = xgr.TokenizerInfo.from_huggingface(
                    self._tokenizer,
                    vocab_size=self._vocab_size(),
                    stop_token_ids=stop_token_ids(self._tokenizer, self._model.generation_config),
                )
                self._compiler = xgr.GrammarCompiler(info)
            # Compile the schema as written (not the sorted cache key): property order is the answer's key
            # order.
            self._grammars[key] = self._compiler.compile_json_schema(
                json.dumps(schema, ensure_ascii=False), any_whitespace=self.any_whitespace
            )
        return self._grammars[key]

    def render(self, messages: list[dict[str, str]]) -> str:
        """The exact text the model reads for these messages (its chat template applied)."""
        _, tokenizer = self._load()
        return chat_text(tokenizer, messages, self.chat_template_kwargs)

    # -- generation ------------------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        model, tokenizer = self._load()
        results: list[Generation | None] = [None] * len(requests)
        ready: list[_Ready] = []
        for i, request in enumerate(requests):
            if not request.messages:
                results[i] = Generation(error=RecordError(message="no prompt: the request has no messages"))
                continue
            photos = [request.images[p["index"]].image for m in request.messages if not isinstance(m["content"], str)
                      for p in m["content"] if p["type"] == "image"]  # fmt: skip
            if photos and self._processor is None:
                results[i] = Generation(
                    error=RecordError(message="the messages show a photo, but the model reads none")
                )
                continue
            if photos:
                text = chat_text(self._processor, _hf_parts(request.messages), self.chat_template_kwargs)
            else:
                text = chat_text(tokenizer, request.messages, self.chat_template_kwargs)
            try:
                too_long = self._past_context(text, photos)
            except Exception as exc:  # the processor refused a photo: Qwen2-VL's one whose sides differ 200-fold
                if not photos:
                    raise
                why = f"{type(exc).__name__}: {exc}"
                message = f"the model's processor refused the photo: {why}; give the product another photo, or none"
                results[i] = Generation(error=RecordError(message=message))
                continue
            if too_long is not None:
                results[i] = Generation(error=RecordError(message=too_long))
                continue
            ready.append((i, text, photos))
        # Similar lengths side by side: less padding per batch; prompts with photos batch apart (the processor
        # takes them together with their images).
        ready.sort(key=lambda item: (bool(item[2]), len(item[1])), reverse=True)
        answered = ANSWERED.get()
        for start in range(0, len(ready), self.batch_size):
            chunk = ready[start : start + self.batch_size]
            with_photos = [c for c in chunk if c[2]]
            for part in (with_photos, [c for c in chunk if not c[2]]):
                if part:
                    for (i, _, _), generation in zip(part, self._answer(requests, part), strict=True):
                        results[i] = generation
            if answered is not None:
                answered(sum(r is not None for r in results), len(requests))
        return [r if r is not None else Generation() for r in results]

    def _answer(self, requests: Sequence[GenerationRequest], part: list[_Ready]) -> list[Generation]:
        """The answers to one batch (its requests all with photos, or none). Out of GPU memory, the batch is answered
        in halves, and later batches are no larger than a half (the whole call raised: the answers of its batches
        already generated were lost, and every request was asked again alone). A request that runs out of memory
        alone fails, retryably."""
        torch, _, _ = _import_engine()
        size = min(len(part), self._fits or len(part))
        if size < len(part):
            parts = [part[start : start + size] for start in range(0, len(part), size)]
            return [generation for smaller in parts for generation in self._answer(requests, smaller)]
        shown = [c[2] for c in part] if part[0][2] else None
        try:
            return self._generate_batch([requests[i] for i, _, _ in part], [t for _, t, _ in part], shown)
        except BackendError as exc:
            return [Generation(error=RecordError(message=str(exc), is_retryable=exc.is_retryable))] * len(part)
        except torch.OutOfMemoryError as exc:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if len(part) == 1:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "out of memory"
                message = (
                    f"out of GPU memory answering this product alone ({first}); run again with --resume when the "
                    "GPU has more free memory, or lower max_new_tokens"
                )
                return [Generation(error=RecordError(message=message, is_retryable=True))]
        except TagllmError:
            raise  # a setup mistake (a ConfigError) fails every product alike: the run stops
        except Exception as exc:  # the model failed on some product of the batch: the others are answered
            return self._bisect(requests, part, exc)
        # out of memory: asked again outside the handler, whose traceback holds the failed batch's tensors
        self._fits = (len(part) + 1) // 2
        return self._answer(requests, part)

    def _bisect(self, requests: Sequence[GenerationRequest], part: list[_Ready], exc: Exception) -> list[Generation]:
        """The answers to a batch the model raised ``exc`` on, asked again in halves until the product it fails on is
        alone, which fails with ``exc`` said. Raised out of ``generate``, it lost the batches already answered, and
        every product of the call was asked again alone. The message says nothing of the rest of the batch: where the
        model fails on every product, each fails alike."""
        if len(part) == 1:
            why = f"{type(exc).__name__}: {exc}"
            message = f"the model failed while answering this product, asked alone ({why})"
            return [Generation(error=RecordError(message=message))]
        half = (len(part) + 1) // 2
        return self._answer(requests, part[:half]) + self._answer(requests, part[half:])

    def _past_context(self, text: str, photos: list[Any]) -> str | None:
        """Why a prompt cannot be answered within the model's context, or None when it can. vLLM and OpenAI-compatible
        servers refuse such a prompt; transformers ran it past the positions the model was trained on (a title of
        pages pasted into a cell), and its answer, still held to the candidates, came back as a result. A prompt
        with photos is counted by the processor, which spells each photo as the image tokens the model reads."""
        context = self._context_length()
        if context is None:
            return None
        if photos:
            encoded = self._processor(text=[text], images=photos, add_special_tokens=False)
            prompt = len(encoded["input_ids"][0])
        else:
            prompt = len(self._tokenizer(text, add_special_tokens=False)["input_ids"])
        if prompt + self.max_new_tokens <= context:
            return None
        return (
            f"the prompt is {prompt} tokens ({len(text)} characters): with max_new_tokens={self.max_new_tokens}, more "
            f"than the model's context of {context} tokens; shorten the product's text or the template"
        )

    def _context_length(self) -> int | None:
        return context_length(self._model.config)

    def _generate_batch(
        self, requests: list[GenerationRequest], texts: list[str], photos: list[list[Any]] | None = None
    ) -> list[Generation]:
        torch, transformers, xgr = _import_engine()
        model, tokenizer = self._model, self._tokenizer
        started = time.perf_counter()
        encoded = self._encode(texts, photos)
        stops = stop_token_ids(tokenizer, model.generation_config)
        processor = self._grammar_processor(xgr, requests, stops)
        if self.seed is not None and self.temperature > 0:
            torch.manual_seed(self.seed)
        with torch.inference_mode():
            sequences = model.generate(
                **encoded,
                generation_config=self._generation_config(transformers, stops),
                logits_processor=transformers.LogitsProcessorList([processor] if processor is not None else []),
            )
        prompt_len = encoded["input_ids"].shape[1]
        generated = sequences[:, prompt_len:].cpu()
        logprob_rows = processor.finish(sequences) if processor is not None else []
        elapsed_ms = (time.perf_counter() - started) * 1000 / max(len(requests), 1)
        prompt_tokens = encoded["attention_mask"].sum(dim=1).tolist()
        return [
            read_row(
                tokenizer,
                generated[row].tolist(),
                request,
                set(stops),
                logprob_rows[row] if logprob_rows else None,
                broken=processor is not None and row in processor.broken,
                max_new_tokens=self.max_new_tokens,
                prompt_tokens=int(prompt_tokens[row]),
                latency_ms=round(elapsed_ms, 2),
            )
            for row, request in enumerate(requests)
        ]

    def _encode(self, texts: list[str], photos: list[list[Any]] | None) -> Any:
        """The batch's prompts as padded token tensors on the model's device: through the processor when they carry
        photos (it spells each photo as the image tokens the model reads), padded on the left so that every row's
        answer starts at the same position."""
        if photos is not None:
            self._processor.tokenizer.padding_side = "left"
            return self._processor(
                text=texts, images=photos, return_tensors="pt", padding=True, add_special_tokens=False
            ).to(self._model.device)
        return self._tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(
            self._model.device
        )

    def _grammar_processor(
        self, xgr: Any, requests: list[GenerationRequest], stops: list[int]
    ) -> GrammarLogitsProcessor | None:
        """The logits processor that holds each answer to its request's JSON schema (and reads the chosen tokens'
        log-probabilities), or None for free text; a batch must be all one or the other, as the tagger sends it."""
        schemas = [r.schema for r in requests]
        if all(s is not None for s in schemas):
            grammars = [self._grammar(s) for s in schemas]  # type: ignore[arg-type]
            return GrammarLogitsProcessor(xgr, grammars, stops, self._vocab_size(), logprobs=self.logprobs)
        if any(s is not None for s in schemas):
            raise BackendError("a batch mixes requests with and without a schema; the tagger sends one kind")
        return None

    def _generation_config(self, transformers: Any, stops: list[int]) -> Any:
        """The sampling settings: greedy at temperature 0 (no temperature or top_p passed, which transformers warns
        of), and generation ended at any of the model's stop tokens."""
        return transformers.GenerationConfig(
            max_new_tokens=self.max_new_tokens,
            do_sample=self.temperature > 0,
            temperature=self.temperature if self.temperature > 0 else None,
            top_p=self.top_p if self.temperature > 0 else None,
            eos_token_id=stops,
            pad_token_id=self._tokenizer.pad_token_id,
        )


def _hf_parts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages in the shape Hugging Face processors' chat templates read: a photo is ``{"type": "image"}``."""
    return [
        m if isinstance(m["content"], str) else
        {**m, "content": [p if p["type"] == "text" else {"type": "image"} for p in m["content"]]}
        for m in messages
    ]  # fmt: skip
