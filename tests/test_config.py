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


def test_a_setting_a_config_file_gives_twice_is_refused_naming_both_lines(tmp_path: Path) -> None:
    # YAML readers keep the last value without a word: the analyst who set threshold 0.9 at the top ran with 0.5
    file = tmp_path / "tagllm.yaml"
    file.write_text("threshold: 0.9\ntaxonomy: demo\nbackend_options:\n  seed: 1\n  seed: 2\n")
    with pytest.raises(ConfigError) as raised:
        load_config(file)
    assert str(raised.value) == (
        f"{file}: line 5: 'seed' is given again (first on line 4); only one value can count: keep one"
    )
    file.write_text("threshold: 0.9\ntaxonomy: demo\nthreshold: 0.5\n")
    with pytest.raises(ConfigError) as raised:
        load_config(file)
    assert str(raised.value) == (
        f"{file}: line 3: 'threshold' is given again (first on line 1); only one value can count: keep one"
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("taxonomy: demo\n  k: 3\n", "2:4: not valid YAML: mapping values are not allowed here"),
        (
            "taxonomy: demo\nprompt: few\x00shot\n",
            "2:12: not valid YAML: the character U+0000 is not allowed: remove it",
        ),
    ],
    ids=["a key out of line", "a NUL byte"],
)
def test_a_config_file_that_is_not_yaml_is_named_at_its_line_and_column(tmp_path: Path, text: str, said: str) -> None:
    # PyYAML's message placed it 'in "<unicode string>", line 2, column 4', or at 'position 27' for a NUL byte
    file = tmp_path / "tagllm.yaml"
    file.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(file)
    assert str(raised.value) == f"{file}:{said}"


def test_a_merged_mapping_is_overridden_by_the_keys_beside_it(tmp_path: Path) -> None:
    file = tmp_path / "tagllm.yaml"
    file.write_text("backend_options:\n  <<: {seed: 1, temperature: 0.5}\n  seed: 2\nthreshold: 0.5\n")
    assert load_config(file).backend_options == {"seed": 2, "temperature": 0.5}


def test_a_path_from_the_home_directory_is_read_as_one_in_every_path_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the index was found at ~/idx, but the taxonomy ~/tree.yaml was looked for as a taxonomy named so: "unknown
    # taxonomy '~/tree.yaml': not a file, and no taxonomy of that name in …"
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "tree.yaml").write_text("")
    (tmp_path / "project").mkdir()
    file = tmp_path / "project" / "tagllm.yaml"
    file.write_text("taxonomy: ~/tree.yaml\nindex: ~/idx\nembedder: ~/models/minilm\nprompt: ~/prompts/mine.j2\n")
    config = load_config(file)
    assert (config.taxonomy, config.index) == (str(tmp_path / "tree.yaml"), str(tmp_path / "idx"))
    assert (config.embedder, config.prompt) == (str(tmp_path / "models/minilm"), str(tmp_path / "prompts/mine.j2"))
    assert load_config(taxonomy="~/tree.yaml").taxonomy == str(tmp_path / "tree.yaml")
    assert load_config(backend="transformers", model="~/models/qwen").model == str(tmp_path / "models/qwen")
    assert load_config(file, taxonomy="demo").taxonomy == "demo"  # a name is a name


def test_a_path_setting_given_as_a_pathlib_path_is_read_as_its_text(tmp_path: Path) -> None:
    # load_config(index=Path.home() / "idx") was refused: "index=PosixPath('…'): Input should be a valid string"
    config = load_config(index=tmp_path / "idx", examples=tmp_path / "examples.jsonl", taxonomy=Path("demo"))
    assert (config.index, config.examples, config.taxonomy) == (
        str(tmp_path / "idx"), str(tmp_path / "examples.jsonl"), "demo",
    )  # fmt: skip
    assert TaggerConfig(prompt=tmp_path / "mine.j2").prompt == str(tmp_path / "mine.j2")
    assert TaggerConfig(index=str(tmp_path)).with_overrides(index=tmp_path / "other").index == str(tmp_path / "other")


def test_backend_options_with_every_option_commented_out_is_no_options(tmp_path: Path) -> None:
    file = tmp_path / "tagllm.yaml"
    file.write_text("backend: openai\nbackend_options:\n  # timeout: 60\n  # max_retries: 2\nk: 5\n")
    config = load_config(file)  # was refused: "backend_options: Input should be a valid dictionary"
    assert config.backend_options == {} and config.k == 5


def test_a_list_setting_written_as_text_in_a_config_file_is_read_as_its_variable_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TAGLLM_FACETS=category,color was a list and the same text in a file was refused: "Input should be a valid list"
    file = tmp_path / "tagllm.yaml"
    file.write_text("facets: category, color\ninputs: text\nignore_fields: description\n")
    config = load_config(file)
    assert (config.facets, config.inputs, config.ignore_fields) == (["category", "color"], ["text"], ["description"])
    monkeypatch.setenv("TAGLLM_FACETS", "category, color")
    assert load_config().facets == ["category", "color"]
    assert TaggerConfig(facets="category").facets == ["category"]  # type: ignore[arg-type]
    file.write_text("inputs: texts\n")
    with pytest.raises(ConfigError, match="inputs.0: Input should be 'text' or 'image'"):
        load_config(file)


def test_a_tagllm_yml_beside_the_run_is_named_rather_than_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the run read no config file and tagged against the demo taxonomy, the analyst's tagllm.yml unread and unnamed
    (tmp_path / "tagllm.yml").write_text("taxonomy: shopify\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        load_config()
    assert str(raised.value) == (
        "tagllm.yml: tagllm reads tagllm.yaml by itself, not tagllm.yml; rename it to tagllm.yaml, or name it "
        "(--config tagllm.yml; in Python, load_config('tagllm.yml'))"
    )
    assert load_config("tagllm.yml").taxonomy == "shopify"
    (tmp_path / "tagllm.yaml").write_text("taxonomy: demo\n")
    assert load_config().taxonomy == "demo"  # the file it reads is there: the other is not its business


@pytest.mark.parametrize(
    ("written", "device"), [("device: 0", "cuda:0"), ("device: 1", "cuda:1"), ("device: '0'", "cuda:0")]
)
def test_a_bare_gpu_number_as_torch_takes_it_is_read_as_that_cuda_device(
    tmp_path: Path, written: str, device: str
) -> None:
    """YAML's ``device: 0`` was 'device: Input should be a valid string', saying nothing of what to write."""
    config = tmp_path / "tagllm.yaml"
    config.write_text(written + "\n")
    assert load_config(config).device == device
    assert TaggerConfig(device="2").device == "cuda:2"
