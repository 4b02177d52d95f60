"""The sandbox templates render in: Jinja's immutable sandbox, limits on what one render may spend, one-line errors."""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import FileSystemLoader, TemplateNotFound, TemplateSyntaxError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from tagllm.errors import ConfigError, TagllmError

# What one render may produce and spend. A prompt of 2,000,000 characters is about four times the longest context
# an open model reads today: past it, a template is running away, not writing a prompt.
MAX_PROMPT_CHARS = 2_000_000
# Loop steps (range items, taxonomy iterations) and calls: a 20,000-value taxonomy listed a hundred times over.
MAX_TEMPLATE_STEPS = 2_000_000
MAX_RANGE = 100_000  # Jinja's own sandbox limit on one range()
MAX_INT_BITS = 16_384  # about 4,900 digits: Python prints no longer integer anyway


def to_json(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, >, & and ' for HTML; a model should read the characters themselves.
    return json.dumps(value, ensure_ascii=False, indent=indent, default=_not_json)


def _not_json(value: Any) -> Any:
    """A value ``json`` cannot write. A misspelt variable (``{{ c.lable | json }}``) is an undefined one: its own
    error names it, where json.dumps said only "Object of type StrictUndefined is not JSON serializable"."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# -- limits: what a template may spend ---------------------------------------------------------------------------
class Budget:
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


BUDGET: ContextVar[Budget | None] = ContextVar("tagllm_prompt_budget", default=None)


def spend(steps: int = 0, chars: int = 0) -> None:
    budget = BUDGET.get()
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
    spend(steps=len(numbers))
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
    spend(chars=len(text))
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

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Jinja tries a missing attribute as an item next; a view whose items are something else (the taxonomy's:
        # its values by id) would answer a misspelt attribute with its item's error ("no value with id 'nmae'")
        hint = getattr(type(obj), "MISSING_ATTRIBUTE_HINT", None)
        if hint is not None and not hasattr(obj, attribute):
            return self.undefined(hint.format(name=attribute), obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's names
        spend(steps=1)
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
    """Templates from the prompt directories, read as UTF-8 with or without a byte-order mark; hidden files (``.env``,
    ``.git/…``) are never read."""

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        if any(part.startswith(".") for part in re.split(r"[/\\]", template)):
            raise TemplateNotFound(template, f"{template!r}: hidden files cannot be included in a prompt")
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{template} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                "save it as UTF-8"
            ) from None
        # the mark an editor (Windows Notepad) puts before a UTF-8 file's text: read as text outside a message block,
        # it stopped the run ("text outside a message block ('\ufeff')"), or went into the prompt of an include
        return source.removeprefix("\ufeff"), filename, uptodate


def environment(search_path: list[Path]) -> Any:
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
    env.filters["json"] = to_json
    env.globals["range"] = _bounded_range
    env.globals.pop("lipsum", None)  # placeholder text has no place in a prompt, and its size is unbounded
    return env


def template_error(path: Path, exc: BaseException) -> ConfigError:
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
