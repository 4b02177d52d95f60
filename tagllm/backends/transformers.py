"""The transformers backend: a local Hugging Face model, batched generation under an xgrammar JSON schema."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from typing import Any

from tagllm.backends.base import (
    Backend,
    Generation,
    GenerationRequest,
    check_installed,
    check_model_path,
    start_engine,
)
from tagllm.backends.confidence import decoded_spans, enum_ids, value_confidences
from tagllm.errors import BackendError, ConfigError, missing_dependency
from tagllm.models import RecordError
from tagllm.schema import schema_key

# Qwen3-style templates take this switch; a model that "thinks" first could not answer under a JSON grammar.
DEFAULT_CHAT_TEMPLATE_KWARGS: dict[str, Any] = {"enable_thinking": False}


def _import_engine() -> tuple[Any, Any, Any]:
    try:
        import torch
        import transformers
        import xgrammar
    except ImportError as exc:
        package = (exc.name or "transformers").split(".")[0]
        raise missing_dependency(package, "transformers", "the transformers backend") from None
    return torch, transformers, xgrammar


def chat_text(tokenizer: Any, messages: list[dict[str, Any]], template_kwargs: dict[str, Any] | None = None) -> str:
    """The model's own chat template applied to ``messages``, ready for generation.

    Some templates (Gemma, older Mistral) refuse a system message; then the system text opens the first user
    message instead, which is what those models were trained to read.
    """
    if getattr(tokenizer, "chat_template", None) is None:
        raise ConfigError(
            f"the tokenizer of {getattr(tokenizer, 'name_or_path', 'this model')!r} has no chat template; "
            "tagllm needs an instruction-tuned (chat) model"
        )
    kwargs = {**DEFAULT_CHAT_TEMPLATE_KWARGS, **(template_kwargs or {})}
    specials = getattr(tokenizer, "all_special_tokens", None)  # a processor keeps them on its tokenizer
    if specials is None:
        specials = getattr(getattr(tokenizer, "tokenizer", None), "all_special_tokens", [])
    messages = defuse_special_tokens(messages, list(specials))
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, **kwargs)
    except Exception as exc:  # jinja2's TemplateError, raised by the model's template itself
        if not messages or messages[0]["role"] != "system" or "system" not in str(exc).lower():
            raise
    system, rest = messages[0]["content"], [dict(m) for m in messages[1:]]
    if rest and rest[0]["role"] == "user" and isinstance(rest[0]["content"], list):
        rest[0]["content"] = [{"type": "text", "text": f"{system}\n\n"}, *rest[0]["content"]]
    elif rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    else:
        rest.insert(0, {"role": "user", "content": system})
    return tokenizer.apply_chat_template(rest, tokenize=False, add_generation_prompt=True, **kwargs)


def defuse_special_tokens(messages: list[dict[str, Any]], special_tokens: list[str]) -> list[dict[str, Any]]:
    """Messages whose text cannot forge a control token: product text saying "<|im_end|>" stays text.

    Tokenizers turn a special token's spelling into the token itself wherever it appears, so a product title
    could
    otherwise end the user turn. A zero-width space after the first character keeps the text readable. In a
    message made of content parts, each text part is defused."""
    tokens = [t for t in special_tokens if len(t) > 1]

    def defuse(text: str) -> str:
        for t in tokens:
            text = text.replace(t, t[0] + "\u200b" + t[1:])
        return text

    def text_of(m: dict[str, Any]) -> str:
        content = m["content"]
        return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)

    if not tokens or not any(t in text_of(m) for m in messages for t in tokens):
        return messages
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, str):
            out.append({**m, "content": defuse(content)})
        else:
            parts = [{**p, "text": defuse(p["text"])} if p.get("type") == "text" else p for p in content]
            out.append({**m, "content": parts})
    return out


def is_vision_model(model: str | None) -> bool:
    """Whether a model directory holds a vision-language model (its config has a ``vision_config``)."""
    from pathlib import Path

    config = Path(str(model)) / "config.json"
    try:
        return "vision_config" in json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def stop_token_ids(tokenizer: Any, generation_config: Any | None) -> list[int]:
    """Tokens that end an answer: the model's configured eos ids plus the tokenizer's eos token."""
    ids: list[int] = []
    configured = getattr(generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.append(configured)
    elif configured:
        ids.extend(int(i) for i in configured)
    if tokenizer.eos_token_id is not None:
        ids.append(int(tokenizer.eos_token_id))
    if not ids:
        raise ConfigError("the model defines no end-of-sequence token; set generation_config.eos_token_id")
    return list(dict.fromkeys(ids))


class GrammarLogitsProcessor:
    """Masks each row's logits to the tokens its JSON-schema grammar allows; records constrained log-probs.

    One instance per ``generate`` call (matchers hold state). A row whose grammar has finished may only emit a
    stop token, so padding rows never drift into free text. The log-probability of each chosen token under the
    constrained distribution is kept on the fly (one gather per step) instead of asking ``generate`` to store
    every step's full-vocabulary scores.
    """

    def __init__(self, xgr: Any, grammars: list[Any], stop_ids: list[int], vocab_size: int, *, logprobs: bool):
        self.xgr = xgr
        self.matchers = [xgr.GrammarMatcher(g) for g in grammars]
        self.bitmask = xgr.allocate_token_bitmask(len(grammars), vocab_size)
        self.stop_ids = stop_ids
        self.keep_logprobs = logprobs
        self.step_logprobs: list[Any] = []  # per step: (batch,) log-prob of the token chosen at that step
        self._last: Any = None
        self.broken: set[int] = set()
        self.stop_row = _stop_only_row(self.bitmask.shape[1], stop_ids)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self._last is not None:
            chosen = input_ids[:, -1]
            if self.keep_logprobs:
                # Stays on the device: one transfer at the end instead of a sync per step.
                self.step_logprobs.append(_chosen_logprob(self._last, chosen))
            chosen_ids = chosen.tolist()
            for i, matcher in enumerate(self.matchers):
                if not matcher.is_terminated() and not matcher.accept_token(chosen_ids[i]):
                    self.broken.add(i)
        for i, matcher in enumerate(self.matchers):
            if matcher.is_terminated() or i in self.broken:
                self.bitmask[i] = self.stop_row
            else:
                matcher.fill_next_token_bitmask(self.bitmask, i)
        if scores.device.type == "cuda":
            self.xgr.apply_token_bitmask_inplace(scores, self.bitmask.to(scores.device, non_blocking=True))
        else:
            # xgrammar's CPU kernel wants float32 logits.
            as_float = scores.float()
            self.xgr.apply_token_bitmask_inplace(as_float, self.bitmask)
            scores = as_float.to(scores.dtype)
        # The masked scores, kept until the next call reveals which token was chosen from them.
        self._last = scores
        return scores

    def finish(self, sequences: Any) -> list[list[float]]:
        """Per row, the log-prob of each generated token (``generate`` calls no processor after the last step)."""
        import torch

        if not self.keep_logprobs or self._last is None:
            return [[] for _ in self.matchers]
        steps = list(self.step_logprobs)
        steps.append(_chosen_logprob(self._last, sequences[:, -1]))
        return torch.stack(steps, dim=1).float().cpu().tolist()


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
        if model is None:
            raise ConfigError("the transformers backend needs --model: a Hugging Face model directory")

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
        self._load()

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
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = self.dtype if self.dtype == "auto" else getattr(torch, self.dtype)
        model_class = transformers.AutoModelForCausalLM
        if is_vision_model(self.model):
            self._processor = transformers.AutoProcessor.from_pretrained(
                self.model, trust_remote_code=self.trust_remote_code
            )
            self._tokenizer = self._processor.tokenizer
            model_class = transformers.AutoModelForImageTextToText
        else:
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(
                self.model, trust_remote_code=self.trust_remote_code
            )
        self._model = model_class.from_pretrained(self.model, dtype=dtype, trust_remote_code=self.trust_remote_code).to(
            device
        )
        self._model.eval()

    def _vocab_size(self) -> int:
        out = self._model.get_output_embeddings()
        return int(out.weight.shape[0]) if out is not None else int(self._model.config.vocab_size)

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
        ready: list[tuple[int, str, list[Any]]] = []  # request, its prompt text, the photos it shows
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
            ready.append((i, text, photos))
        # Similar lengths side by side: less padding per batch; prompts with photos batch apart (the processor
        # takes them together with their images).
        ready.sort(key=lambda item: (bool(item[2]), len(item[1])), reverse=True)
        for start in range(0, len(ready), self.batch_size):
            chunk = ready[start : start + self.batch_size]
            with_photos = [c for c in chunk if c[2]]
            for part in (with_photos, [c for c in chunk if not c[2]]):
                if not part:
                    continue
                shown = [c[2] for c in part] if part is with_photos else None
                try:
                    outputs = self._generate_batch([requests[i] for i, _, _ in part], [t for _, t, _ in part], shown)
                except BackendError as exc:
                    error = RecordError(message=str(exc), is_retryable=exc.is_retryable)
                    outputs = [Generation(error=error)] * len(part)
                for (i, _, _), generation in zip(part, outputs, strict=True):
                    results[i] = generation
        return [r if r is not None else Generation() for r in results]

    def _generate_batch(
        self, requests: list[GenerationRequest], texts: list[str], photos: list[list[Any]] | None = None
    ) -> list[Generation]:
        torch, transformers, xgr = _import_engine()
        model, tokenizer = self._model, self._tokenizer
        started = time.perf_counter()
        if photos is not None:
            self._processor.tokenizer.padding_side = "left"
            encoded = self._processor(
                text=texts, images=photos, return_tensors="pt", padding=True, add_special_tokens=False
            ).to(model.device)
        else:
            encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
        stops = stop_token_ids(tokenizer, model.generation_config)
        schemas = [r.schema for r in requests]
        processors = []
        processor: GrammarLogitsProcessor | None = None
        if all(s is not None for s in schemas):
            grammars = [self._grammar(s) for s in schemas]  # type: ignore[arg-type]
            processor = GrammarLogitsProcessor(xgr, grammars, stops, self._vocab_size(), logprobs=self.logprobs)
            processors.append(processor)
        elif any(s is not None for s in schemas):
            raise BackendError("a batch mixes requests with and without a schema; the tagger sends one kind")
        config = transformers.GenerationConfig(
            max_new_tokens=self.max_new_tokens,
            do_sample=self.temperature > 0,
            temperature=self.temperature if self.temperature > 0 else None,
            top_p=self.top_p if self.temperature > 0 else None,
            eos_token_id=stops,
            pad_token_id=tokenizer.pad_token_id,
        )
        if self.seed is not None and self.temperature > 0:
            torch.manual_seed(self.seed)
        with torch.inference_mode():
            sequences = model.generate(
                **encoded,
                generation_config=config,
                logits_processor=transformers.LogitsProcessorList(processors),
            )
        prompt_len = encoded["input_ids"].shape[1]
        generated = sequences[:, prompt_len:].cpu()
        logprob_rows = processor.finish(sequences) if processor is not None else []
        elapsed_ms = (time.perf_counter() - started) * 1000 / max(len(requests), 1)
        prompt_tokens = encoded["attention_mask"].sum(dim=1).tolist()
        stop_set = set(stops)
        outputs = []
        for row, request in enumerate(requests):
            ids = generated[row].tolist()
            # Up to and including the first stop token; what follows is padding.
            length = next((k + 1 for k, t in enumerate(ids) if t in stop_set), len(ids))
            ids = ids[:length]
            text = tokenizer.decode(ids, skip_special_tokens=True)
            confidences = None
            if logprob_rows and logprob_rows[row]:
                logprobs = logprob_rows[row][:length]
                confidences = value_confidences(
                    text,
                    decoded_spans(tokenizer, ids),
                    [lp if math.isfinite(lp) else -1e4 for lp in logprobs],
                    enum_ids(request.schema, request.candidates),
                )
            error = None
            if length == len(generated[row]) and (not ids or ids[-1] not in stop_set):
                error = RecordError(message=f"the answer was cut at max_new_tokens={self.max_new_tokens}; raise it")
            if processor is not None and row in processor.broken:
                error = RecordError(message="the grammar rejected a sampled token (xgrammar/tokenizer mismatch)")
            outputs.append(
                Generation(
                    text=text,
                    prompt_tokens=int(prompt_tokens[row]),
                    completion_tokens=len(ids),
                    latency_ms=round(elapsed_ms, 2),
                    confidences=confidences,
                    error=error,
                )
            )
        return outputs


def _hf_parts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages in the shape Hugging Face processors' chat templates read: a photo is ``{"type": "image"}``."""
    return [
        m if isinstance(m["content"], str) else
        {**m, "content": [p if p["type"] == "text" else {"type": "image"} for p in m["content"]]}
        for m in messages
    ]  # fmt: skip


def _chosen_logprob(scores: Any, chosen: Any) -> Any:
    """log softmax(scores)[chosen] per row, without materialising the full log-softmax (a vocabulary per row)."""
    import torch

    picked = scores.gather(1, chosen[:, None]).squeeze(1).float()
    return picked - torch.logsumexp(scores.float(), dim=-1)


def _stop_only_row(words: int, stop_ids: list[int]) -> Any:
    """A bitmask row (int32 words, bit set = allowed) that allows only the stop tokens."""
    import torch

    values = [0] * words
    for stop in stop_ids:
        values[stop // 32] |= 1 << (stop % 32)
    # Words are int32: a set bit 31 is stored as the negative number with the same bits.
    return torch.tensor([v - 2**32 if v >= 2**31 else v for v in values], dtype=torch.int32)
