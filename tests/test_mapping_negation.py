"""A string that opens with a negation says what a product is not: a guess that drops the negation is taken back,
while values whose own names open with it are still found."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    return Mapper(load_taxonomy("shopify"), cache_dir=Path(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize(
    ("text", "negation", "denied"),
    [("do not tumble dry", "do not", "Tumble dry"), ("No bleach", "No", "Bleach")],  # what the embedder guessed
)
def test_a_guess_that_drops_the_negation_is_taken_back(mapper: Mapper, text: str, negation: str, denied: str) -> None:
    mapped = mapper.map_one(text)
    assert mapped.value is None
    assert mapped.reason == f"opens with {negation!r}: says what the product is not, and {denied!r} does not"


def test_values_named_with_the_negation_are_still_found(mapper: Mapper) -> None:
    assert mapper.map_one("No parking", "road-sign-design").value.name == "No parking"  # type: ignore[union-attr]
    typo = mapper.map_one("Not suported", "duplexing-technology")  # a guess onto a value that says the same
    assert typo.value is not None and typo.value.name == "Not supported" and typo.method not in mapper.trusted


def test_compounds_and_inner_negations_are_no_negation(mapper: Mapper) -> None:
    for text in ("non-stick", "no-show socks", "sofa without arms"):
        reason = mapper.map_one(text).reason or ""
        assert not reason.startswith("opens with")


def test_the_check_counts_what_it_took_back(tmp_path: Path) -> None:
    mapper = Mapper(load_taxonomy("shopify"), cache_dir=tmp_path)
    mapper.map(["do not tumble dry", "Tumble dry"], "care-instructions")
    assert mapper.stats["negation"].rejected == 1
