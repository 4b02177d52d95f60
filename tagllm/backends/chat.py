"""Chat prompts for local models: the model's own template, its control tokens defused, its stop tokens.

Shared by the transformers and vLLM backends, which must render the same text for the same messages."""

from __future__ import annotations

import json
from typing import Any

from tagllm.errors import ConfigError

# Qwen3-style templates take this switch; a model that "thinks" first could not answer under a JSON grammar.
DEFAULT_CHAT_TEMPLATE_KWARGS: dict[str, Any] = {"enable_thinking": False}


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


def reads_images(config: Any) -> bool:
    """Whether the configured backend would be given the product's photos (see each backend's ``images`` option)."""
    given = config.backend_options.get("images")
    if given is not None:
        return bool(given)
    if config.backend in ("vllm", "transformers"):
        return is_vision_model(config.model)
    return True  # openai sends photos unless told not to; the retrieval default's prompt is shown as openai's


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
