"""Reading the YAML files analysts write (a config file, an eval config) as one mapping, strictly: a key given twice
in one mapping is refused, and every error names the file.

Apart from ``tagllm.config`` because it is file reading, shared by every YAML settings file, not the settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagllm.errors import ConfigError, os_reason


def read_yaml_mapping(file: Path, what: str) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; errors name the file, and a key given twice is one."""
    import yaml

    text = ""
    try:
        text = file.read_text(encoding="utf-8")
        loaded = yaml.load(text, Loader=_loader()) or {}
    except _RepeatedKey as exc:
        raise ConfigError(f"{file}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_problem(file, exc, text)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read {what} ({os_reason(exc)})") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{file}: {what} is a mapping of setting: value")
    return loaded


class _RepeatedKey(Exception):
    """A key a YAML mapping gives twice."""


def _loader() -> Any:
    """YAML's safe loader, refusing a key that one mapping gives twice: YAML readers keep the last value without a
    word, so an analyst who edited ``threshold: 0.9`` near the top of a file ran with the ``threshold: 0.5`` below it.
    A merge (``<<: *defaults``) is still overridden by the keys beside it."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            lines: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = lines.setdefault(key, key_node.start_mark.line + 1)
                except TypeError:  # a key YAML cannot hold: the loader's own error says so
                    continue
                if first != key_node.start_mark.line + 1:
                    raise _RepeatedKey(
                        f"line {key_node.start_mark.line + 1}: {key!r} is given again (first on line {first}); "
                        "only one value can count: keep one"
                    )
            return super().construct_mapping(node, deep=deep)

    return Loader


def yaml_problem(path: Path, exc: Exception, text: str) -> str:
    """Why a file is not YAML, at its line and column: PyYAML's own message placed it 'in "<unicode string>", line 2,
    column 4' (or at 'position 930' for a character YAML refuses, a NUL byte), naming no file."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    position, character = getattr(exc, "position", None), getattr(exc, "character", None)
    if isinstance(position, int) and isinstance(character, int):  # yaml.reader.ReaderError: the character's code
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return f"{path}:{line}:{column}: not valid YAML: the character U+{character:04X} is not allowed: remove it"
    if mark is None or not problem:
        return f"{path}: cannot parse: {exc}"
    context, begun = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    since = f" ({context} from line {begun.line + 1})" if context and begun is not None else ""
    tab = "; YAML indents with spaces, not tabs" if "'\\t'" in problem else ""
    return f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {problem}{since}{tab}"
