"""Config files, TAGLLM_* variables and overrides as an analyst combines them: where paths lead, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.config import TaggerConfig, load_config
from tagllm.errors import ConfigError


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


def test_a_misspelt_tagllm_variable_is_refused_with_the_setting_it_was_meant_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAGLLM_THRESHHOLD", "0.9")  # the run tagged with threshold 0, without a word
    monkeypatch.setenv("TAGLLM_PROMPT_DIR", "/prompts")  # not a setting, but tagllm's own: accepted
    with pytest.raises(ConfigError) as raised:
        load_config()
    assert str(raised.value) == (
        "invalid configuration:\n"
        "  TAGLLM_THRESHHOLD=0.9 (environment variable): no such setting (did you mean TAGLLM_THRESHOLD?)\n"
        "unset it, or spell it as a setting is named (TAGLLM_ and the setting, as in tagllm generate --help)"
    )
    monkeypatch.delenv("TAGLLM_THRESHHOLD")
    monkeypatch.setenv("TAGLLM_THRESHOLD", "0.9")
    assert load_config().threshold == 0.9


def test_a_misspelt_key_of_a_config_file_is_named_with_the_setting_it_was_meant_for(tmp_path: Path) -> None:
    file = tmp_path / "tagllm.yaml"
    file.write_text("treshold: 0.5\nimage_limits:\n  max_image: 2\nk: 5\n")
    with pytest.raises(ConfigError) as raised:
        load_config(file)
    assert str(raised.value) == (  # was "Extra inputs are not permitted", which says neither what nor what to do
        "invalid configuration:\n"
        f"  {file}: image_limits.max_image: no such setting; did you mean max_images?\n"
        f"  {file}: treshold: no such setting; did you mean threshold?"
    )


def test_overriding_one_setting_leaves_the_others_to_the_index() -> None:
    # `tagllm eval run CONFIG --model DIR` overrides the model so: every other setting became "set", and a tagger
    # section naming only an index built for another taxonomy was refused for the default taxonomy 'demo'
    config = TaggerConfig(index="idx", label_field="gold_category").with_overrides(k=5, threshold=None)
    assert config.model_fields_set == {"index", "label_field", "k"}
    assert (config.index, config.label_field, config.k, config.taxonomy) == ("idx", "gold_category", 5, "demo")
