"""An eval config's mistakes are told before anything is tagged, naming the setting and what was meant: a run name
that would put the run outside ``output``, a ``sample`` that is no shorthand, a misspelt setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagllm.errors import ConfigError
from tagllm.evaluation.config import load_eval_config

TAGGER = "tagger: {taxonomy: demo}\n"


def _config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "gold.jsonl").write_text('{"id": "1", "title": "Red dress", "gold_category": "apparel-dresses"}\n')
    path = tmp_path / "e.yaml"
    path.write_text("gold: gold.jsonl\n" + TAGGER + text)
    return path


@pytest.mark.parametrize("name", ["../../elsewhere/x", "team/flipkart", "..", "a\\b", "  "])
def test_a_name_that_is_no_folder_name_is_refused(tmp_path: Path, name: str) -> None:
    """`name: ../../x` wrote the run directory outside `output` (output/../../x-<time>), and `name: a/b` one folder
    deeper, with exit 0."""
    path = _config(tmp_path, f"name: {json.dumps(name)}\n")
    with pytest.raises(ConfigError) as info:
        load_eval_config(path)
    message = str(info.value)
    assert f"name: name {name!r} starts the run directory's name" in message
    assert "Value error" not in message


def test_a_plain_name_and_the_default_are_kept(tmp_path: Path) -> None:
    assert load_eval_config(_config(tmp_path, "name: flipkart v2.1\n")).name == "flipkart v2.1"
    assert load_eval_config(_config(tmp_path, "")).name == "e"


def test_a_sample_that_is_no_shorthand_names_the_shorthands(tmp_path: Path) -> None:
    """`sample: lots` was "Input should be a valid dictionary or instance of SampleSpec"."""
    with pytest.raises(ConfigError) as info:
        load_eval_config(_config(tmp_path, "sample: lots\n"))
    assert "sample: sample is all, a number of products (200: the first 200), or a mapping" in str(info.value)
    assert "got 'lots'" in str(info.value)


def test_a_sample_written_as_quoted_digits_is_the_first_n(tmp_path: Path) -> None:
    cfg = load_eval_config(_config(tmp_path, "sample: '20'\n"))
    assert (cfg.sample.mode, cfg.sample.n) == ("first", 20)


def test_a_misspelt_setting_names_the_one_meant(tmp_path: Path) -> None:
    """`gold_feild`, `tagger: {tresh: …}` and `sample: {nn: …}` were each "Extra inputs are not permitted"."""
    path = _config(tmp_path, "gold_feild: labels\nsample: {mode: first, nn: 3}\n")
    path.write_text(path.read_text().replace(TAGGER, "tagger: {taxonomy: demo, tresh: 0.5, zzzz: 1}\n"))
    with pytest.raises(ConfigError) as info:
        load_eval_config(path)
    lines = str(info.value).splitlines()
    assert "  gold_feild: not a setting (did you mean 'gold_field'?)" in lines
    assert "  tagger.tresh: not a setting (did you mean 'threshold'?)" in lines
    assert "  sample.nn: not a setting (did you mean 'n'?)" in lines
    assert any(line.startswith("  tagger.zzzz: not a setting; the settings: taxonomy, examples,") for line in lines)


def test_a_tagger_setting_at_the_top_still_says_to_move_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="threshold: a tagger setting, not an eval one: move it under tagger:"):
        load_eval_config(_config(tmp_path, "threshold: 0.5\n"))
