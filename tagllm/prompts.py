"""Prompt templates: find, load and render analysts' Jinja2 templates (sandboxed) into chat messages."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagllm.errors import ConfigError
from tagllm.models import Candidate, LabelledProduct, Product
from tagllm.schema import candidate_options
from tagllm.taxonomy import Taxonomy

REPO_PROMPT_DIR = Path(__file__).resolve().parents[1] / "prompts"
PROMPT_SUFFIXES = (".j2", ".jinja", ".jinja2")
ROLES = ("system", "user", "assistant")
DEFAULT_DESCRIPTION_CHARS = 600
DEFAULT_EXAMPLE_DESCRIPTION_CHARS = 200


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


class _MessageCollector:
    """Collects the ``{% call message("role") %}…{% endcall %}`` blocks of one render, in order."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []

    def message(self, role: str, caller: Callable[[], str] | None = None) -> str:
        if role not in ROLES:
            raise ConfigError(f"prompt message role {role!r} is not one of: {', '.join(ROLES)}")
        if caller is None:
            raise ConfigError('use message() as a call block: {% call message("user") %}…{% endcall %}')
        self.messages.append({"role": role, "content": caller().strip()})
        return ""


def _json(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, >, & and ' for HTML; a model should read the characters themselves.
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _environment(search_path: list[Path]) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=FileSystemLoader([str(p) for p in search_path]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters["json"] = _json
    return env


@dataclass
class Prompt:
    """A loaded template. ``render`` turns one product, its candidates and examples into chat messages."""

    name: str
    path: Path
    source: str
    hash: str
    taxonomy: Taxonomy
    _template: Any = field(repr=False)
    description_chars: int = DEFAULT_DESCRIPTION_CHARS
    example_description_chars: int = DEFAULT_EXAMPLE_DESCRIPTION_CHARS

    def render(
        self,
        product: Product,
        candidates: dict[str, list[Candidate]],
        examples: list[tuple[LabelledProduct, float]],
    ) -> list[dict[str, str]]:
        """The chat messages for one product: static instructions, then examples, candidates, product."""
        collector = _MessageCollector()
        context = self.context(product, candidates, examples)
        context["message"] = collector.message
        from jinja2 import TemplateError

        try:
            stray = self._template.render(context)
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = f"{self.path}:{line}" if line else str(self.path)
            raise ConfigError(f"prompt {where}: {type(exc).__name__}: {exc}") from None
        if stray.strip():
            raise ConfigError(
                f"prompt {self.path}: text outside a message block ({stray.strip()[:60]!r}); "
                'wrap it in {% call message("system"|"user") %}…{% endcall %}'
            )
        if not collector.messages:
            raise ConfigError(f"prompt {self.path}: renders no messages; see prompts/README.md")
        return collector.messages

    def context(
        self,
        product: Product,
        candidates: dict[str, list[Candidate]],
        examples: list[tuple[LabelledProduct, float]],
    ) -> dict[str, Any]:
        """The variables a template sees (documented in prompts/README.md)."""
        tax = self.taxonomy
        facets = [self._facet(name) for name in candidates]
        offered = {
            name: [
                self._candidate(label, tax.values.get(cand.id), cand)
                for label, cand in candidate_options(tax, name, cands)
            ]
            for name, cands in candidates.items()
        }
        return {
            "taxonomy": tax,
            "facets": facets,
            "candidates": offered,
            "examples": [self._example(ex, score, list(candidates)) for ex, score in examples],
            "product": self._product(product, self.description_chars),
            "answer_format": self._answer_format(facets),
        }

    # -- context pieces --------------------------------------------------------------------------------------
    def _facet(self, name: str) -> dict[str, Any]:
        facet = self.taxonomy.facets[name]
        return {
            "name": facet.name,
            "title": facet.title or facet.name,
            "description": facet.description,
            "hierarchical": facet.hierarchical,
            "multi_valued": facet.multi_valued,
            "required": facet.required,
            "labels": dict(facet.labels),
            "size": len(self.taxonomy.facet_values(name)),
        }

    def _candidate(self, label: str, value: Any, candidate: Candidate) -> dict[str, Any]:
        return {
            "label": label,
            "id": candidate.id,
            "name": candidate.name,
            "path": value.path if value is not None else None,
            "labels": dict(value.labels) if value is not None else {},
            "score": round(candidate.score, 3),
        }

    @staticmethod
    def _product(product: Product, description_chars: int) -> dict[str, Any]:
        shown: dict[str, Any] = {"title": product.title}
        if product.brand:
            shown["brand"] = product.brand
        if product.attributes:
            shown["attributes"] = product.attributes
        if product.queries:
            shown["queries"] = product.queries
        if product.description and description_chars > 0:
            text = product.description
            shown["description"] = text[:description_chars] + ("…" if len(text) > description_chars else "")
        # The product is shown as a JSON object: whatever its text says (quotes, newlines, "ignore the
        # above"),
        # it stays inside a string literal and cannot end the section or forge another message.
        return {**shown, "id": product.id, "json": _json(shown)}

    def _example(self, example: LabelledProduct, score: float, facets: list[str]) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        for name in facets:
            labels = self._label_names(name, example.labels.get(name, []))
            facet = self.taxonomy.facets[name]
            answer[name] = labels if facet.multi_valued else (labels[0] if labels else None)
        product = self._product(example, self.example_description_chars)
        return {
            "product": product,
            "similarity": round(float(score), 3),
            "answer": answer,
            "answer_json": _json(answer),
        }

    def _label_names(self, facet: str, ids: list[str]) -> list[str]:
        tax = self.taxonomy
        known = [i for i in dict.fromkeys(ids) if i in tax.values and tax.values[i].facet == facet]
        if tax.facets[facet].hierarchical:
            # A labelled example usually stores its ancestors too; the answer names only the most specific
            # node.
            covered = {a.id for i in known for a in tax.ancestors(i)}
            known = [i for i in known if i not in covered]
            return [tax.path_of(i) for i in known]
        return [tax.values[i].name for i in known]

    @staticmethod
    def _answer_format(facets: list[dict[str, Any]]) -> str:
        parts = []
        for f in facets:
            if f["multi_valued"]:
                shape = "[…]"
            elif f["required"]:
                shape = '"…"'
            else:
                shape = '"…" | null'
            parts.append(f'"{f["name"]}": {shape}')
        return "{" + ", ".join(parts) + "}"


def _template_sources(env: Any, name: str, seen: set[str] | None = None) -> list[str]:
    """The template's source and those of the templates it extends, includes or imports, in a stable order."""
    from jinja2 import meta

    seen = seen if seen is not None else set()
    if name in seen:
        return []
    seen.add(name)
    source, _, _ = env.loader.get_source(env, name)
    sources = [source]
    for ref in sorted(r for r in meta.find_referenced_templates(env.parse(source)) if r):
        sources.extend(_template_sources(env, ref, seen))
    return sources


def load_prompt(name_or_path: str | Path, taxonomy: Taxonomy) -> Prompt:
    """Load a template by name (looked up in ``prompt_dirs()``) or path, ready to render for ``taxonomy``."""
    from jinja2 import TemplateError

    path = resolve_prompt_path(name_or_path).resolve()
    env = _environment([path.parent, *(d for d in prompt_dirs() if d.is_dir() and d.resolve() != path.parent)])
    try:
        template = env.get_template(path.name)
        sources = _template_sources(env, path.name)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"prompt {path}{f':{line}' if line else ''}: {exc}") from None
    digest = hashlib.sha256("\0".join(sources).encode("utf-8")).hexdigest()[:16]
    return Prompt(
        name=path.stem,
        path=path,
        source=sources[0],
        hash=digest,
        taxonomy=taxonomy,
        _template=template,
    )
