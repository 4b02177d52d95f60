"""Config files, TAGLLM_* variables and overrides as an analyst combines them: where paths lead, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.config import load_config


def test_a_config_files_index_not_built_yet_is_placed_beside_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "examples.jsonl").write_text("")
    (project / "tagllm.yaml").write_text("examples: examples.jsonl\nindex: idx\nimage_root: photos\n")
    monkeypatch.chdir(tmp_path)  # the run starts elsewhere: the index must not be built (and looked for) here
    config = load_config("project/tagllm.yaml")
    assert config.examples == str(project / "examples.jsonl")
    assert config.index == str(project / "idx")
    assert config.image_root == str(project / "photos")
