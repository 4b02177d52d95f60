"""Prompt templates: find, load and render analysts' Jinja2 templates (sandboxed) into chat messages.

``lookup`` (where templates are found) ▸ ``sandbox`` (the Jinja environment and the limits on what one render may
spend) ▸ ``messages`` (message blocks and photos) ▸ ``views`` (the read-only taxonomy a template sees) ▸ ``prompt``
(``Prompt``, ``load_prompt``).
"""

from tagllm.prompts.lookup import PROMPT_SUFFIXES, REPO_PROMPT_DIR, available_prompts, prompt_dirs, resolve_prompt_path
from tagllm.prompts.messages import ROLES
from tagllm.prompts.prompt import (
    DEFAULT_DESCRIPTION_CHARS,
    DEFAULT_EXAMPLE_DESCRIPTION_CHARS,
    Prompt,
    load_prompt,
    prompt_hash,
)
from tagllm.prompts.sandbox import MAX_INT_BITS, MAX_PROMPT_CHARS, MAX_RANGE, MAX_TEMPLATE_STEPS
from tagllm.prompts.views import TaxonomyView

__all__ = [
    "DEFAULT_DESCRIPTION_CHARS",
    "DEFAULT_EXAMPLE_DESCRIPTION_CHARS",
    "MAX_INT_BITS",
    "MAX_PROMPT_CHARS",
    "MAX_RANGE",
    "MAX_TEMPLATE_STEPS",
    "PROMPT_SUFFIXES",
    "REPO_PROMPT_DIR",
    "ROLES",
    "Prompt",
    "TaxonomyView",
    "available_prompts",
    "load_prompt",
    "prompt_hash",
    "prompt_dirs",
    "resolve_prompt_path",
]
