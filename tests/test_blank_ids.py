"""A product with a blank id in an input whose other products have ids: named by its line, as the run says at its
end, since that name moves with the lines above it (a resume after lines are added there tags it again and keeps
its old row)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagllm.cli import app

WARNING = (
    "warning: products.csv: 2 product(s) have no id where the others have one (the first named line-2, by its line): "
    "a name that moves when lines above it are added or removed, and a resume then tags the product again under its "
    "new name and keeps its old row; give every product an id\n"
)


def _generate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["generate", *args, "--taxonomy", "demo"])
    return result.exit_code, result.stderr


def test_blank_ids_among_ids_are_warned_of_at_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("products.csv").write_text("id,title\n,Blue denim jeans\nb2,Red cotton shirt\n  ,Leather boots\n")
    code, stderr = _generate("products.csv", "-o", "tags.csv")
    assert code == 0 and stderr.endswith(WARNING), stderr
    ids = [line.split(",")[0] for line in Path("tags.csv").read_text().splitlines()[1:]]
    assert ids == ["line-2", "b2", "line-4"]
    # what the warning is about: a line added above them gives them new names; their old rows are kept
    Path("products.csv").write_text(
        "id,title\nz9,Wool scarf\n,Blue denim jeans\nb2,Red cotton shirt\n ,Leather boots\n"
    )
    code, stderr = _generate("products.csv", "-o", "tags.csv", "--resume")
    assert code == 0 and "2 result(s) kept of products products.csv no longer has (line-2, line-4)" in stderr
    assert WARNING.replace("line-2", "line-3") in stderr


def test_an_input_with_no_ids_at_all_is_named_by_its_lines_without_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("products.csv").write_text("title\nBlue denim jeans\nRed cotton shirt\n")
    code, stderr = _generate("products.csv", "-o", "tags.csv")
    assert code == 0 and "warning" not in stderr, stderr


def test_tag_file_warns_of_blank_ids_as_the_cli_does(demo_index_dir: Path, tmp_path: Path) -> None:
    import tagllm
    from tagllm.config import TaggerConfig
    from tagllm.errors import InputWarning

    path = tmp_path / "products.csv"
    path.write_text("id,title\n,Blue denim jeans\nb2,Red cotton shirt\n  ,Leather boots\n")
    with pytest.warns(InputWarning) as said:
        summary = tagllm.tag_file(path, tmp_path / "tags.csv", TaggerConfig(index=str(demo_index_dir)))
    notes = [str(w.message) for w in said if "have no id" in str(w.message)]
    assert summary.blank_ids == 2 and notes == [
        WARNING.removeprefix("warning: ").rstrip("\n").replace("products.csv", str(path), 1)
    ]
