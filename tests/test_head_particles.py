"""The words that take "in" as a particle (``tagllm.candidates.particles``): built from WordNet's lemmas, shipped."""

from __future__ import annotations

from pathlib import Path

from tagllm.candidates.particles import build, join_particles, takes_in


def test_the_table_holds_the_first_words_of_lemmas_made_with_in(tmp_path: Path) -> None:
    (tmp_path / "index.verb").write_text("plug_in v 1 0 1 0 01234567\nbelieve v 1 0 1 0 01234568\n")
    (tmp_path / "index.noun").write_text("walk-in n 1 0 1 0 01234569\ncu_in n 1 0 1 0 01234570\n")
    (tmp_path / "index.adj").write_text("built-in a 1 0 1 0 01234571\n")
    # "cu in" is cubic inches: a two-letter first word is an abbreviation, not a verb
    assert build(tmp_path) == ["built", "plug", "walk"]


def test_the_shipped_table_knows_the_phrasal_verbs_of_products() -> None:
    assert {"plug", "drop", "check", "walk", "built"} <= takes_in()
    assert not {"candle", "cufflink", "sq"} & takes_in()


def test_a_particle_is_joined_by_a_hyphen_or_by_title_case() -> None:
    title = "Plug In Night Light for Kids, Drop In Sink"
    assert join_particles("Plug In Night Light for Kids", title) == "PlugIn Night Light for Kids"
    assert join_particles("Drop In Sink", title) == "DropIn Sink"
    # a preposition written capitalised after a word that takes no particle is left as it is
    assert join_particles("Candle In Jar", title) == "Candle In Jar"
    # hyphenated, whatever the title's case
    assert join_particles("Wall Chime Plug-In", "WALL CHIME PLUG-IN") == "Wall Chime PlugIn"
    # a word that takes "in" but does not open the segment is a noun other words modify: "In" is a preposition
    assert join_particles("Wine Glass In Gift Box", title) == "Wine Glass In Gift Box"
    # every word capitalised: no case to read
    assert join_particles("Plug In Night Light", "Plug In Night Light") == "Plug In Night Light"
