"""Loading the transformers backend's model, and what it holds: its tokenizer (or a vision-language model's
processor), the model on its device, its vocabulary and its context, with the check that the tokenizer is the model's.

Apart from ``tagllm.backends.transformers`` (turning requests into prompts and answering them in batches) because it is
about the model on disk and in memory, not about any request.
"""

from __future__ import annotations

from typing import Any

from tagllm.backends.chat import is_vision_model
from tagllm.errors import ConfigError

# Ordinary product text: any model's own tokenizer spells it in tokens that the model's embeddings hold.
PROBE_TEXT = "Red cotton T-shirt for men, size M"


def load_model(
    name: str | None, torch: Any, transformers: Any, *, device: str | None, dtype: str, trust_remote_code: bool
) -> tuple[Any, Any, Any]:
    """The model directory ``name`` loaded: the model on its device (``device``, else CUDA when there is one), its
    tokenizer, and a vision-language model's processor (None for a text model)."""
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
    model_class = transformers.AutoModelForCausalLM
    processor = None
    if is_vision_model(name):
        processor = transformers.AutoProcessor.from_pretrained(name, trust_remote_code=trust_remote_code)
        tokenizer = processor.tokenizer
        model_class = transformers.AutoModelForImageTextToText
    else:
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, trust_remote_code=trust_remote_code)
    model = model_class.from_pretrained(name, dtype=torch_dtype, trust_remote_code=trust_remote_code).to(device)
    model.eval()
    return model, tokenizer, processor


def check_tokenizer(tokenizer: Any, model: Any, name: str | None) -> None:
    """A tokenizer that is not the model's is a setup mistake, found before the first product. Without
    tokenizer.json (a download cut short, weights copied alone) transformers builds a tokenizer of one or two
    tokens that spells text as nothing, and another model's tokenizer spells ids the model's embeddings do not
    hold: either way every product failed one by one, with the grammar's or PyTorch's words for it."""
    ids = list(tokenizer(PROBE_TEXT, add_special_tokens=False)["input_ids"])
    fix = "copy the tokenizer files from the model's own download into the model directory"
    if not ids:
        raise ConfigError(
            f"the transformers backend: the tokenizer of {name} turns text into no tokens (it has "
            f"{len(tokenizer)}): its files (tokenizer.json, or vocab.json and merges.txt) are missing; {fix}"
        )
    vocab = vocab_size(model)
    if max(ids) >= vocab:
        raise ConfigError(
            f"the transformers backend: the tokenizer of {name} spells text with token ids up to "
            f"{max(ids)}, but the model has {vocab} tokens: it is another model's tokenizer; {fix}"
        )


def vocab_size(model: Any) -> int:
    """The tokens the model's output layer scores (its config's ``vocab_size`` where it has no output layer)."""
    out = model.get_output_embeddings()
    return int(out.weight.shape[0]) if out is not None else int(model.config.vocab_size)


def context_length(config: Any) -> int | None:
    """A model's context, from its ``config``: its positions (``max_position_embeddings``), times a RoPE scaling factor
    it sets; None where it does not say."""
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    positions = getattr(text, "max_position_embeddings", None)
    if not isinstance(positions, int) or positions <= 0:
        return None
    scaling = getattr(text, "rope_scaling", None)
    scaling = scaling if isinstance(scaling, dict) else {}
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind in {"linear", "dynamic", "yarn"} and isinstance(scaling.get("factor"), int | float):
        positions = int(scaling.get("original_max_position_embeddings", positions) * scaling["factor"])
    return positions
