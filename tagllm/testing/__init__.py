"""Test helpers: tiny random-weight chat models (tokenizer trained on the fly, Qwen2 or Llama shape), CLIP and a
LLaVA-shaped vision-language model; a hashing embedder that needs no weights, category trees written as rows, and an
OpenAI-compatible server on 127.0.0.1 that answers under each request's schema and injects faults at random."""

from tagllm.testing.hashing import HashingModel, category_values, hashing_embedder
from tagllm.testing.models import build_clip, build_model, build_tokenizer, build_vlm
from tagllm.testing.server import ANSWERED, FAULTS, NOT_RETRIED, FaultyChatServer, first_choices, schema_answer

__all__ = [
    "ANSWERED",
    "FAULTS",
    "NOT_RETRIED",
    "FaultyChatServer",
    "HashingModel",
    "build_clip",
    "build_model",
    "build_tokenizer",
    "build_vlm",
    "category_values",
    "first_choices",
    "hashing_embedder",
    "schema_answer",
]
