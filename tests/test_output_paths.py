"""Outputs that cannot be written, and two runs writing one output: refused as setup mistakes (exit 2), saying why,
before any product is tagged and without touching what an earlier run wrote."""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.errors import InputError, OutputError
from tagllm.io import ResultWriter
from tagllm.models import TagResult

FORMATS = ["jsonl", "csv", "parquet"]


def _writer(path: Path, **options) -> ResultWriter:  # type: ignore[no-untyped-def]
    return ResultWriter(path, facets=["category"], **options)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_second_writer_of_an_output_is_refused_and_the_first_one_finishes_whole(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"tags.{fmt}"
    first = _writer(out)
    starting = _writer(out)  # a run still loading its models when the first one starts writing
    first.write([TagResult(product_id="p1")])
    with pytest.raises(OutputError) as error:  # before its models load: a fresh run would replace the output
        _writer(out)
    assert str(error.value) == (
        f"{out}: another tagllm run (process {os.getpid()}) is writing this output; wait for it to end (then --resume "
        "goes on from what it wrote), or write to another file"
    )
    with pytest.raises(OutputError, match="another tagllm run .* is writing this output"):
        starting.open()
    assert not starting.is_open
    first.write([TagResult(product_id="p2")])
    first.close()
    state = _writer(out, resume=True).state
    assert (sorted(state.last), state.rows) == (["p1", "p2"], 2)
    assert not (tmp_path / f".tags.{fmt}.lock").exists()  # gone once the output is whole
    again = _writer(out, resume=True)  # and the output can be written again
    again.write([TagResult(product_id="p3")])
    again.close()


def test_a_second_run_stops_before_reading_a_product(tmp_path: Path, demo_index_dir: Path) -> None:
    config = tmp_path / "tagllm.yaml"
    config.write_text(f"taxonomy: demo\nindex: {demo_index_dir}\nk: 5\n")
    src, out = tmp_path / "in.jsonl", tmp_path / "tags.jsonl"
    src.write_text(json.dumps({"id": "p1", "title": "Blue denim jeans"}) + "\n")
    holder = _writer(out, resume=True)
    holder.write([TagResult(product_id="p0")])  # another run, still writing
    result = CliRunner().invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config)])
    assert isinstance(result.exception, OutputError)  # main() prints it and exits 2
    assert str(result.exception).startswith(f"{out}: another tagllm run (process {os.getpid()}) is writing this output")
    holder.close()
    assert [json.loads(line)["product_id"] for line in out.read_text().splitlines()] == ["p0"]


@pytest.mark.parametrize("resume", [[], ["--resume"]])
def test_a_second_run_stops_before_the_tagger_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resume: list[str]
) -> None:
    # refused by the writer, after Tagger.from_config had built the index from --examples (2 min 19 s for the 30 demo
    # examples on a first run beside the run holding the output): the README says before any model loads
    from tagllm.tagger import Tagger

    def built(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the tagger was built (models loaded, the index built) before the refusal")

    monkeypatch.setattr(Tagger, "from_config", classmethod(built))
    config = tmp_path / "tagllm.yaml"
    config.write_text(f"taxonomy: demo\nexamples: {Path(__file__).parent / 'data' / 'demo_examples.jsonl'}\n")
    src, out = tmp_path / "in.jsonl", tmp_path / "tags.jsonl"
    src.write_text(json.dumps({"id": "p1", "title": "Blue denim jeans"}) + "\n")
    holder = _writer(out, resume=True)
    holder.write([TagResult(product_id="p0")])  # another run, still writing
    result = CliRunner().invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config), *resume])
    assert isinstance(result.exception, OutputError), result.output  # main() prints it and exits 2
    assert str(result.exception) == (
        f"{out}: another tagllm run (process {os.getpid()}) is writing this output; wait for it to end (then --resume "
        "goes on from what it wrote), or write to another file"
    )
    holder.close()
    assert [json.loads(line)["product_id"] for line in out.read_text().splitlines()] == ["p0"]


def test_an_output_that_is_a_directory_is_refused_at_once(tmp_path: Path) -> None:
    out = tmp_path / "tags.parquet"
    out.mkdir()
    with pytest.raises(OutputError) as error:
        _writer(out)
    assert str(error.value) == f"{out}: is a directory; give the output a file name, e.g. {out / 'tags.parquet'}"


def test_an_output_under_a_file_is_refused_at_once(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("x")
    with pytest.raises(OutputError) as error:
        _writer(tmp_path / "notes" / "new" / "tags.csv")
    assert (
        str(error.value)
        == f"{tmp_path / 'notes' / 'new' / 'tags.csv'}: {tmp_path / 'notes'} is a file, not a directory"
    )


def test_an_output_in_a_directory_that_cannot_be_written_is_refused_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as root a chmod does not stop writing, so the check is shown the answer a read-only directory gives
    place = tmp_path / "shared"
    place.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == place else real(path, mode))
    with pytest.raises(OutputError) as error:
        _writer(place / "tags.jsonl")
    assert str(error.value) == (
        f"{place / 'tags.jsonl'}: {place} cannot be written (permissions, or a read-only disk); write it elsewhere"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_output_the_system_refuses_to_open_is_a_setup_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    out = tmp_path / f"tags.{fmt}"
    writer = _writer(out)

    def refused(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refused)  # the first thing opening an output writes
    with pytest.raises(OutputError) as error:
        writer.open()
    assert str(error.value) == f"{out}: cannot write the output (Permission denied); write it elsewhere"
    assert not writer.is_open


@pytest.mark.parametrize("resume", [False, True])
def test_an_output_where_the_system_refuses_the_lock_file_is_a_setup_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resume: bool
) -> None:
    """The permission bits can allow a file the system then refuses (/proc, /sys, a read-only mount seen by root):
    the lock file beside the output was the first thing created, and its error was a traceback and 'tagllm
    crashed'."""
    out = tmp_path / "tags.csv"
    real = Path.open

    def refusing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.name == ".tags.csv.lock":
            raise PermissionError(13, "Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing)
    with pytest.raises(OutputError) as error:
        _writer(out, resume=resume)
    assert str(error.value) == (
        f"{out}: cannot write beside it (Permission denied, creating .tags.csv.lock); write it elsewhere"
    )


@pytest.mark.parametrize("resume", [False, True])
def test_an_output_whose_lock_file_the_full_disk_refuses_is_a_setup_error_not_a_crash(  # type: ignore[no-untyped-def]
    tmp_path: Path, resume: bool, file_size_limit
) -> None:
    """Run again with --resume while the disk is still full: writing the process id into the lock file failed with
    a bare OSError, and the command printed a traceback and 'tagllm crashed (a bug)'."""
    out = tmp_path / "tags.jsonl"
    writer = _writer(out)
    writer.write([TagResult(product_id="p1")])
    writer.close()
    file_size_limit(1)  # no room for the process id
    try:
        with pytest.raises(OutputError) as error:
            _writer(out, resume=resume)
    finally:
        file_size_limit(None)
    assert str(error.value) == (
        f"{out}: cannot write beside it (File too large, writing .tags.jsonl.lock); make room, or write it elsewhere"
    )
    assert not (tmp_path / ".tags.jsonl.lock").exists()
    assert sorted(_writer(out, resume=True).state.last) == ["p1"]  # nothing left locked


@pytest.fixture()
def file_size_limit():  # type: ignore[no-untyped-def]
    """Sets the largest file this process may write, as a full disk stops a write part way; restored after."""
    resource = pytest.importorskip("resource")
    import signal

    before = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us

    def limit(size: int | None) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, before[1]) if size is not None else before)

    yield limit
    resource.setrlimit(resource.RLIMIT_FSIZE, before)
    signal.signal(signal.SIGXFSZ, handler)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_write_the_disk_refuses_part_way_keeps_whole_rows_and_says_how_to_go_on(
    tmp_path: Path, fmt: str, file_size_limit
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / f"tags.{fmt}"
    writer = _writer(out)
    writer.write([TagResult(product_id="p1"), TagResult(product_id="p2")])
    file_size_limit(out.stat().st_size + 30 if fmt != "parquet" else 200)  # room for part of the next batch only
    try:
        with pytest.raises(OutputError) as error:
            writer.write([TagResult(product_id=f"q{i}") for i in range(20)])
    finally:
        file_size_limit(None)
    why = "File too large"  # a Parquet part's too: pyarrow's "Error writing bytes to file. Detail: …" was quoted
    assert str(error.value) == (
        f"{out}: cannot write the output ({why}); it keeps the 2 results written before, without the batch of 20 "
        "being written: make room (or remove the cause) and run again with --resume, which tags the rest"
    )
    writer.close()  # as the run does on its way out: the refused batch's torn rows are cut off
    state = _writer(out, resume=True).state
    assert (sorted(state.last), state.rows) == (["p1", "p2"], 2)
    assert not list(tmp_path.rglob("*.tmp"))  # nor is the refused Parquet part's half-written copy left behind
    resumed = _writer(out, resume=True)
    resumed.write([TagResult(product_id="q0")])
    resumed.close()
    assert sorted(_writer(out, resume=True).state.last) == ["p1", "p2", "q0"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_first_batch_bigger_than_the_room_left_says_that_nothing_was_written(
    tmp_path: Path, fmt: str, file_size_limit
) -> None:  # type: ignore[no-untyped-def]
    # the message said "what was written is kept" when nothing was: a user looked for results that were never there
    out = tmp_path / f"tags.{fmt}"
    writer = _writer(out)
    writer.open()
    file_size_limit((out.stat().st_size if fmt != "parquet" else 0) + 30)
    try:
        with pytest.raises(OutputError) as error:
            writer.write([TagResult(product_id=f"q{i}") for i in range(20)])
    finally:
        file_size_limit(None)
    assert str(error.value).endswith(
        "; none of its results were written (the batch of 20 being written did not fit): make room (or remove the "
        "cause) and run again with --resume, which tags the rest"
    )
    writer.close()
    assert _writer(out, resume=True).state.rows == 0


def test_a_resumed_output_the_disk_fills_up_under_says_what_it_holds_and_what_this_run_added(
    tmp_path: Path, file_size_limit
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "tags.jsonl"
    earlier = _writer(out)
    earlier.write([TagResult(product_id=f"p{i}") for i in range(3)])
    earlier.close()
    writer = _writer(out, resume=True)
    writer.write([TagResult(product_id="q1")])
    file_size_limit(out.stat().st_size + 30)
    try:
        with pytest.raises(OutputError) as error:
            writer.write([TagResult(product_id=f"r{i}") for i in range(5)])
    finally:
        file_size_limit(None)
    assert "it keeps the 4 results written before (1 of them by this run), without the batch of 5 being" in str(
        error.value
    )
    writer.close()
    assert sorted(_writer(out, resume=True).state.last) == ["p0", "p1", "p2", "q1"]


class _DiskFillsAfter:
    """An output file on a disk with room for ``rows`` more lines: the line that does not fit is refused with ENOSPC,
    as a full disk refuses it, after the lines that fit were written."""

    def __init__(self, stream: Any, rows: int) -> None:
        self._stream, self._room = stream, rows

    def write(self, text: str) -> int:
        lines = text.splitlines(keepends=True)
        taken = lines[: self._room]
        self._room -= len(taken)
        self._stream.write("".join(taken))
        self._stream.flush()
        if len(taken) < len(lines):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@pytest.mark.parametrize(("room", "held"), [(3, "it keeps the 2 results written before"), (1, "none of its results")])
def test_generate_on_a_disk_that_fills_up_says_what_the_output_holds_and_resume_tags_the_rest(
    tmp_path: Path, demo_index_dir: Path, monkeypatch: pytest.MonkeyPatch, room: int, held: str
) -> None:
    config = tmp_path / "tagllm.yaml"
    config.write_text(f"taxonomy: demo\nindex: {demo_index_dir}\nk: 5\nbatch_size: 2\n")
    src, out = tmp_path / "in.jsonl", tmp_path / "tags.jsonl"
    titles = ["Blue denim jeans", "Wool scarf", "Steel cooking pot", "Leather belt", "Cotton socks"]
    src.write_text("".join(json.dumps({"id": f"p{i}", "title": t}) + "\n" for i, t in enumerate(titles)))
    opened = ResultWriter._open

    def on_a_small_disk(self: ResultWriter) -> None:
        opened(self)
        self._stream = _DiskFillsAfter(self._stream, room)  # type: ignore[assignment]

    monkeypatch.setattr(ResultWriter, "_open", on_a_small_disk)
    result = CliRunner().invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config)])
    assert isinstance(result.exception, OutputError), result.output  # main() prints it and exits 2
    assert str(result.exception).startswith(f"{out}: cannot write the output (No space left on device); {held}")
    assert str(result.exception).endswith("and run again with --resume, which tags the rest")
    kept = [json.loads(line)["product_id"] for line in out.read_text().splitlines()]
    assert kept == (["p0", "p1"] if room == 3 else [])
    monkeypatch.undo()
    again = CliRunner().invoke(app, ["generate", str(src), "-o", str(out), "-c", str(config), "--resume"])
    assert again.exit_code == 0, again.output
    assert sorted(json.loads(line)["product_id"] for line in out.read_text().splitlines()) == [
        f"p{i}" for i in range(5)
    ]


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="needs the /dev/full device")
def test_an_output_on_a_full_device_says_no_space_left_not_invalid_argument() -> None:
    # -o /dev/full said "Invalid argument": the run, closing the output after the refused write, cut the device's
    # torn rows off with a truncate, which a character device refuses, and that error replaced the write's own
    # (a CSV output's header is refused sooner, as the writer opens: "write it elsewhere")
    device = Path("/dev/full")
    writer = ResultWriter(device, format="jsonl", facets=["category"])
    with pytest.raises(OutputError) as error:
        writer.write([TagResult(product_id="p1")])
    writer.close()  # as the run does on its way out: its error replaced the write's, and the run's message said it
    assert str(error.value) == (
        f"{device}: cannot write the output (No space left on device); it is a device, not a file, and keeps "
        "nothing to resume from: write the results to a file"
    )


def test_a_parquet_merge_the_disk_refuses_says_so_in_plain_words_and_resume_finishes_it(
    tmp_path: Path, file_size_limit
) -> None:  # type: ignore[no-untyped-def]
    # pyarrow's own words were quoted: "cannot write the output (Error writing bytes to file. Detail: [errno 27] File
    # too large)", where a CSV or JSONL output said "(File too large)"
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    out = tmp_path / "tags.parquet"
    writer = _writer(out)
    writer.write([TagResult(product_id="p0"), TagResult(product_id="p1")])
    file_size_limit(200)  # the parts are written; the merged copy does not fit
    try:
        with pytest.raises(OutputError) as error:
            writer.close()
    finally:
        file_size_limit(None)
    assert str(error.value) == (
        f"{out}: cannot write the output (File too large); it keeps the 2 results written before, in "
        f"{out}.parts/ until --resume merges them into it: make room (or remove the cause) and run again with "
        "--resume, which tags the rest"
    )
    _writer(out, resume=True).close()  # as the run advised: nothing left to tag, the parts are merged
    assert pq.read_table(out).column("product_id").to_pylist() == ["p0", "p1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tags.parquet"]


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="needs the /dev/full device")
def test_results_on_a_stdout_that_is_full_stop_with_a_message_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = Path("/dev/full").open("w", encoding="utf-8")  # noqa: SIM115 - its close fails, suppressed below
    monkeypatch.setattr("sys.stdout", full)
    writer = _writer(Path("-"))
    with pytest.raises(OutputError) as error:
        writer.write([TagResult(product_id="p1")])
    writer.close()  # as the run does on its way out
    monkeypatch.undo()
    with contextlib.suppress(OSError):  # what it holds still cannot be written
        full.close()
    assert str(error.value) == (
        "stdout: cannot write the results (No space left on device); the results written before stop there: make "
        "room, or write to a file (-o FILE), which --resume can finish after such a stop"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_resume_that_another_run_wrote_past_while_it_started_is_refused_and_loses_nothing(
    tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"tags.{fmt}"
    earlier = _writer(out)
    earlier.write([TagResult(product_id=f"p{i}") for i in range(3)])
    earlier.close()
    slow = _writer(out, resume=True)  # read the output, then loads its models
    quick = _writer(out, resume=True)  # starts and ends meanwhile
    quick.write([TagResult(product_id=f"q{i}") for i in range(4)])
    quick.close()
    with pytest.raises(OutputError) as error:  # its state would cut the quick run's rows off, or compact them away
        slow.write([TagResult(product_id="p1"), TagResult(product_id="s0")])
    assert str(error.value) == (
        f"{out}: another run wrote this output after this one read it (while this one was starting); nothing was "
        "written: run again with --resume to go on from what it holds"
    )
    assert not slow.is_open
    state = _writer(out, resume=True).state
    assert (sorted(state.last), state.rows) == (["p0", "p1", "p2", "q0", "q1", "q2", "q3"], 7)
    again = _writer(out, resume=True)  # as the run advised
    again.write([TagResult(product_id="s0")])
    again.close()
    assert _writer(out, resume=True).state.rows == 8


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_resume_of_an_output_another_run_is_writing_is_refused_before_it_reads_it(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"tags.{fmt}"
    first = _writer(out)
    first.write([TagResult(product_id="p1")])
    with pytest.raises(OutputError, match="another tagllm run .* is writing this output"):
        _writer(out, resume=True)  # before any model loads, and before its scan could remove the first's copy
    first.close()
    assert _writer(out, resume=True).state.rows == 1


def test_a_reader_that_closes_stdout_ends_the_run_with_141_and_says_so(tmp_path: Path) -> None:
    # `tagllm generate ... -o - | head -2`: the reader has what it asked for; exit 1 would say records failed
    import subprocess
    import sys

    products = tmp_path / "p.jsonl"
    rows = (json.dumps({"id": str(i), "title": f"Red cotton dress {i}"}) + "\n" for i in range(3000))
    products.write_text("".join(rows))
    command = [sys.executable, "-m", "tagllm", "generate", str(products), "--taxonomy", "demo", "-o", "-", "-q"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    assert run.stdout is not None and run.stderr is not None
    first = run.stdout.readline()
    run.stdout.close()
    stderr = run.stderr.read().decode()
    assert run.wait(timeout=120) == 141, stderr
    assert json.loads(first)["product_id"] == "0"
    assert "stdout was closed by its reader" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_generate_refuses_an_output_that_cannot_be_written_before_it_builds_the_tagger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """Building the tagger may embed every example into an index (25 s for the shipped 3,000, minutes for a
    catalogue's): an output that could never be written was refused only after that."""
    from tagllm.tagger import Tagger

    def built(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the tagger was built")

    monkeypatch.setattr(Tagger, "from_config", classmethod(built))
    (tmp_path / "notes").write_text("x")
    products = tmp_path / "in.jsonl"
    products.write_text('{"id": "p1", "title": "Blue denim jeans"}\n')
    out = tmp_path / "notes" / f"tags.{fmt}"
    result = CliRunner().invoke(app, ["generate", str(products), "-o", str(out), "-t", "demo"])
    assert isinstance(result.exception, OutputError)
    assert str(result.exception) == f"{out}: {tmp_path / 'notes'} is a file, not a directory"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_output_named_by_a_symlink_is_resumed_in_the_file_it_names(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "runs").mkdir()
    real, link = tmp_path / "runs" / f"r1.{fmt}", tmp_path / f"latest.{fmt}"
    first = _writer(real, settings={"threshold": 0.5})
    first.write([TagResult(product_id="p1", status="error"), TagResult(product_id="p2")])
    first.close()
    link.symlink_to(Path("runs") / real.name)
    with pytest.raises(InputError, match="threshold 0.5 \\(this run: 0.9\\)"):  # its settings are read through it
        _writer(link, resume=True, settings={"threshold": 0.9})
    again = _writer(link, resume=True, settings={"threshold": 0.5})
    assert sorted(again.state.failed) == ["p1"]
    again.write([TagResult(product_id="p1")])
    with pytest.raises(OutputError, match="another tagllm run"):  # one lock, whichever name the output is given
        _writer(real)
    again.close()
    assert link.is_symlink()  # not replaced by a compacted copy, leaving the file it named with two rows of p1
    state = _writer(real, resume=True).state
    assert (sorted(state.last), state.rows, state.failed) == (["p1", "p2"], 2, set())


@pytest.mark.parametrize(("name", "how"), [("tags.jsonl.gz", "gzip"), ("tags.csv.zst", "zstd")])
def test_an_output_named_as_a_compressed_file_is_refused_before_the_tagger_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, how: str
) -> None:
    # "cannot tell the format from the extension; pass --output-format", and with it the results were written
    # uncompressed under the .gz name, which zcat and pandas refuse to read
    from tagllm.tagger import Tagger

    def built(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the tagger was built")

    monkeypatch.setattr(Tagger, "from_config", classmethod(built))
    products = tmp_path / "in.jsonl"
    products.write_text('{"id": "p1", "title": "Blue denim jeans"}\n')
    out, plain = tmp_path / name, tmp_path / name.rpartition(".")[0]
    refused = (
        f"{out}: tagllm writes no compressed output; write {plain} (-o {plain}) and compress it afterwards "
        f"({how} {plain})"
    )
    for options in ([], ["--output-format", plain.suffix.lstrip(".")]):
        result = CliRunner().invoke(app, ["generate", str(products), "-o", str(out), "-t", "demo", *options])
        assert isinstance(result.exception, OutputError)
        assert str(result.exception) == refused
    with pytest.raises(OutputError) as error:
        _writer(out, format="jsonl")
    assert str(error.value) == refused
    assert not out.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_an_output_that_is_a_pipe_gets_its_rows_and_nothing_is_written_beside_it(tmp_path: Path) -> None:
    # an output that is no file (a named pipe, /dev/null) got a lock file and a settings record beside it: in /dev,
    # which only root may write, -o /dev/null was refused as "/dev cannot be written", and root's runs left
    # /dev/.null.settings.json behind; and --resume from a pipe read it as an output, waiting for a writer
    import threading

    pipe = tmp_path / "tags.jsonl"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    writer = ResultWriter(pipe, facets=["category"], settings={"taxonomy": "demo"})
    writer.write([TagResult(product_id="p1")])
    writer.close()
    reader.join()
    assert [json.loads(line)["product_id"] for line in received[0].decode().splitlines()] == ["p1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tags.jsonl"]
    with pytest.raises(InputError) as error:
        ResultWriter(pipe, facets=["category"], resume=True)
    assert str(error.value) == (
        f"--resume needs an output file: {pipe} is a device or pipe, which keeps nothing to resume from"
    )
    with pytest.raises(OutputError) as error:  # its merge would replace the pipe with a file
        ResultWriter(pipe, format="parquet", facets=["category"])
    assert str(error.value) == f"{pipe}: Parquet cannot be written to a device or pipe; give an output file (-o FILE)"


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="needs the /dev/full device")
def test_generate_to_a_full_device_says_no_space_left(tmp_path: Path, demo_index_dir: Path) -> None:
    config = tmp_path / "tagllm.yaml"
    config.write_text(f"taxonomy: demo\nindex: {demo_index_dir}\nk: 5\n")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "p1", "title": "Blue denim jeans"}) + "\n")
    args = ["generate", str(src), "-o", "/dev/full", "--output-format", "jsonl", "-c", str(config)]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, OutputError), result.output  # main() prints it and exits 2
    assert str(result.exception) == (
        "/dev/full: cannot write the output (No space left on device); it is a device, not a file, and keeps nothing "
        "to resume from: write the results to a file"
    )


def test_a_parquet_merge_the_disk_refuses_says_the_results_wait_in_the_parts_for_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the merge at the end needs room for a whole copy of the output: refused, it said "what was written is kept",
    # and a user reading tags.parquet found none of this run's results there
    out = tmp_path / "tags.parquet"
    writer = _writer(out)
    writer.write([TagResult(product_id="p1"), TagResult(product_id="p2")])

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("tagllm.io.writers.merge_parts", disk_full)
    with pytest.raises(OutputError) as error:
        writer.close()
    assert str(error.value) == (
        f"{out}: cannot write the output (No space left on device); it keeps the 2 results written before, in "
        f"{out}.parts/ until --resume merges them into it: make room (or remove the cause) and run again with "
        "--resume, which tags the rest"
    )
    monkeypatch.undo()
    resumed = _writer(out, resume=True)
    assert sorted(resumed.state.last) == ["p1", "p2"]
    resumed.close()
    assert (
        sorted(_writer(out, resume=True).state.last) == ["p1", "p2"] and not (tmp_path / "tags.parquet.parts").exists()
    )
