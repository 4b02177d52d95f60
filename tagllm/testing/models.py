"""Tiny random-weight models built on the fly: a byte-level BPE tokenizer trained on a corpus, Qwen2- and
Llama-shaped chat models, CLIP and a LLaVA-shaped vision-language model. No weights are downloaded."""

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


def build_clip(directory: Any, corpus: Iterable[str], *, seed: int = 0) -> Any:
    """A random-weight CLIP (32-pixel photos, 16-dimensional embeddings) saved to ``directory`` as a transformers
    model directory, with an image processor and a tokenizer trained on ``corpus``; returns the directory."""
    from pathlib import Path

    import torch
    import transformers

    path = Path(directory)
    tokenizer = build_tokenizer(corpus, "llama", vocab_size=384)
    ids = {"bos_token_id": None, "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}
    text = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, **ids)
    config = transformers.CLIPConfig(
        text_config=dict(text, vocab_size=len(tokenizer), max_position_embeddings=64),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=16,
    )  # fmt: skip
    torch.manual_seed(seed)
    transformers.CLIPModel(config).save_pretrained(path)
    processor = transformers.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


# LLAMA3 with content parts: a photo becomes the processor's "<image>" placeholder
LLAMA3_VISION = (
    "<|begin_of_text|>{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for p in m['content'] %}"
    "{% if p['type'] == 'image' %}<image>{% else %}{{ p['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)


def build_vlm(corpus: Iterable[str], *, seed: int = 0) -> tuple[Any, Any]:
    """A random-weight LLaVA-shaped vision-language model (a one-layer CLIP vision tower on 32-pixel photos, 16
    image tokens each, into a two-layer Llama) and its processor, whose tokenizer is trained on ``corpus``."""
    import torch
    import transformers

    tokenizer = build_tokenizer(corpus, "llama")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    tokenizer.chat_template = LLAMA3_VISION
    vision = transformers.CLIPVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=32, patch_size=8
    )
    text = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=8192, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    config = transformers.LlavaConfig(
        vision_config=vision, text_config=text, image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_layer=-1, vision_feature_select_strategy="default",
    )  # fmt: skip
    torch.manual_seed(seed)
    model = transformers.LlavaForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    images = transformers.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor = transformers.LlavaProcessor(
        image_processor=images, tokenizer=tokenizer, patch_size=8, vision_feature_select_strategy="default",
        chat_template=LLAMA3_VISION, image_token="<image>", num_additional_image_tokens=1,
    )  # fmt: skip
    return model, processor
