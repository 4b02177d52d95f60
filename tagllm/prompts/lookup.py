"""Where prompt templates are found: $TAGLLM_PROMPT_DIR, ./prompts, the repository's prompts/; by name or path."""

from __future__ import annotations

import os
from pathlib import Path

from tagllm.errors import ConfigError

REPO_PROMPT_DIR = Path(__file__).resolve().parents[2] / "prompts"
PROMPT_SUFFIXES = (".j2", ".jinja", ".jinja2")


def prompt_dirs() -> list[Path]:
    """Where named prompts are looked up: $TAGLLM_PROMPT_DIR, ./prompts, then the repository's prompts/."""
    dirs = [Path(p) for p in os.environ.get("TAGLLM_PROMPT_DIR", "").split(os.pathsep) if p]
    return [*dirs, Path.cwd() / "prompts", REPO_PROMPT_DIR]


def available_prompts() -> list[str]:
    """Names of the templates found in ``prompt_dirs()``."""
    names = {p.stem for d in prompt_dirs() if d.is_dir() for p in d.iterdir() if p.suffix in PROMPT_SUFFIXES}
    return sorted(n for n in names if not n.startswith("_"))


def resolve_prompt_path(name_or_path: str | Path) -> Path:
    """A template file from a path, or a name looked up in ``prompt_dirs()`` (with or without ``.j2``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.parent == Path("."):
        for directory in prompt_dirs():
            for candidate in (
                directory / path.name,
                *(directory / f"{path.name}{s}" for s in PROMPT_SUFFIXES),
            ):
                if candidate.is_file():
                    return candidate
    raise ConfigError(
        f"unknown prompt {str(name_or_path)!r}: not a file, and no template of that name in "
        f"{', '.join(map(str, prompt_dirs()))} (known: {', '.join(available_prompts()) or 'none'})"
    )
