"""Prompt templates: find, load and render analysts' Jinja2 templates (sandboxed) into chat messages."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import secrets
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import FileSystemLoader, TemplateNotFound, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from tagllm.errors import ConfigError, TagllmError
from tagllm.models import Candidate, LabelledProduct, Product
from tagllm.schema import candidate_options
from tagllm.taxonomy import Facet, Taxonomy, Value

REPO_PROMPT_DIR = Path(__file__).resolve().parents[1] / "prompts"
PROMPT_SUFFIXES = (".j2", ".jinja", ".jinja2")
ROLES = ("system", "user", "assistant")
DEFAULT_DESCRIPTION_CHARS = 600
DEFAULT_EXAMPLE_DESCRIPTION_CHARS = 200
# What one render may produce and spend. A prompt of 2,000,000 characters is about four times the longest context
# an open model reads today: past it, a template is running away, not writing a prompt.
MAX_PROMPT_CHARS = 2_000_000
# Loop steps (range items, taxonomy iterations) and calls: a 20,000-value taxonomy listed a hundred times over.
MAX_TEMPLATE_STEPS = 2_000_000
MAX_RANGE = 100_000  # Jinja's own sandbox limit on one range()
MAX_INT_BITS = 16_384  # about 4,900 digits: Python prints no longer integer anyway


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
    """Collects the ``{% call message("role") %}…{% endcall %}`` blocks of one render, in order, and the places
    ``{{ image(i) }}`` puts the product's photos.

    A photo is marked in the rendered text by a token with a random part drawn for this render, so no product text
    can forge one; a message holding photos becomes a list of content parts, ``{"type": "text", "text": …}`` and
    ``{"type": "image", "index": i, "source": …}``, which each backend turns into what its engine takes."""

    def __init__(self, images: Sequence[str] = ()) -> None:
        self.messages: list[dict[str, Any]] = []
        self.images = list(images)
        self._token = f"\x00image-{secrets.token_hex(8)}-"
        self._marker = re.compile(re.escape(self._token) + r"(\d+)\x00")

    def message(self, role: str, caller: Callable[[], str] | None = None) -> str:
        if role not in ROLES:
            raise ConfigError(f"message role {role!r} is not one of: {', '.join(ROLES)}")
        if caller is None:
            raise ConfigError('use message() as a call block: {% call message("user") %}…{% endcall %}')
        content = caller()
        _spend(chars=len(content))  # text written directly in a block reaches no finalize: counted here
        self.messages.append({"role": role, "content": self._content(content.strip())})
        return ""

    def image(self, index: int = 0) -> str:
        if not isinstance(index, int) or not 0 <= index < len(self.images):
            raise ConfigError(
                f"image({index!r}): the product has {len(self.images)} photo(s) to show; "
                "place them with {% for photo in product.images %}{{ image(loop.index0) }}{% endfor %}"
            )
        return f"{self._token}{index}\x00"

    def _content(self, text: str) -> str | list[dict[str, Any]]:
        pieces = self._marker.split(text)
        if len(pieces) == 1:
            return text
        parts: list[dict[str, Any]] = []
        for i, piece in enumerate(pieces):
            if i % 2:
                parts.append({"type": "image", "index": int(piece), "source": self.images[int(piece)]})
            elif piece.strip():
                parts.append({"type": "text", "text": piece.strip()})
        return parts


def _json(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, >, & and ' for HTML; a model should read the characters themselves.
    return json.dumps(value, ensure_ascii=False, indent=indent)


# -- limits: what a template may spend ---------------------------------------------------------------------------
class _Budget:
    """The steps and output characters one render has spent; past a limit the render stops with a template error."""

    def __init__(self) -> None:
        self.steps = 0
        self.chars = 0

    def spend(self, steps: int = 0, chars: int = 0) -> None:
        self.steps += steps
        self.chars += chars
        if self.steps > MAX_TEMPLATE_STEPS:
            raise SecurityError(
                f"the template ran more than {MAX_TEMPLATE_STEPS:,} loop steps and calls (a loop inside a loop?)"
            )
        if self.chars > MAX_PROMPT_CHARS:
            raise SecurityError(f"the prompt is longer than {MAX_PROMPT_CHARS:,} characters")


_BUDGET: ContextVar[_Budget | None] = ContextVar("tagllm_prompt_budget", default=None)


def _spend(steps: int = 0, chars: int = 0) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(steps, chars)


def _check_size(what: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_PROMPT_CHARS:
        raise SecurityError(f"{what}: {value:,} is too large (at most {MAX_PROMPT_CHARS:,})")


def _check_result(what: str, value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_PROMPT_CHARS:
        raise SecurityError(f"{what} made something longer than {MAX_PROMPT_CHARS:,} characters")
    return value


_PRINTF_SIZES = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_printf(template: str, args: Any) -> None:
    """``"%0999999999d" % 1`` would fill memory: widths and precisions are limited like any size."""
    values = args if isinstance(args, tuple) else (args,)
    for width, precision in _PRINTF_SIZES.findall(template):
        for size in (width, precision):
            if size == "*":
                for value in values:
                    _check_size("a '%*' width", value)
            elif size:
                _check_size("a '%' width", int(size))


def _check_format_spec(template: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """``"{:>999999999}".format(1)`` likewise."""
    for _, _, spec, _ in string.Formatter().parse(template):
        if not spec:
            continue
        for size in re.findall(r"\d+", spec):
            _check_size("a format width", int(size))
        if "{" in spec:
            for value in (*args, *kwargs.values()):
                _check_size("a format width", value)


def _check_power(base: Any, exponent: Any) -> None:
    integers = isinstance(base, int) and isinstance(exponent, int)
    if integers and exponent > 0 and abs(base) > 1 and exponent * abs(base).bit_length() > MAX_INT_BITS:
        raise SecurityError(f"{base} ** {exponent} is too large a number")


def _check_repeat(left: Any, right: Any) -> None:
    for sequence, times in ((left, right), (right, left)):
        repeats = isinstance(sequence, str | list | tuple) and isinstance(times, int)
        if repeats and len(sequence) * times > MAX_PROMPT_CHARS:
            raise SecurityError(f"repeating {len(sequence):,} items {times:,} times is too long")


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range() of {len(numbers):,} numbers: at most {MAX_RANGE:,}")
    _spend(steps=len(numbers))
    return numbers


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter whose size arguments are limited (``center(10**9)``) and whose result is too."""

    first_option = 2 if hasattr(function, "jinja_pass_arg") else 1  # after the context or environment, the value

    @functools.wraps(function)  # keeps Jinja's pass_context/pass_environment mark
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for value in (*args[first_option:], *kwargs.values()):
            _check_size(f"filter {name}", value)
        if name == "format" and args and isinstance(args[0], str):
            _check_printf(args[0], tuple(args[1:]))
        return _check_result(f"filter {name}", function(*args, **kwargs))

    return bounded


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` output passes here: its length counts toward the prompt's limit."""
    text = value if isinstance(value, str) else str(value)
    _spend(chars=len(text))
    return text


class _PromptEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox (no attribute walks to Python internals, no changing lists or dicts), plus limits
    on what a template may spend: numbers, repeats, ranges, loop steps and calls, and output."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_repeat(left, right)
        elif isinstance(left, str):
            _check_printf(left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's names
        _spend(steps=1)
        what = f"{getattr(__obj, '__name__', 'a call')}()"
        if __obj is not _bounded_range:  # which has its own, lower limit
            for value in (*args, *kwargs.values()):
                _check_size(what, value)
        return _check_result(what, super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        template = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_spec(template, args, kwargs)
            return wrapper(*args, **kwargs)

        return checked


class _PromptLoader(FileSystemLoader):
    """Templates from the prompt directories; hidden files (``.env``, ``.git/…``) are never read."""

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        if any(part.startswith(".") for part in re.split(r"[/\\]", template)):
            raise TemplateNotFound(template, f"{template!r}: hidden files cannot be included in a prompt")
        return super().get_source(environment, template)


def _environment(search_path: list[Path]) -> Any:
    from jinja2 import StrictUndefined

    env = _PromptEnvironment(
        loader=_PromptLoader([str(p) for p in search_path]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=False,
        finalize=_finalize,
    )
    env.filters = {name: _bounded_filter(name, f) for name, f in env.filters.items()}
    env.filters["json"] = _json
    env.globals["range"] = _bounded_range
    env.globals.pop("lipsum", None)  # placeholder text has no place in a prompt, and its size is unbounded
    return env


def _template_error(path: Path, exc: BaseException) -> ConfigError:
    """A template's failure as one line naming the file and the template line where it happened."""
    filename, line = str(path), None
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        filename, line = exc.filename or filename, exc.lineno
    else:
        tb: TracebackType | None = exc.__traceback__
        while tb is not None:  # the innermost frame Jinja rewrote to point into a template
            if "__jinja_exception__" in tb.tb_frame.f_globals:
                filename, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    if isinstance(exc, RecursionError):
        what = "recursion too deep: a macro, a recursive loop or an include that calls itself without end"
    elif isinstance(exc, TagllmError | SecurityError | TemplateNotFound) or type(exc).__module__ == "jinja2.exceptions":
        what = str(exc) if not isinstance(exc, TemplateSyntaxError) else f"{type(exc).__name__}: {exc.message}"
    else:
        what = f"{type(exc).__name__}: {exc}"
    return ConfigError(f"prompt {filename}{f':{line}' if line else ''}: {what}")


# -- read-only views: what a template sees of shared objects -----------------------------------------------------
class _ReadOnlyMapping(Mapping[str, Any]):
    """A mapping a template can read and loop over (each loop counts toward its steps) but not change."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        _spend(steps=len(self._data))
        return iter(self._data)


class TaxonomyView:
    """The taxonomy as a template sees it: read-only. ``load_taxonomy`` hands every caller one shared object, so a
    template that could change it would change it for the rest of the process."""

    __slots__ = ("_taxonomy",)

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._taxonomy = taxonomy

    name = property(lambda self: self._taxonomy.name)
    version = property(lambda self: self._taxonomy.version)
    languages = property(lambda self: tuple(self._taxonomy.languages))
    source = property(lambda self: self._taxonomy.source)

    @property
    def facets(self) -> Mapping[str, Facet]:
        return _ReadOnlyMapping(self._taxonomy.facets)

    @property
    def values(self) -> Mapping[str, Value]:
        return _ReadOnlyMapping(self._taxonomy.values)

    def facet_values(self, facet: str) -> tuple[Value, ...]:
        values = tuple(self._taxonomy.facet_values(facet))
        _spend(steps=len(values))
        return values

    def children(self, value_id: str | None) -> tuple[Value, ...]:
        return tuple(self._taxonomy.children(value_id))

    def ancestors(self, value_id: str) -> tuple[Value, ...]:
        return tuple(self._taxonomy.ancestors(value_id))

    def path_of(self, value_id: str) -> str:
        return self._taxonomy.path_of(value_id)

    def is_leaf(self, value_id: str) -> bool:
        return self._taxonomy.is_leaf(value_id)

    def __len__(self) -> int:
        return len(self._taxonomy)

    def __contains__(self, value_id: object) -> bool:
        return value_id in self._taxonomy

    def __getitem__(self, value_id: str) -> Value:
        return self._taxonomy[value_id]


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
        *,
        category: str | None = None,
        images: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """The chat messages for one product: static instructions, then examples, candidates, product.

        ``category``: the category id already chosen, when this renders the attribute step of a two-step run.
        ``images``: the sources of the product's photos the backend will be given, in order; the template places
        them with ``image(i)`` (a message holding one has a list of content parts, see ``_MessageCollector``)."""
        collector = _MessageCollector(images)
        context = self.context(product, candidates, examples, category=category)
        context["product"]["images"] = [{"index": i, "source": source} for i, source in enumerate(images)]
        context["message"] = collector.message
        token = _BUDGET.set(_Budget())
        context["image"] = collector.image
        try:
            stray = "".join(self._stray_text(context))
        except Exception as exc:  # whatever a template does wrong, the user reads one line: where and what
            raise _template_error(self.path, exc) from None
        finally:
            _BUDGET.reset(token)
        if stray.strip():
            raise ConfigError(
                f"prompt {self.path}: text outside a message block ({stray.strip()[:60]!r}); "
                'wrap it in {% call message("system"|"user") %}…{% endcall %}'
            )
        if not collector.messages:
            raise ConfigError(f"prompt {self.path}: renders no messages; see prompts/README.md")
        return collector.messages

    def _stray_text(self, context: dict[str, Any]) -> Iterator[str]:
        """Render, keeping what is written outside message blocks (an error) only as far as it is shown."""
        kept = 0
        for chunk in self._template.generate(context):
            _spend(chars=len(chunk))
            if kept < 200:
                kept += len(chunk)
                yield chunk

    def context(
        self,
        product: Product,
        candidates: dict[str, list[Candidate]],
        examples: list[tuple[LabelledProduct, float]],
        *,
        category: str | None = None,
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
            "taxonomy": TaxonomyView(tax),
            "facets": facets,
            "candidates": offered,
            "examples": [self._example(ex, score, list(candidates)) for ex, score in examples],
            "product": self._product(product, self.description_chars),
            "answer_format": self._answer_format(facets),
            "category": self._category(category),
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

    def _category(self, category: str | None) -> dict[str, Any] | None:
        """The category chosen in step 1, as the attribute step shows it (``label``: its path, as step 1 answered)."""
        value = self.taxonomy.values.get(category) if category is not None else None
        if value is None:
            return None
        return {
            "id": value.id,
            "name": value.name,
            "label": self.taxonomy.path_of(value.id),
            "labels": dict(value.labels),
        }

    @staticmethod
    def _product(product: Product, description_chars: int) -> dict[str, Any]:
        shown: dict[str, Any] = {"title": product.title}
        if product.brand:
            shown["brand"] = product.brand
        if product.attributes:
            shown["attributes"] = dict(product.attributes)  # a copy: the template's, not the product's
        if product.queries:
            shown["queries"] = list(product.queries)
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
    path = resolve_prompt_path(name_or_path).resolve()
    if path.name.startswith("."):
        raise ConfigError(f"prompt {path}: hidden files are not prompt templates")
    env = _environment([path.parent, *(d for d in prompt_dirs() if d.is_dir() and d.resolve() != path.parent)])
    try:
        template = env.get_template(path.name)
        sources = _template_sources(env, path.name)
    except Exception as exc:  # a syntax error, a missing include, a literal too large to read
        raise _template_error(path, exc) from None
    digest = hashlib.sha256("\0".join(sources).encode("utf-8")).hexdigest()[:16]
    return Prompt(
        name=path.stem,
        path=path,
        source=sources[0],
        hash=digest,
        taxonomy=taxonomy,
        _template=template,
    )
