"""The singular key that names and product text meet on: both forms of a word fold onto one key."""

from __future__ import annotations

import pytest

from tagllm.candidates.head_keys import name_heads
from tagllm.phrases import PhraseTable
from tagllm.text import looks_plural, normalize, singular


@pytest.mark.parametrize(
    ("one", "many"),
    [
        ("hoodie", "hoodies"),  # -ies from -ie: a suffix rule alone made 'hoody' of one and kept 'hoodie'
        ("cookie", "cookies"),
        ("tie", "ties"),
        ("battery", "batteries"),  # -ies from -y, as before
        ("tomato", "tomatoes"),  # -oes from -o
        ("shoe", "shoes"),  # -oes from -oe
        ("dress", "dresses"),
        ("mat", "mats"),
    ],
)
def test_both_forms_of_a_word_meet_on_one_key(one: str, many: str) -> None:
    assert singular(one) == singular(many)


def test_words_that_are_not_plurals_stay_apart() -> None:
    assert singular("toe") != singular("to")  # 'Toe Rings' must not be found in every "to"
    assert singular("glass") == "glass" and singular("series") == "series"
    assert {singular(w) for w in ("cup", "cap", "cape")} == {"cup", "cap", "cape"}


def test_looks_plural_reads_the_ending_not_the_key() -> None:
    assert looks_plural("hoodies") and looks_plural("cups") and looks_plural("ties")
    assert not looks_plural("hoodie") and not looks_plural("shoe") and not looks_plural("glass")


def test_a_title_in_the_singular_mentions_a_plural_name() -> None:
    table = PhraseTable([("Hoodies", "hoodies"), ("Tomatoes", "tomatoes"), ("Neck Ties", "ties")])
    found = {key for _, _, key in table.spans("unisex cotton hoodie heather grey")}
    assert found == {"hoodies"}
    assert {key for _, _, key in table.spans("cherry tomato 250 g")} == {"tomatoes"}
    assert {key for _, _, key in table.spans("silk neck tie navy")} == {"ties"}


def test_a_singular_conjunct_still_shares_the_last_conjuncts_head() -> None:
    # 'Shoe & Boot Trees' are shoe trees and boot trees: 'shoe' is a modifier, though its key is 'sho'
    assert name_heads("Shoe & Boot Trees") == {(singular("tree"), singular("shoe")), ("tree", "boot")}


def test_a_hyphenated_name_is_found_written_closed() -> None:
    table = PhraseTable([("T-Shirts", "tees"), ("V-Neck", "v-neck"), ("Shirts", "shirts")])
    assert {key for _, _, key in table.spans("nike men black tshirt")} == {"tees"}
    assert {key for _, _, key in table.spans("vneck top")} == {"v-neck"}
    assert {key for _, _, key in table.spans("v neck t shirt")} == {"v-neck", "tees", "shirts"}


def test_traditional_chinese_meets_simplified_on_one_key() -> None:
    assert normalize("連衣裙 女裝 長袖") == normalize("连衣裙 女装 长袖") == "连衣裙 女装 长袖"
    assert normalize("無線藍牙耳機") == normalize("无线蓝牙耳机")
    assert normalize("覆盖") == "覆盖"  # a character of both scripts stays as it is
    assert normalize("Blue Denim Jacket") == "blue denim jacket"
