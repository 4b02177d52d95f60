"""The exported encoders' tokenizer: the SentenceTransformer's own fast tokenizer, saved beside the export and run by
the ``tokenizers`` library (Rust), so that encoding from a cached export imports neither sentence-transformers nor
torch (``import sentence_transformers`` alone took some 6 s of a 24 s ``tagllm generate``).

What is saved is the tokenizer as transformers and sentence-transformers built it, not the model directory's
``tokenizer.json``: transformers 5 rebuilds a BERT tokenizer's normaliser from ``tokenizer_config.json`` and
sentence-transformers prepends a lowercasing step when its ``do_lower_case`` says so, and a directory's
``tokenizer.json`` may carry fixed padding (all-MiniLM-L6-v2's pads every text to 128 tokens). Batches are then
tokenised as ``Transformer.preprocess`` does: padded to the batch's longest text, truncated ``longest_first`` at the
embedder's ``max_seq_length``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

TOKENIZER_FILE = "tokenizer.json"
SETTINGS_FILE = "tokenizer-settings.json"


def save(model: Any, directory: Path) -> None:
    """Write ``model``'s (a SentenceTransformer's) tokenizer and how it pads into ``directory``."""
    hf = model.tokenizer
    if hf is None or getattr(hf, "backend_tokenizer", None) is None:
        raise ValueError("the embedder has no fast (tokenizers) tokenizer")
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(hf.backend_tokenizer.to_str())  # a copy: the model's own keeps its settings
    backend.no_truncation()
    backend.no_padding()
    backend.save(str(directory / TOKENIZER_FILE))
    settings = {
        "pad_id": hf.pad_token_id if hf.pad_token_id is not None else 0,
        "pad_type_id": int(getattr(hf, "pad_token_type_id", 0) or 0),
        "pad_token": str(hf.pad_token) if hf.pad_token is not None else "[PAD]",
        "padding_side": str(getattr(hf, "padding_side", "right")),
        "truncation_side": str(getattr(hf, "truncation_side", "right")),
    }
    (directory / SETTINGS_FILE).write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")


def native_max_length(model_dir: str | Path) -> int | None:
    """The longest input sentence-transformers gives the model in ``model_dir`` when nobody sets ``max_seq_length``:
    ``sentence_bert_config.json``'s, else the tokenizer's ``model_max_length`` capped at the model's position
    embeddings, as ``Transformer`` sets it on load; None when no file says."""
    root = Path(model_dir)
    sentence = _read_json(root / "sentence_bert_config.json")
    if isinstance(sentence.get("max_seq_length"), int):
        return int(sentence["max_seq_length"])
    limits = [
        _read_json(root / "tokenizer_config.json").get("model_max_length"),
        _read_json(root / "config.json").get("max_position_embeddings"),
    ]
    usable = [int(x) for x in limits if isinstance(x, int) and 0 < x < 1_000_000]  # transformers' "no limit" is 1e30
    return min(usable) if usable else None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    value = json.loads(path.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


class SentenceTokenizer:
    """Tokenises a batch of texts into the arrays a sentence graph takes, as the SentenceTransformer would."""

    def __init__(self, directory: str | Path, max_length: int | None) -> None:
        """``directory`` holds what ``save`` wrote; ``max_length`` is the embedder's ``max_seq_length``."""
        from tokenizers import Tokenizer

        root = Path(directory)
        settings = json.loads((root / SETTINGS_FILE).read_text(encoding="utf-8"))
        self.padding_side: str = settings["padding_side"]
        self._tokenizer = Tokenizer.from_file(str(root / TOKENIZER_FILE))
        if max_length:
            side = settings.get("truncation_side", "right")
            self._tokenizer.enable_truncation(max_length, strategy="longest_first", direction=side)
        self._tokenizer.enable_padding(
            direction=self.padding_side,
            pad_id=settings["pad_id"],
            pad_type_id=settings["pad_type_id"],
            pad_token=settings["pad_token"],
        )

    def __call__(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64, rows padded to the longest)."""
        encodings = self._tokenizer.encode_batch(list(texts))
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

    def token_ids(self, texts: Sequence[str]) -> list[tuple[int, ...]]:
        """Each text's token ids as the graph is fed them (truncated as ``__call__`` truncates), without padding."""
        encodings = self._tokenizer.encode_batch(list(texts))
        return [tuple(i for i, kept in zip(e.ids, e.attention_mask, strict=True) if kept) for e in encodings]


def check(model: Any, tokens: SentenceTokenizer, texts: Sequence[str]) -> None:
    """Raise ``ConfigError`` unless ``tokens`` gives the arrays ``model.preprocess`` (the SentenceTransformer's own
    tokenisation) gives on ``texts``; run before an export is used, so a tokenizer this module does not reproduce
    leaves the model to PyTorch instead of shifting its vectors."""
    from tagllm.errors import ConfigError

    expected = model.preprocess(list(texts))
    got = tokens(texts)
    for name, array in got.items():
        if name in expected and not np.array_equal(np.asarray(expected[name]), array):
            raise ConfigError(f"the saved tokenizer's {name} differ from sentence-transformers' on probe texts")
