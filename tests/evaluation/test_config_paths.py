"""An eval config's relative paths are taken from its folder, wherever the run starts: the tagger's and a sweep's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.evaluation.config import load_eval_config, variants


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """eval/ with its data in eval/data/, the run started from the folder above it (as `tagllm eval run
    eval/x.yaml` from a clone's root)."""
    folder = tmp_path / "eval"
    (folder / "data").mkdir(parents=True)
    for name in ("categories.jsonl", "gold.jsonl", "small.jsonl", "large.jsonl", "attrs.j2"):
        (folder / "data" / name).write_text("")
    monkeypatch.chdir(tmp_path)
    return folder


def test_swept_files_are_found_beside_the_config_as_the_taggers_are(config_dir: Path) -> None:
    """`sweep: {examples: [data/small.jsonl, data/large.jsonl]}` was read from the working directory (only swept
    prompts were taken from the config's folder): every variant stopped on 'examples file data/small.jsonl does not
    exist', which was there, beside the config."""
    (config_dir / "e.yaml").write_text(
        "gold: data/gold.jsonl\n"
        "tagger:\n  taxonomy: data/categories.jsonl\n  examples: data/small.jsonl\n"
        "sweep:\n  examples: [data/small.jsonl, data/large.jsonl]\n  k: [5, 10]\n"
    )
    cfg = load_eval_config("eval/e.yaml")
    data = config_dir.resolve() / "data"
    assert cfg.sweep == {"examples": [str(data / "small.jsonl"), str(data / "large.jsonl")], "k": [5, 10]}
    assert [(v.name, v.config.examples, v.config.k) for v in variants(cfg)] == [
        ("examples=small,k=5", str(data / "small.jsonl"), 5),
        ("examples=small,k=10", str(data / "small.jsonl"), 10),
        ("examples=large,k=5", str(data / "large.jsonl"), 5),
        ("examples=large,k=10", str(data / "large.jsonl"), 10),
    ]


def test_an_index_to_build_and_the_attribute_template_are_taken_from_the_config_folder(config_dir: Path) -> None:
    """An index not built yet was built in whatever folder the run started from (and built again from the next),
    and the attribute step's template beside the config was not found; a tagger config takes both from its folder."""
    (config_dir / "e.yaml").write_text(
        "gold: data/gold.jsonl\n"
        "tagger:\n  taxonomy: data/categories.jsonl\n  examples: data/small.jsonl\n  index: cache/index\n"
        "  attribute_prompt: data/attrs.j2\n  prompt: fewshot\n"
    )
    cfg = load_eval_config("eval/e.yaml")
    folder = config_dir.resolve()
    assert cfg.tagger.index == str(folder / "cache" / "index")
    assert cfg.tagger.attribute_prompt == str(folder / "data" / "attrs.j2")
    assert cfg.tagger.prompt == "fewshot"  # a template's name stays a name


def test_a_gold_file_that_is_not_there_is_named_as_the_configs_setting(config_dir: Path) -> None:
    """A misspelt gold file stopped the run with 'gld.jsonl: no such file': neither the setting nor the folder it
    was looked for in, while every other path of the config is taken from the config's folder."""
    from tagllm.errors import ConfigError

    (config_dir / "e.yaml").write_text("gold: data/gld.jsonl\ntagger:\n  taxonomy: data/categories.jsonl\n")
    with pytest.raises(ConfigError) as error:
        load_eval_config("eval/e.yaml")
    assert (
        str(error.value)
        == f"eval/e.yaml: gold: data/gld.jsonl: no such file (looked for in {config_dir.resolve()}, the config's "
        "folder)"
    )


def test_an_examples_file_that_is_not_there_is_named_as_the_configs_setting(config_dir: Path) -> None:
    """A misspelt tagger.examples stopped the run with 'examples file /abs/eval/data/smal.jsonl does not exist',
    after 'tagging 4 product(s)' was printed: neither the config nor the setting named. An index already built there
    needs no examples file."""
    from tagllm.errors import ConfigError

    (config_dir / "e.yaml").write_text(
        "gold: data/gold.jsonl\ntagger:\n  taxonomy: data/categories.jsonl\n  examples: data/smal.jsonl\n"
    )
    with pytest.raises(ConfigError) as error:
        load_eval_config("eval/e.yaml")
    assert str(error.value) == (
        f"eval/e.yaml: tagger.examples: data/smal.jsonl: no such file (looked for in {config_dir.resolve()}, the "
        "config's folder)"
    )
    (config_dir / "index").mkdir()
    (config_dir / "index" / "manifest.json").write_text("{}")
    (config_dir / "e.yaml").write_text(
        "gold: data/gold.jsonl\ntagger:\n  taxonomy: data/categories.jsonl\n  examples: data/smal.jsonl\n"
        "  index: index\n"
    )
    assert load_eval_config("eval/e.yaml").tagger.index == str(config_dir.resolve() / "index")


def test_a_tagger_setting_at_the_top_of_an_eval_config_is_said_to_belong_under_tagger(config_dir: Path) -> None:
    """`taxonomy:` written beside `gold:` was refused as "Extra inputs are not permitted", which did not say where it
    goes."""
    from tagllm.errors import ConfigError

    (config_dir / "e.yaml").write_text("gold: data/gold.jsonl\ntaxonomy: data/categories.jsonl\nsampel: 5\n")
    with pytest.raises(ConfigError) as error:
        load_eval_config("eval/e.yaml")
    assert str(error.value).splitlines() == [
        "eval/e.yaml: invalid eval config:",
        "  taxonomy: a tagger setting, not an eval one: move it under tagger:",
        "  sampel: not a setting (did you mean 'sample'?)",
    ]


def test_a_split_written_as_a_number_is_its_text(config_dir: Path) -> None:
    """`split: 2024` is a number to YAML; the gold records' split field is compared by its text, and the config was
    refused ("Input should be a valid string")."""
    (config_dir / "e.yaml").write_text(
        "gold: data/gold.jsonl\nsplit: 2024\ntagger:\n  taxonomy: data/categories.jsonl\n"
    )
    assert load_eval_config("eval/e.yaml").split == "2024"
