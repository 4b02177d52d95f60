"""The error hierarchy: every error says what went wrong, where, and what to do about it."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


class TagllmError(Exception):
    """Base of every error tagllm raises on purpose. ``is_retryable`` says whether trying again can help."""

    is_retryable: bool = False


class ConfigError(TagllmError):
    """A configuration file, flag or environment variable is wrong."""


class InputError(TagllmError):
    """An input file or record cannot be read; the message names the file, line and field."""


class InputWarning(UserWarning):
    """A run goes on, but reads the input otherwise than it was told: a column ``columns`` or ``keep_columns`` names
    is in none of the first records, or a file no ``columns`` were given for is read as a Shopify product export
    (``tagllm generate`` says so on stderr)."""


class OutputError(TagllmError):
    """An output cannot be written (a directory, permissions, a full disk, another run writing it); what was
    written before is kept, and a run can go on from it with --resume once the cause is gone."""

    is_retryable = True


class TaxonomyError(TagllmError):
    """A taxonomy cannot be loaded or is inconsistent."""


class IndexMismatchError(TagllmError):
    """An example index was built for another embedder or another taxonomy version."""


class MissingDependencyError(TagllmError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class BackendError(TagllmError):
    """A backend failed to produce an answer."""


class RunFailedError(TagllmError):
    """Every record of a run failed: there is nothing to score or show, so the run is an error, not a result."""


class RetryableBackendError(BackendError):
    """A transient backend failure (timeout, 429, 5xx, broken output): a retry can help."""

    is_retryable = True


def missing_dependency(package: str, extra: str, purpose: str) -> MissingDependencyError:
    """Build the error for a missing optional package; raise it ``from None``."""
    return MissingDependencyError(f"{purpose} needs the '{package}' package: pip install 'tagllm[{extra}]'")


def warn_caller(text: str, category: type[Warning]) -> None:
    """Warn at the first line outside tagllm that led here (the user's call, through however many of tagllm's own
    functions): a fixed ``stacklevel`` named tagllm's own line when the call came one function further in
    (``tagllm.tag_file`` calls ``Tagger.tag_file``)."""
    frame = sys._getframe(1)
    level = 2  # warnings.warn's: 1 is this function, 2 its caller
    while frame.f_back is not None and Path(frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(text, category, stacklevel=level)


def os_reason(exc: OSError) -> str:
    """Why the system refused a read or write, in its plain words ("No space left on device"): pyarrow's own
    ("Error writing bytes to file. Detail: [errno 28] No space left on device") were quoted as they came, where
    Python's file writes said it plainly."""
    if exc.errno:
        return os.strerror(exc.errno)
    return exc.strerror or str(exc)
