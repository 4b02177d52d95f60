"""Every command that writes says a place it cannot write before its work, as a setup error (exit 2): not a traceback
and 'tagllm crashed' (exit 3) after the products were read, embedded or learned from.

As root the permission bits allow everything, and /proc, /sys and read-only mounts refuse what they allow, so the
place is probed by creating a file there; these tests show the probe the answer such a place gives. The input each
command is given does not exist: the error being about the output shows the output was checked first."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app
from tagllm.errors import InputError, OutputError
from tagllm.io.places import check_writable
from tagllm.taxonomy import load_taxonomy, save_own

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory whose files the system refuses although the permission bits allow them."""
    place = tmp_path / "mounted"
    place.mkdir()
    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(kwargs.get("dir", "")) == place:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return place


def test_a_place_the_system_refuses_is_named_with_its_reason(refused: Path, tmp_path: Path) -> None:
    with pytest.raises(OutputError) as error:
        check_writable(refused / "new" / "index", directory=True)
    assert (
        str(error.value)
        == f"{refused / 'new' / 'index'}: {refused} cannot be written (Permission denied); write it elsewhere"
    )
    assert not (refused / "new").exists()  # the check creates nothing
    check_writable(tmp_path / "elsewhere" / "tags.yaml")
    assert list(tmp_path.iterdir()) == [refused]  # nor leaves its probe behind
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a directory"):
        check_writable(tmp_path / "notes.txt", directory=True)
    with pytest.raises(OutputError, match="is a directory; give the output a file name"):
        check_writable(refused)


@pytest.mark.parametrize(
    "command",
    [
        ["taxonomy", "build", "{missing}", "-o", "{place}/taxonomy.yaml"],
        ["index", "build", "{missing}", "-t", "demo", "-i", "{place}/index"],
        ["eval", "run", str(REPO / "eval" / "flipkart.yaml"), "--output", "{place}/runs", "--sample", "2"],
        ["eval", "compare", "{missing}", "{missing}", "--output", "{place}/compare"],
    ],
    ids=["taxonomy build", "index build", "eval run", "eval compare"],
)
def test_each_writing_command_refuses_a_place_it_cannot_write_before_its_work(
    refused: Path, tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "no-such-products.jsonl"
    args = [a.format(missing=missing, place=refused) for a in command]
    result = CliRunner().invoke(app, args)
    # an OutputError is a TagllmError: `tagllm` (cli.main) says it on one line and exits 2
    assert isinstance(result.exception, OutputError), result.output
    assert str(result.exception).endswith(f"{refused} cannot be written (Permission denied); write it elsewhere")


def test_a_taxonomy_the_disk_refuses_to_take_is_an_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OutputError) as error:
        save_own(load_taxonomy("demo"), tmp_path / "t.yaml")
    assert (
        str(error.value)
        == f"{tmp_path / 't.yaml'}: cannot write the taxonomy (No space left on device); write it elsewhere"
    )


def test_an_index_is_built_only_into_a_new_or_empty_directory_or_over_an_index(tmp_path: Path) -> None:
    """`tagllm index build examples.jsonl -i .` replaced the user's examples.jsonl (and any manifest.json) with the
    index's own files."""
    mine = tmp_path / "examples.jsonl"
    mine.write_text((REPO / "tests" / "data" / "demo_examples.jsonl").read_text())
    before = mine.read_bytes()
    result = CliRunner().invoke(
        app, ["index", "build", str(mine), "-t", "demo", "--label-field", "labels", "-i", str(tmp_path)]
    )
    assert isinstance(result.exception, OutputError)
    assert str(result.exception) == (
        f"{tmp_path}: holds files that are not an example index (examples.jsonl), which the index's files could "
        "overwrite; give a new or empty directory"
    )
    assert mine.read_bytes() == before
    empty = tmp_path / "index"
    (empty / ".hidden").mkdir(parents=True)  # .DS_Store, .gitkeep: not the user's data
    for _ in range(2):  # into an empty directory, then over the index it holds
        result = CliRunner().invoke(
            app, ["index", "build", str(mine), "-t", "demo", "--label-field", "labels", "-i", str(empty)]
        )
        assert result.exit_code == 0, result.output
    assert (empty / "manifest.json").exists() and mine.read_bytes() == before


def test_a_taxonomy_is_written_only_under_a_yaml_or_json_name(tmp_path: Path) -> None:
    """`tagllm taxonomy build ex.jsonl -o ex.jsonl` wrote YAML over the products it had just read."""
    mine = tmp_path / "ex.jsonl"
    mine.write_text((REPO / "tests" / "data" / "demo_examples.jsonl").read_text())
    before = mine.read_bytes()
    result = CliRunner().invoke(app, ["taxonomy", "build", str(mine), "-t", "demo", "-o", str(mine)])
    assert isinstance(result.exception, OutputError)
    assert str(result.exception) == f"{mine}: a taxonomy is written as .yaml (or .yml) or .json; name the file so"
    assert mine.read_bytes() == before
    args = ["taxonomy", "build", str(mine), "-t", "demo", "--label-field", "labels", "-o", str(tmp_path / "t.yml")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert load_taxonomy(tmp_path / "t.yml").facets.keys() == load_taxonomy("demo").facets.keys()


def test_taxonomy_build_does_not_write_over_the_taxonomy_it_extends(tmp_path: Path) -> None:
    """`tagllm taxonomy build ex.jsonl -t mine.yaml -o mine.yaml` wrote over the hand-kept taxonomy it read."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "# kept by hand: ask Ana before changing\nname: mine\nfacets:\n- name: category\n  hierarchical: true\n"
        "  values:\n  - {id: apparel-tshirts, name: T-Shirts}\n  - {id: apparel-jeans, name: Jeans}\n"
    )
    before = mine.read_bytes()
    examples = REPO / "tests" / "data" / "demo_examples.jsonl"
    args = ["taxonomy", "build", str(examples), "-t", str(mine), "--label-field", "labels", "-o", str(mine)]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, OutputError), result.output
    assert str(result.exception) == f"{mine}: is the taxonomy this extends; write the new one to another file"
    assert mine.read_bytes() == before


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--attribute-field", "attrs", "--label-field", "label"], "has attribute tags in 'attrs' nor a category"),
        (["--no-attributes", "--label-field", "label"], "none of its 30 record(s) has a category of the taxonomy in"),
    ],
)
def test_taxonomy_build_that_learns_nothing_writes_nothing(tmp_path: Path, options: list[str], says: str) -> None:
    """Misnamed fields wrote the taxonomy it extends unchanged, exit 0, as if something had been learned."""
    examples = REPO / "tests" / "data" / "demo_examples.jsonl"
    out = tmp_path / "learned.yaml"
    result = CliRunner().invoke(app, ["taxonomy", "build", str(examples), "-t", "demo", "-o", str(out), *options])
    assert isinstance(result.exception, InputError), result.output  # a TagllmError: exit 2 from the command line
    assert says in str(result.exception)
    assert not out.exists()


def test_a_taxonomy_write_cut_short_leaves_the_file_there_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`taxonomy build -o FILE` wrote over FILE in place: a full disk (or a kill) mid-write left it cut in half."""
    target = save_own(load_taxonomy("demo"), tmp_path / "t.yaml")
    before = target.read_bytes()
    real = Path.write_text

    def half(self, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        real(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", half)
    with pytest.raises(OutputError, match="No space left on device"):
        save_own(load_taxonomy("demo"), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]  # nor its temporary copy left behind
    monkeypatch.setattr(Path, "write_text", real)
    (tmp_path / "link.yaml").symlink_to(target)
    save_own(load_taxonomy("demo"), tmp_path / "link.yaml", header="again")
    assert (tmp_path / "link.yaml").is_symlink() and target.read_text().startswith("# again\n")


def test_taxonomy_build_writes_into_a_directory_it_creates(tmp_path: Path) -> None:
    """`taxonomy build -o out/taxonomy.yaml` read and learned from every product, then stopped: 'cannot write the
    taxonomy (No such file or directory)', where `generate -o out/tags.jsonl` creates out/."""
    target = tmp_path / "out" / "v2" / "taxonomy.yaml"
    result = CliRunner().invoke(
        app, ["taxonomy", "build", str(REPO / "tests" / "data" / "demo_examples.jsonl"), "-t", "demo",
              "--label-field", "labels", "--no-attributes", "-o", str(target)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert load_taxonomy(target).values.keys() == load_taxonomy("demo").values.keys()


def test_taxonomies_written_to_one_file_at_once_each_write_it_whole(tmp_path: Path) -> None:
    """Two builds writing one taxonomy file at once shared its temporary copy: one failed 'cannot write the taxonomy
    (No such file or directory)', or renamed the other's half-written copy into place."""
    import threading

    taxonomy = load_taxonomy("demo")
    target = tmp_path / "taxonomy.yaml"
    errors: list[Exception] = []

    def write() -> None:
        for _ in range(30):
            try:
                save_own(taxonomy, target)
            except Exception as exc:  # collected: a thread's exception does not fail the test by itself
                errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert load_taxonomy(target).version == taxonomy.version
    assert [p.name for p in tmp_path.iterdir()] == ["taxonomy.yaml"]
