"""The vllm backend: a contract test of what it hands the engine (no GPU), and a real run where vLLM and CUDA exist."""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tagllm.backends.base import GenerationRequest, message_text
from tagllm.backends.chat import chat_text

Requests = Callable[..., list[GenerationRequest]]
Check = Callable[[GenerationRequest, str], dict[str, Any]]


def _vllm_request_types() -> tuple[Any, Any]:
    try:
        from vllm.sampling_params import SamplingParams, StructuredOutputsParams
    except Exception as exc:  # ImportError, or a vllm whose own imports fail without its full stack
        pytest.skip(
            f"vllm's request types are not importable here ({type(exc).__name__}: {exc}); for the contract test: "
            "pip install vllm==0.33.0 --no-deps plus its light deps (docs/llm.md, Tests of the LLM path)"
        )
    return SamplingParams, StructuredOutputsParams


class RecordingLLM:
    """Stands in for ``vllm.LLM``: records every call, answers from the tiny model under each request's schema.

    It returns what vLLM returns (RequestOutput-shaped objects with real ``vllm.logprobs.Logprob`` values), so the
    backend's reading of engine output is exercised too.
    """

    def __init__(self, model: Any, tokenizer: Any) -> None:
        from tagllm.backends.transformers import TransformersBackend

        self.tokenizer = tokenizer
        self.answerer = TransformersBackend.from_model(model, tokenizer)
        self.calls: list[dict[str, Any]] = []
        self.queued: list[tuple[str, Any, Any, Any]] = []  # enqueue_chat's requests: id, conversation, params, kwargs
        self.request_ids = itertools.count()

    def get_tokenizer(self) -> Any:
        return self.tokenizer

    def generate(self, prompts: Any, sampling_params: Any = None, *, use_tqdm: bool = True) -> list[Any]:
        from vllm.logprobs import Logprob

        self.calls.append({"prompts": prompts, "sampling_params": sampling_params, "use_tqdm": use_tqdm})
        outputs = []
        for prompt, params in zip(prompts, sampling_params, strict=True):
            text = self.tokenizer.decode(prompt["prompt_token_ids"])
            schema = params.structured_outputs.json if params.structured_outputs else None
            answer = self.answerer._generate_batch(
                [GenerationRequest(product=_ANY_PRODUCT, candidates={}, schema=schema)], [text]
            )[0]
            ids = self.tokenizer(answer.text, add_special_tokens=False)["input_ids"]
            logprobs = [{t: Logprob(logprob=-0.1, rank=1, decoded_token=None)} for t in ids]
            completion = SimpleNamespace(
                text=answer.text,
                token_ids=ids,
                logprobs=logprobs if params.logprobs is not None else None,
                finish_reason="stop",
            )
            outputs.append(SimpleNamespace(prompt_token_ids=prompt["prompt_token_ids"], outputs=[completion]))
        return outputs

    def chat(
        self, messages: Any, sampling_params: Any = None, *, use_tqdm: bool = True, chat_template_kwargs: Any = None
    ) -> list[Any]:
        """What ``LLM.chat`` does for the tiny text model: the conversation's text through its chat template (the
        photo left out, which a vision-language model's processor would turn into its image tokens)."""
        from tagllm.backends.chat import chat_text

        self.calls.append(
            {"chat": messages, "sampling_params": sampling_params, "use_tqdm": use_tqdm, "kwargs": chat_template_kwargs}
        )
        prompts = []
        for conversation in messages:
            texts = [
                {"role": m["role"], "content": m["content"] if isinstance(m["content"], str) else
                 "\n".join(p["text"] for p in m["content"] if p["type"] == "text")}
                for m in conversation
            ]  # fmt: skip
            ids = self.tokenizer(chat_text(self.tokenizer, texts), add_special_tokens=False)["input_ids"]
            prompts.append({"prompt_token_ids": ids})
        outputs = self.generate(prompts, sampling_params, use_tqdm=use_tqdm)
        self.calls.pop()  # the inner generate is how this stand-in answers, not a call the backend made
        return outputs

    def enqueue_chat(
        self, messages: Any, sampling_params: Any = None, *, use_tqdm: bool = True, chat_template_kwargs: Any = None
    ) -> list[str]:
        """What ``LLM.enqueue_chat`` does: each conversation is checked and added to the engine (or refused with the
        error vLLM raises), to be run by ``wait_for_completion``."""
        added = []
        for conversation, params in zip(messages, sampling_params, strict=True):
            self.refuse(conversation)
            added.append(str(next(self.request_ids)))
            self.queued.append((added[-1], conversation, params, chat_template_kwargs))
        return added

    def wait_for_completion(self, output_type: Any = None, *, use_tqdm: bool = True) -> list[Any]:
        """What ``LLM.wait_for_completion`` does: the engine runs every queued request together (recorded as one
        ``chat`` call), and returns their outputs in the order of their request ids."""
        queued, self.queued = self.queued, []
        conversations = [conversation for _, conversation, _, _ in queued]
        params = [request_params for _, _, request_params, _ in queued]
        outputs = self.chat(conversations, params, use_tqdm=use_tqdm, chat_template_kwargs=queued[0][3])
        for (request_id, *_), output in zip(queued, outputs, strict=True):
            output.request_id = request_id
        return outputs

    def refuse(self, conversation: Any) -> None:
        """Raise what vLLM raises for a conversation it will not take; this stand-in takes every one."""


from tagllm.models import Product  # noqa: E402

_ANY_PRODUCT = Product(id="x", title="x")


def test_one_generate_call_per_batch_with_structured_outputs(
    tiny_llama: tuple[Any, Any], make_requests: Requests, check_answer: Check
) -> None:
    sampling_params_cls, structured_cls = _vllm_request_types()
    from tagllm.backends.chat import chat_text
    from tagllm.backends.vllm import VLLMBackend

    model, tokenizer = tiny_llama
    engine = RecordingLLM(model, tokenizer)
    backend = VLLMBackend.from_llm(engine, model="tiny", max_new_tokens=128)
    requests = make_requests()
    generations = backend.generate(requests)

    assert len(engine.calls) == 1  # the whole batch in one call: vLLM schedules it together
    call = engine.calls[0]
    assert call["use_tqdm"] is False
    assert len(call["prompts"]) == len(requests) == len(call["sampling_params"])
    for request, prompt, params in zip(requests, call["prompts"], call["sampling_params"], strict=True):
        # The model's own chat template, as token ids (no second BOS from re-tokenising text).
        expected = tokenizer(chat_text(tokenizer, request.messages), add_special_tokens=False)["input_ids"]
        assert prompt == {"prompt_token_ids": expected}
        assert isinstance(params, sampling_params_cls)
        assert isinstance(params.structured_outputs, structured_cls)
        assert params.structured_outputs.json == request.schema
        assert params.structured_outputs.disable_any_whitespace is True
        assert (params.max_tokens, params.temperature, params.logprobs) == (128, 0.0, 0)
    for request, generation in zip(requests, generations, strict=True):
        check_answer(request, generation.text)
        assert generation.prompt_tokens == len(
            tokenizer(chat_text(tokenizer, request.messages), add_special_tokens=False)["input_ids"]
        )
        # Every chosen value gets exp(sum of its tokens' log-probs) as confidence.
        answer = json.loads(generation.text)
        assert generation.confidences is not None
        assert set(generation.confidences) == {f for f, v in answer.items() if v not in (None, [])}


class ContextLLM(RecordingLLM):
    """A ``RecordingLLM`` with vLLM's context check: ``LLM.generate`` adds the batch's requests one by one and raises
    on the first prompt of ``max_model_len`` tokens or more, aborting the ones it added (the whole batch fails)."""

    def __init__(self, model: Any, tokenizer: Any, max_model_len: int) -> None:
        super().__init__(model, tokenizer)
        self.llm_engine = SimpleNamespace(model_config=SimpleNamespace(max_model_len=max_model_len))

    def generate(self, prompts: Any, sampling_params: Any = None, *, use_tqdm: bool = True) -> list[Any]:
        limit = self.llm_engine.model_config.max_model_len
        for prompt in prompts:
            if len(prompt["prompt_token_ids"]) >= limit:
                raise ValueError(
                    f"The decoder prompt (length {len(prompt['prompt_token_ids'])}) is longer than the maximum model "
                    f"length of {limit}. Make sure that `max_model_len` is no smaller than the number of text tokens."
                )
        return super().generate(prompts, sampling_params, use_tqdm=use_tqdm)


def test_a_prompt_longer_than_the_engines_context_fails_alone(
    tiny_llama: tuple[Any, Any], make_requests: Requests, check_answer: Check
) -> None:
    # before: vLLM refused the over-long prompt while adding the batch, and the ValueError failed every product of it
    _vllm_request_types()
    from tagllm.backends.vllm import VLLMBackend

    model, tokenizer = tiny_llama
    engine = ContextLLM(model, tokenizer, max_model_len=2048)
    requests = make_requests()[:3]
    requests[1].messages[-1]["content"] += " dress" * 3000  # type: ignore[index]
    first, second, third = VLLMBackend.from_llm(engine, model="tiny", max_new_tokens=100).generate(requests)
    assert second.error is not None
    assert re.fullmatch(
        r"the prompt is \d{4,5} tokens \(\d+ characters\): with max_new_tokens=100, more than the model's context of "
        r"2048 tokens; shorten the product's text or the template",
        second.error.message,
    )
    assert len(engine.calls) == 1 and len(engine.calls[0]["prompts"]) == 2  # the rest of the batch, together
    for request, generation in ((requests[0], first), (requests[2], third)):
        assert generation.error is None
        check_answer(request, generation.text)


def test_max_new_tokens_past_the_engines_context_is_a_setup_mistake() -> None:
    # before: the run started and every product failed alone, told to shorten its text or the template
    from tagllm.backends.vllm import VLLMBackend
    from tagllm.errors import ConfigError

    def engine(context: int) -> Any:
        config = SimpleNamespace(model="qwen", max_model_len=context)
        return SimpleNamespace(llm_engine=SimpleNamespace(model_config=config), get_tokenizer=lambda: None)

    with pytest.raises(ConfigError) as caught:
        VLLMBackend.from_llm(engine(2048), max_new_tokens=2048).load()
    assert str(caught.value) == (
        "the vllm backend: max_new_tokens=2048 leaves no room for a prompt in the engine's context of 2048 tokens "
        "(max_model_len); set backend_options.max_new_tokens below it (256 is the default), or max_model_len above it"
    )
    VLLMBackend.from_llm(engine(2048), max_new_tokens=2047).load()


def test_a_vllm_older_than_0_12_is_a_setup_mistake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # before: an older vLLM went unchecked; the schema goes as vLLM 0.12's structured_outputs, which it may refuse or
    # not apply, found at the first batch if at all
    from tagllm.backends import get_backend
    from tagllm.backends import vllm as module
    from tagllm.errors import ConfigError

    engine = SimpleNamespace(llm_engine=SimpleNamespace(model_config=SimpleNamespace(model="m", max_model_len=4096)))
    engine.get_tokenizer = lambda: None  # type: ignore[attr-defined]
    said = (
        "the vllm backend needs vLLM >= 0.12 (its structured outputs hold each answer to the taxonomy's values); "
        "vLLM 0.11.2 is installed: pip install -U 'vllm>=0.12'"
    )
    monkeypatch.setattr(module, "check_installed", lambda *args: None)  # CI runs the tests before installing vLLM
    monkeypatch.setattr(module, "_vllm_version", lambda: "0.11.2")
    with pytest.raises(ConfigError) as caught:
        get_backend("vllm", model=str(tmp_path))
    assert str(caught.value) == said
    with pytest.raises(ConfigError) as caught:
        module.VLLMBackend.from_llm(engine).load()  # an engine the caller built
    assert str(caught.value) == said
    for version in ("0.12.0rc1", "0.33.0", "1.0.0", None):
        monkeypatch.setattr(module, "_vllm_version", lambda version=version: version)
        get_backend("vllm", model=str(tmp_path))
        module.VLLMBackend.from_llm(engine).load()


class PhotoContextLLM(ContextLLM):
    """A ``ContextLLM`` for a vision-language model: vLLM counts each photo as the ``image_tokens`` its processor put
    in, and refuses a conversation whose prompt then reaches ``max_model_len`` (``LLM.chat`` adds its conversations
    one by one, so the whole call fails; ``enqueue_chat`` refuses that one). An answer stops at the context's end."""

    def __init__(self, model: Any, tokenizer: Any, max_model_len: int, image_tokens: int) -> None:
        super().__init__(model, tokenizer, max_model_len)
        self.image_tokens = image_tokens

    def prompt_length(self, conversation: Any) -> int:
        texts = [{"role": m["role"], "content": message_text(m["content"])} for m in conversation]
        parts = [p for m in conversation if isinstance(m["content"], list) for p in m["content"]]
        photos = sum(p["type"] == "image_pil" for p in parts)
        text = self.tokenizer(chat_text(self.tokenizer, texts), add_special_tokens=False)["input_ids"]
        return len(text) + photos * self.image_tokens

    def refuse(self, conversation: Any) -> None:
        from vllm.exceptions import VLLMValidationError

        length, limit = self.prompt_length(conversation), self.llm_engine.model_config.max_model_len
        if length >= limit:
            raise VLLMValidationError(
                f"The decoder prompt (length {length}) is longer than the maximum model length of {limit}. Make sure "
                "that `max_model_len` is no smaller than the number of text tokens plus multimodal tokens."
            )

    def chat(
        self, messages: Any, sampling_params: Any = None, *, use_tqdm: bool = True, chat_template_kwargs: Any = None
    ) -> list[Any]:
        for conversation in messages:
            self.refuse(conversation)
        outputs = super().chat(messages, sampling_params, use_tqdm=use_tqdm, chat_template_kwargs=chat_template_kwargs)
        for conversation, output in zip(messages, outputs, strict=True):
            length = self.prompt_length(conversation)
            output.prompt_token_ids = [0] * length
            room = self.llm_engine.model_config.max_model_len - length
            completion = output.outputs[0]
            if len(completion.token_ids) > room:
                completion.token_ids = completion.token_ids[:room]
                completion.text = self.tokenizer.decode(completion.token_ids)
                completion.finish_reason = "length"
        return outputs


def test_a_photo_prompt_longer_than_the_engines_context_fails_alone(
    tiny_llama: tuple[Any, Any], make_requests: Requests, photo_request: GenerationRequest, check_answer: Check
) -> None:
    # before: vLLM refused the photo prompt while adding LLM.chat's conversations; the exception failed the batch (the
    # text prompts' answers with it) and every product of it was asked again alone: 8 engine calls for 6 products
    _vllm_request_types()
    from tagllm.backends.vllm import VLLMBackend
    from tagllm.results import ask_backend

    model, tokenizer = tiny_llama
    engine = PhotoContextLLM(model, tokenizer, max_model_len=4096, image_tokens=1200)
    long_text, cut = copy.deepcopy(photo_request), copy.deepcopy(photo_request)
    long_text.messages[-1]["content"][0]["text"] += " dress" * 1100  # type: ignore[index]
    cut.messages[-1]["content"][0]["text"] += " dress" * 1000  # type: ignore[index]
    backend = VLLMBackend.from_llm(engine, model="tiny", max_new_tokens=100)
    lengths = [engine.prompt_length(backend.chat_messages(r)) for r in (photo_request, long_text, cut)]
    assert lengths == [2090, 4290, 4090]  # text and 1,200 tokens for the photo
    requests = [*make_requests()[:3], photo_request, long_text, cut, copy.deepcopy(photo_request)]
    generations = ask_backend(requests, backend)

    assert len(generations) == 7
    refused, stopped = generations[4].error, generations[5].error
    assert refused is not None and refused.message == (
        "the prompt is 4290 tokens with its photos: with max_new_tokens=100, more than the model's context of 4096 "
        "tokens; shorten the product's text or the template, or show fewer or smaller photos (image_limits.max_images, "
        "image_limits.llm_max_side)"
    )
    assert stopped is not None and stopped.message == (
        "the answer was cut after 6 tokens at the end of the model's context: the prompt is 4090 tokens, which leaves "
        "less room than max_new_tokens=100; shorten the product's text or the template, or show fewer or smaller "
        "photos (image_limits.max_images, image_limits.llm_max_side)"
    )
    # the rest of the batch in one engine run each: the text prompts, then the photo prompts vLLM took
    assert [len(call.get("prompts", call.get("chat", []))) for call in engine.calls] == [3, 3]
    for request, generation in zip(requests, generations, strict=True):
        if generation not in (generations[4], generations[5]):
            assert generation.error is None, generation.error
            check_answer(request, generation.text)


def test_the_attribute_step_is_one_generate_call_with_each_products_schema(
    tiny_llama: tuple[Any, Any], make_attribute_requests: Requests, check_answer: Check
) -> None:
    _, structured_cls = _vllm_request_types()
    from tagllm.backends.vllm import VLLMBackend

    model, tokenizer = tiny_llama
    engine = RecordingLLM(model, tokenizer)
    requests = make_attribute_requests("zeroshot-zh")
    generations = VLLMBackend.from_llm(engine, model="tiny").generate(requests)
    assert len(engine.calls) == 1
    for request, params, generation in zip(requests, engine.calls[0]["sampling_params"], generations, strict=True):
        assert isinstance(params.structured_outputs, structured_cls)
        assert params.structured_outputs.json == request.schema
        assert "category" not in request.schema["properties"]  # type: ignore[index]
        check_answer(request, generation.text)
    t_shirt = requests[3].schema
    assert t_shirt is not None and t_shirt["properties"]["audience"] == {
        "type": ["string", "null"],
        "enum": ["Women", "Unisex", None],
    }


@pytest.mark.slow
def test_a_two_step_run_hands_the_engine_two_batches(
    tiny_llama: tuple[Any, Any], demo_taxonomy: Any, demo_index_dir: Path, embedder: Any
) -> None:
    _vllm_request_types()
    from tagllm.backends.vllm import VLLMBackend
    from tagllm.config import TaggerConfig
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger

    model, tokenizer = tiny_llama
    engine = RecordingLLM(model, tokenizer)
    index = ExampleIndex.load(demo_index_dir, taxonomy=demo_taxonomy, embedder=embedder.name)
    facets = ["category", "color", "material", "audience"]
    config = TaggerConfig(k=5, max_candidates=4, facets=facets, attribute_mode="two_step")
    tagger = Tagger(demo_taxonomy, index=index, embedder=embedder, backend=VLLMBackend.from_llm(engine), config=config)
    products = [Product(id="a", title="Women's red cotton dress"), Product(id="b", title="Black leather boots")]
    results = tagger.tag(products)
    assert [r.status for r in results] == ["ok", "ok"]
    assert len(engine.calls) == 2  # the categories of the batch, then the attributes of the batch
    first, second = ([p.structured_outputs.json for p in call["sampling_params"]] for call in engine.calls)
    assert [list(schema["properties"]) for schema in first] == [["category"], ["category"]]
    assert [list(schema["properties"]) for schema in second] == [["color", "material", "audience"]] * 2
    for result in results:
        for facet in ("color", "material", "audience"):
            offered = {c.id for c in result.provenance.candidates[facet]}  # type: ignore[union-attr]
            assert {t.id for t in result.tags.get(facet, [])} <= offered
            # vLLM's log-probs of the chosen tokens (RecordingLLM reports -0.1 per token): a confidence below 1.
            assert all(0.0 < t.confidence < 1.0 for t in result.tags.get(facet, []))


def test_a_request_with_a_photo_goes_through_chat_with_the_photo_where_the_template_placed_it(
    tiny_llama: tuple[Any, Any], make_requests: Requests, photo_request: GenerationRequest, check_answer: Check
) -> None:
    _, structured_cls = _vllm_request_types()
    from vllm.renderers.chat_utils.chat_message import parse_chat_message_content_mm_part

    from tagllm.backends.chat import chat_text
    from tagllm.backends.vllm import VLLMBackend

    model, tokenizer = tiny_llama
    engine = RecordingLLM(model, tokenizer)
    backend = VLLMBackend.from_llm(engine, model="tiny", max_new_tokens=128)
    text_only = make_requests()[1]
    generations = backend.generate([photo_request, text_only])

    generate_call, chat_call = engine.calls  # text prompts as token ids in one call, photos through chat
    expected = tokenizer(chat_text(tokenizer, text_only.messages), add_special_tokens=False)["input_ids"]
    assert generate_call["prompts"] == [{"prompt_token_ids": expected}]
    (conversation,) = chat_call["chat"]
    messages = photo_request.messages or []
    photo = photo_request.images[0].image
    assert conversation == [
        messages[0],
        {"role": "user", "content": [messages[1]["content"][0], {"type": "image_pil", "image_pil": photo}]},
    ]
    # vLLM's own parser reads each part as the text and the PIL image
    parts = conversation[1]["content"]
    assert [parse_chat_message_content_mm_part(p) for p in parts] == [("text", parts[0]["text"]), ("image_pil", photo)]
    (params,) = chat_call["sampling_params"]
    assert isinstance(params.structured_outputs, structured_cls)
    assert params.structured_outputs.json == photo_request.schema
    assert chat_call["use_tqdm"] is False and chat_call["kwargs"] == {"enable_thinking": False}
    for request, generation in zip([photo_request, text_only], generations, strict=True):
        assert generation.error is None, generation.error
        check_answer(request, generation.text)


def test_photos_go_to_vision_language_models_only(tmp_path: Path) -> None:
    from tagllm.backends.vllm import VLLMBackend

    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "config.json").write_text('{"model_type": "qwen2"}')
    (tmp_path / "vlm").mkdir()
    (tmp_path / "vlm" / "config.json").write_text('{"model_type": "qwen2_vl", "vision_config": {"depth": 1}}')
    assert VLLMBackend(model=str(tmp_path / "text")).supports_images is False
    assert VLLMBackend(model=str(tmp_path / "vlm")).supports_images is True
    assert VLLMBackend(model=str(tmp_path / "vlm"), images=False).supports_images is False


def test_sampling_params_validate_in_vllm(make_requests: Requests) -> None:
    sampling_params_cls, _ = _vllm_request_types()
    from tagllm.backends.vllm import VLLMBackend
    from tagllm.errors import ConfigError

    backend = VLLMBackend(model="/models/qwen", temperature=0.7, top_p=0.9, seed=5, logprobs=False)
    params = backend.sampling_params(make_requests()[0])
    assert isinstance(params, sampling_params_cls)
    assert (params.temperature, params.top_p, params.seed, params.logprobs) == (0.7, 0.9, 5, None)
    with pytest.raises(Exception, match=r"top_p must be in \(0, 1\]"):  # vLLM validates what we build
        VLLMBackend(model="/m", temperature=0.7, top_p=0.0).sampling_params(make_requests()[0])
    with pytest.raises(ConfigError, match="^the vllm backend: max_new_tokens must be 1 or more, not 0; "):
        VLLMBackend(model="/m", max_new_tokens=0)  # refused before vLLM is asked, naming the setting


def test_engine_arguments_pass_through_to_vllm_LLM(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_llama: tuple[Any, Any], make_requests: Requests
) -> None:
    _vllm_request_types()
    import tagllm.backends.vllm as vllm_backend
    from tagllm.backends.vllm import VLLMBackend

    built: list[dict[str, Any]] = []
    model, tokenizer = tiny_llama

    def fake_llm(**kwargs: Any) -> RecordingLLM:
        built.append(kwargs)
        return RecordingLLM(model, tokenizer)

    # `vllm.LLM` itself would pull in the full engine stack; the contract is the keyword arguments it gets.
    monkeypatch.setattr(vllm_backend, "_import_vllm", lambda: SimpleNamespace(LLM=fake_llm))
    backend = VLLMBackend(
        model=str(tmp_path),
        tensor_parallel_size=2,
        pipeline_parallel_size=2,
        quantization="awq",
        max_model_len=8192,
        gpu_memory_utilization=0.85,
        engine_args={"enforce_eager": True, "enable_prefix_caching": False},
    )
    backend.generate(make_requests()[:1])
    assert built == [
        {
            "model": str(tmp_path),
            "tensor_parallel_size": 2,
            "pipeline_parallel_size": 2,
            "gpu_memory_utilization": 0.85,
            "enable_prefix_caching": False,
            "dtype": "auto",
            "seed": 0,
            "trust_remote_code": False,
            "quantization": "awq",
            "max_model_len": 8192,
            "enforce_eager": True,
        }
    ]


def test_missing_vllm_names_the_extra(monkeypatch: pytest.MonkeyPatch, make_requests: Requests) -> None:
    import sys

    from tagllm.backends.vllm import VLLMBackend
    from tagllm.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(MissingDependencyError, match=r"^the vllm backend needs the 'vllm' package: pip install"):
        VLLMBackend(model="/m").generate(make_requests()[:1])


def _gpu_reason() -> str | None:
    if importlib.util.find_spec("vllm") is None:
        return "needs vllm (pip install 'tagllm[vllm]') on a CUDA machine"
    import torch

    if not torch.cuda.is_available():
        return "needs a CUDA GPU: vLLM's engine does not run here"
    return None


@pytest.mark.gpu
@pytest.mark.vllm
@pytest.mark.slow
def test_vllm_engine_on_gpu_holds_answers_to_candidates(
    tiny_qwen_dir: Path, make_requests: Requests, check_answer: Check
) -> None:
    reason = _gpu_reason()
    if reason:
        pytest.skip(reason)
    from tagllm.backends.vllm import VLLMBackend

    backend = VLLMBackend(
        model=str(tiny_qwen_dir),
        gpu_memory_utilization=0.2,
        max_model_len=4096,
        temperature=1.0,
        engine_args={"enforce_eager": True},
    )
    requests = make_requests("fewshot") + make_requests("zeroshot-zh")
    for request, generation in zip(requests, backend.generate(requests), strict=True):
        assert generation.error is None
        check_answer(request, generation.text)
        assert generation.confidences is not None
