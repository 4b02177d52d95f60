"""Tiny random-weight chat models (tokenizer trained on the fly, Qwen2 or Llama shape) for tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# ChatML, as Qwen models write it; a Llama-3-style template covers the other common shape.
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
LLAMA3 = (
    "<|begin_of_text|>{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|begin_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
]
EOS = {"qwen": "<|im_end|>", "llama": "<|eot_id|>"}
TEMPLATES = {"qwen": CHATML, "llama": LLAMA3}


def build_tokenizer(corpus: Iterable[str], kind: str = "qwen", vocab_size: int = 512) -> Any:
    """A byte-level BPE tokenizer trained on ``corpus``, with the chat template of ``kind`` (qwen | llama).

    Byte-level with the full byte alphabet, like the tokenizers of real chat models: any text, Chinese
    included, can be encoded, so a grammar can always spell every candidate.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(corpus), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS[kind], pad_token="<|endoftext|>")
    fast.chat_template = TEMPLATES[kind]
    return fast


def build_model(
    tokenizer: Any,
    kind: str = "qwen",
    *,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int | None = None,
    vocab_size: int | None = None,
    seed: int = 0,
    dtype: Any = None,
    device: str | None = None,
) -> Any:
    """A random-weight causal LM of the given shape whose generation config stops on the tokenizer's eos."""
    import torch
    import transformers

    torch.manual_seed(seed)
    common: dict[str, Any] = dict(
        vocab_size=vocab_size or len(tokenizer),
        hidden_size=hidden,
        intermediate_size=intermediate or hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=8192,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=vocab_size is None,
    )

    def make() -> Any:
        if kind == "qwen":
            return transformers.Qwen2ForCausalLM(transformers.Qwen2Config(**common))
        return transformers.LlamaForCausalLM(transformers.LlamaConfig(**common))

    if device is not None or dtype is not None:
        with torch.device(device or "cpu"):
            model = make()
        if dtype is not None:
            model = model.to(dtype)
    else:
        model = make()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model.eval()
