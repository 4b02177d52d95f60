"""Where a command writes: a place that cannot be written is a setup mistake, said before the work (reading,
embedding, learning, tagging), not after it with a traceback.

The permission bits do not tell the whole story: root passes every ``os.access`` check, and /proc, /sys and
read-only mounts refuse what the bits allow. So the place is also probed: a file created there and removed at once
(an existing output is opened for appending, which changes nothing in it).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tagllm.errors import OutputError, os_reason
from tagllm.io.lock import OutputLock
from tagllm.io.readers import STDIO, detect_format
from tagllm.io.resume import check_replaceable, output_file
from tagllm.io.rows import refuse_column_clashes


def check_writable(target: str | Path, *, directory: bool = False) -> None:
    """Raise ``OutputError`` naming ``target`` when it cannot be written: a file (``directory=False``) or a directory
    the command creates or fills. Missing parent directories are fine where they can be created."""
    target = Path(target)
    if not directory and target.is_dir():
        raise OutputError(f"{target}: is a directory; give the output a file name")
    if directory and target.exists() and not target.is_dir():
        raise OutputError(f"{target}: is a file, not a directory")
    place = target if directory else target.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise OutputError(f"{target}: {place} is a file, not a directory")
    if not os.access(place, os.W_OK | os.X_OK) or (target.is_file() and not os.access(target, os.W_OK)):
        where = target if target.is_file() else place
        raise OutputError(f"{target}: {where} cannot be written (permissions, or a read-only disk); write it elsewhere")
    try:
        if target.is_file():
            with target.open("ab"):
                pass
        else:
            handle, probe = tempfile.mkstemp(dir=place, prefix=".tagllm-probe-")
            os.close(handle)
            os.unlink(probe)
    except OSError as exc:
        where = target if target.is_file() else place
        raise OutputError(f"{target}: {where} cannot be written ({os_reason(exc)}); write it elsewhere") from None


def check_index_place(target: str | Path) -> None:
    """An index is written into a new or empty directory, or over an index (its ``manifest.json`` says so): never
    among other files, which its own would overwrite (``index build -i .`` in a folder holding the user's
    examples.jsonl replaced it with the index's copy). Hidden entries (.DS_Store, .gitkeep) do not count."""
    target = Path(target)
    check_writable(target, directory=True)
    if not target.is_dir():
        return
    others = sorted(p.name for p in target.iterdir() if not p.name.startswith("."))
    if not others or _is_index(target):
        return
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    raise OutputError(
        f"{target}: holds files that are not an example index ({shown}), which the index's files could overwrite; "
        "give a new or empty directory"
    )


# The files ``ExampleIndex.save``, the scorer and ``build_index`` write; INDEX_OWN: those no other program's data is
# named like (the index's vectors come first, its manifest last)
INDEX_FILES = re.compile(
    r"index\.faiss|vectors\.npy|lexical(_matrix)?\.npz|examples\.jsonl|manifest\.json|scorer\.json|image_\w+\.np[yz]"
    r"|example_photos\.json"
)
INDEX_OWN = ("index.faiss", "vectors.npy", "lexical.npz", "lexical_matrix.npz", "scorer.json")


def _is_index(directory: Path) -> bool:
    """An index's directory: its manifest says so, or it holds only an index's files, one of them an index's own
    (a build cut off before it wrote its manifest, which it writes last: building again there is what to do)."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        if isinstance(manifest, dict) and "format" in manifest and "embedder" in manifest:
            return True
    except (OSError, ValueError):
        pass
    names = [p.name for p in directory.iterdir() if not p.name.startswith(".")]
    return all(INDEX_FILES.fullmatch(n) for n in names) and any(n in INDEX_OWN for n in names)


# an output named as a compressed file, and the tool that compresses the file written under its plain name
COMPRESSORS = {"gz": "gzip", "bz2": "bzip2", "xz": "xz", "zst": "zstd", "zip": "zip"}


def check_output_name(target: Path) -> None:
    """An output named as a compressed file (``tags.jsonl.gz``) is refused: tagllm writes none, and its results were
    written uncompressed under that name (with ``--output-format``, as the format's message advised), a file that
    zcat and pandas then refused to read."""
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in COMPRESSORS:
        return
    plain = target.with_suffix("")
    how = f"zip {plain}.zip {plain}" if suffix == "zip" else f"{COMPRESSORS[suffix]} {plain}"
    raise OutputError(
        f"{target}: tagllm writes no compressed output; write {plain} (-o {plain}) and compress it afterwards ({how})"
    )


def is_device(target: Path) -> bool:
    """Whether an output path names a device or a named pipe (``/dev/null``, a FIFO another program reads): written
    as a stream, as stdout is, with nothing written beside it."""
    return target.exists() and not target.is_file() and not target.is_dir()


def check_device(target: Path, fmt: str) -> None:
    """A device or pipe output that cannot be written is refused before the work. It is not opened to probe it: a
    pipe's open waits for its reader. Parquet is refused: its parts go beside the output, merged into a file that
    takes its place (a device replaced by a file)."""
    if fmt == "parquet":
        raise OutputError(f"{target}: Parquet cannot be written to a device or pipe; give an output file (-o FILE)")
    if not os.access(target, os.W_OK):
        raise OutputError(f"{target}: cannot be written (permissions); write the results elsewhere")


def check_output_place(target: Path, fmt: str) -> None:
    """An output path that cannot be written is a setup mistake, said before any model is loaded."""
    check_output_name(target)
    if is_device(target):
        check_device(target, fmt)
        return
    if target.is_dir():
        raise OutputError(f"{target}: is a directory; give the output a file name, e.g. {target / f'tags.{fmt}'}")
    check_writable(target)


def check_output(
    target: str | Path,
    format: str | None = None,
    *,
    resume: bool = False,
    facets: Sequence[str] = (),
    keep_columns: Sequence[str] = (),
    routed: bool = False,
) -> None:
    """Refuse an output a run could never write, before there is a tagger to write it (building one can take
    minutes: an index): a name with no format, a place that cannot be written, another run writing it, a file there
    that is no output (unless resumed), or a facet or kept column (those known yet: ``facets`` may be empty until
    the index is open, whose labelled facets the writer checks) that a CSV or Parquet row has a column of its own
    for. ``ResultWriter`` checks the same once it is made."""
    if str(target) != STDIO:
        check_output_name(Path(target))  # tags.jsonl.gz: said before its format is asked for
    out_format = detect_format(target, format, flag="--output-format", output=True)
    if str(target) != STDIO:
        check_output_place(Path(target), out_format)
        OutputLock(output_file(Path(target))).check()
        if not resume:
            check_replaceable(Path(target), out_format)
    refuse_column_clashes(out_format, facets, keep_columns, routed=routed)
