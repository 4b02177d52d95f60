"""The settings an output's rows were tagged under, kept beside it (``.OUT.settings.json``), so that ``--resume`` with
other settings (another taxonomy, facets, threshold, index, backend, prompt…) is refused, naming what changed, instead
of mixing rows tagged under the old settings with rows tagged under the new ones.

Refused rather than tagged again: ``--resume`` means "finish this run", and a flag changed by mistake must not throw
away an output's work (hours of an LLM); a run without ``--resume`` already tags every product again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tagllm.errors import InputError, OutputError, os_reason


def settings_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.settings.json")


def run_settings(tagger: Any) -> dict[str, Any] | None:
    """What decides a product's tags in this tagger (not what only decides speed or place: device, batch size,
    embedder runtime, server URL, backend options that may hold keys); None for a stand-in without a config.

    ``allow_remote_images`` is not one of them: it decides only whether a product's remote photos are read, and a row
    tagged without them says so (``unfetched_photos``), so ``--resume --allow-remote-images`` tags exactly those
    products again instead of being refused, and a resume without the flag keeps the rows tagged from fetched photos
    (more evidence, not other settings). Recorded, it would refuse the very retry a user adds the flag for."""
    config = getattr(tagger, "config", None)
    if config is None:
        return None
    taxonomy = tagger.taxonomy
    index = getattr(tagger, "index", None)
    steps = getattr(tagger, "steps", None)
    prompts = [p for p in (steps.prompt, steps.attribute_prompt) if p is not None] if steps is not None else []
    if index is None:
        place = None
    elif index.path is None:  # built in memory
        place = index.version
    else:
        place = f"{Path(index.path).resolve()} {index.version}"
    return {
        "taxonomy": f"{taxonomy.name} {taxonomy.version}",
        "index": place,
        "facets": list(tagger.facets),
        "backend": getattr(tagger.backend, "name", config.backend),
        "model": getattr(tagger.backend, "model", None) or config.model,  # a backend built and handed in names it
        "prompt": " + ".join(f"{p.name} {p.hash}" for p in prompts) or None,
        "attribute_mode": config.attribute_mode if prompts else None,
        "threshold": config.threshold,
        "keep_precision": config.keep_precision,
        "route_threshold": config.route_threshold,
        "k": config.k,
        "max_candidates": config.max_candidates,
        "inputs": list(config.inputs),
        "ignore_fields": list(config.ignore_fields),
        "add_ancestors": config.add_ancestors,
        # the encoders in use, as the index names them: the command line fills these settings in from the index, and a
        # tagger built in Python may leave them unset for the same encoders
        "embedder": getattr(getattr(tagger, "embedder", None), "model_name", config.embedder),
        "image_embedder": getattr(getattr(tagger, "image_encoder", None), "name", None),
    }


def read_settings(target: Path) -> dict[str, Any] | None:
    """The settings recorded beside ``target``, or None (an output written before they were, or moved without them).
    A record there that cannot be read (cut off, edited, not a file) is refused: read as no record, it let a resume
    under other settings (another taxonomy) add its rows to the output's, unchecked, and never recorded them."""
    path = settings_path(target)
    if not path.exists() and not path.is_symlink():
        return None
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not JSON"
        raise _unreadable(path, target, why) from None
    if not isinstance(recorded, dict):
        raise _unreadable(path, target, "not a JSON object")
    return recorded


def _unreadable(path: Path, target: Path, why: str) -> InputError:
    return InputError(
        f"{path}: the record of the settings {target} was tagged under cannot be read ({why}), so --resume cannot "
        "tell whether this run's are the same; if they are, delete that file and resume (by product id alone), "
        "else run without --resume to tag every product again"
    )


def check_settings(target: Path, recorded: dict[str, Any], settings: dict[str, Any]) -> None:
    """Refuse to resume ``target`` under settings other than those it was tagged under, naming each that changed
    (a setting the record does not hold, from an older tagllm, is not compared)."""
    changed = [
        f"{name} {_shown(recorded[name])} (this run: {_shown(value)})"
        for name, value in settings.items()
        if name in recorded and _same(recorded[name]) != _same(value)
    ]
    if changed:
        raise InputError(
            f"{target} was written with other settings than this run's: {'; '.join(changed)}. --resume goes on with "
            "the settings the output was written with: resume with those, or tag every product again with these "
            f"(run without --resume: it replaces {target}), or write to a new file"
        )


def check_row_taxonomies(target: Path, taxonomies: dict[str, str], settings: dict[str, Any]) -> None:
    """Refuse to resume, by product id alone, an output with no record of its settings whose rows name another
    taxonomy version than this run's (``taxonomies``: product id -> the version its row names): they were kept as
    done, and the rest tagged against this run's taxonomy, two versions in one output."""
    if settings.get("taxonomy") is None:
        return
    version = str(settings["taxonomy"]).rsplit(" ", 1)[-1]  # "name version"
    other = {product_id: v for product_id, v in taxonomies.items() if v != version}
    if not other:
        return
    named = ", ".join(map(repr, list(other)[:3])) + (", …" if len(other) > 3 else "")
    versions = ", ".join(sorted(set(other.values())))
    raise InputError(
        f"{target}: {len(other)} of its rows (products {named}) were tagged against taxonomy version {versions}, "
        f"this run's is {version}, and the record of the settings they were tagged under is not beside it (written "
        "by an older tagllm, or moved without it): resume with the taxonomy they were tagged against, or tag every "
        f"product again with this one (run without --resume: it replaces {target}), or write to a new file"
    )


def check_settings_place(target: Path) -> None:
    """Refuse, before any model loads, a record's place that holds something other than a file: a directory there
    failed only when the run began writing, as "cannot write the output", blaming the output, and left the record's
    ``.tmp`` copy behind."""
    path = settings_path(target)
    if path.is_dir():
        raise OutputError(
            f"{path}: is a directory, where tagllm keeps the record of the settings {target} is tagged under; "
            "remove or rename it, or write the output elsewhere"
        )


def write_settings(target: Path, settings: dict[str, Any]) -> None:
    """Record ``settings`` beside ``target`` (whole or not at all); a record that cannot be written is named, and its
    ``.tmp`` copy removed."""
    path = settings_path(target)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(settings, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(
            f"{path}: cannot write the record of the settings {target} is tagged under ({os_reason(exc)}); "
            "remove what is in its place, or write the output elsewhere"
        ) from None


def _same(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))  # as read back: tuples are lists, paths strings


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
