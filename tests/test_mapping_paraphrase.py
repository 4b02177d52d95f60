"""Descriptions of use read as compounds ("machine that makes coffee" -> coffee maker), Chinese compounds read by
their head, a word swapped for its WordNet synonym ("nappy bag" -> diaper bag), and the embedder's agreement check
over a batch (one encoding call, the same answers as one by one)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from test_mapping_stages import FakeEmbedder

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.agreement import agreement, agreements
from tagllm.mapping.paraphrase import rewrites
from tagllm.mapping.swaps import rewrites as swaps
from tagllm.mapping.wordnet import WordNet
from tagllm.taxonomy import Facet, Taxonomy
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the lexical stage needs tagllm[lexicon]")

CACHE = Path(tempfile.mkdtemp(prefix="tagllm-paraphrase-"))


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting its encode calls."""

    def __init__(self, axes: dict[str, int]) -> None:
        super().__init__(axes)
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return super().encode(texts)


def home() -> Taxonomy:
    tree = [
        ("home", "Home", None, ""),
        ("kitchen", "Kitchen Appliances", "home", ""),
        ("coffee", "Coffee Makers", "kitchen", ""),
        ("lamps", "Lamps", "home", ""),
        ("desk", "Desk Lamps", "lamps", ""),
        ("chairs", "Chairs", "home", ""),
        ("rocking", "Rocking Chairs", "chairs", ""),
        ("office", "Office Chairs", "chairs", ""),
        ("fashion", "Fashion", None, ""),
        ("wallets", "Wallets", "fashion", "钱包"),
        ("sunglasses", "Sunglasses", "fashion", "太阳镜"),
        ("glasses", "Eyeglasses", "fashion", "眼镜"),
        ("boots", "Boots", "fashion", "靴子"),
        ("earrings", "Earrings", "fashion", "耳环"),
        ("shoes", "Shoes", "fashion", "鞋类"),
        ("slippers", "Slippers", "shoes", "室内便鞋"),
        ("diaper-bags", "Diaper Bags", "fashion", ""),
        ("blank-cards", "Blank Cards", "home", ""),
        ("phones", "Mobile Phones", "home", "手机"),
        ("stands", "Stands", "home", "支架"),
        ("laundry", "Laundry Appliances", "home", ""),
        ("dryers", "Dryers", "laundry", ""),
        ("drying-racks", "Drying Racks", "laundry", ""),
        ("dish-racks", "Dish Racks", "kitchen", ""),
        ("software", "Software", None, "软件"),
        ("office-software", "Office Software", "software", "办公软件"),
    ]
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    return Taxonomy("home", facets, {v.id: v for v in category_values(tree)})


AXES = {"coffee": 0, "makes": 0, "maker": 0, "makers": 0, "rocks": 1, "rocking": 1, "desk": 2, "lamp": 2, "lamps": 2}
AXES |= {"bag": 3, "bags": 3, "card": 4, "cards": 4, "rack": 5, "racks": 5, "drying": 5, "dish": 6, "dishes": 6}


@pytest.fixture(scope="module")
def embedder() -> CountingEmbedder:
    return CountingEmbedder(AXES)


@pytest.fixture(scope="module")
def mapper(embedder: CountingEmbedder) -> Mapper:
    return Mapper(home(), embedder=embedder, embedding_threshold=1.5, cache_dir=CACHE)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("machine that makes coffee", ["coffee maker", "coffee machine", "coffee making machine"]),
        ("lamp for a desk", ["desk lamp"]),
        ("device for drying hair", ["hair dryer", "hair drier", "hair device", "hair drying device", "drying device"]),
        ("chair that rocks", ["rocking chair"]),
        ("fan that hangs from the ceiling", ["ceiling fan", "hanging fan"]),
        ("bag to sleep in when camping", ["sleeping bag"]),
        ("rack for wine bottles", ["wine bottles rack", "bottles rack", "wine rack"]),
        (
            "bag for carrying golf clubs",  # the object's first word too: "golf bag"
            [*(f"{o} {a}" for o in ("golf clubs", "clubs") for a in ("carryer", "carrier")), "golf clubs bag"]
            + ["clubs bag", "golf clubs carrying bag", "golf bag", "carrying bag"],
        ),
        ("chair of the board", []),  # no linking word: not a description of use
        ("for him", []),  # nothing before the linking word
    ],
)
def test_rewrites(text: str, expected: list[str]) -> None:
    assert rewrites(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("machine that makes coffee", ("coffee", "paraphrase")),
        ("chair that rocks", ("rocking", "paraphrase")),
        ("chair for the board", None),  # "board chair" names nothing
        # "clothes dryer" is only WordNet's reading of Dryers, which the embedder disowns: "drying rack" stands
        ("rack for drying clothes", ("drying-racks", "paraphrase")),
        ("rack for drying dishes", ("dish-racks", "paraphrase")),  # "dish rack" names a value: it outranks
    ],
)
def test_descriptions_of_use(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("男士钱包", ("wallets", "zh_head")),  # men's + wallet: the head is a label
        ("靴子（女款）", ("boots", "zh_head")),  # a note in brackets
        ("耳环／耳钉", ("earrings", "zh_head")),  # alternatives: the one that names a value
        ("各种钱包", ("wallets", "translation")),  # a generic prefix (the translation stage)
        ("太阳眼镜", None),  # 太阳镜 is sunglasses written another way: not a kind of 眼镜
        ("手机支架", None),  # 手机 names a category of its own: 支架 need not be the thing sold
        ("鞋类／拖鞋", None),  # a branch (Shoes) and a word no label names: a path to a child, not the branch
        ("鞋类", ("shoes", "translation")),
        ("杀毒软件", None),  # antivirus software: a kind the words before the head say, not the top-level shelf
        ("办公软件", ("office-software", "translation")),  # the kind, named by its label
    ],
)
def test_chinese_compounds(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nappy bag", ("diaper-bags", "swap")),  # WordNet: nappy is a diaper (its first sense)
        ("bag for carrying nappies", ("diaper-bags", "paraphrase")),  # the rewrite "nappy bag", read by the swap
        ("dummy cards", None),  # WordNet's dummy is a blank only in its fourth sense: too rare to swap
    ],
)
def test_a_word_swapped_for_its_synonym(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected


def test_two_words_wordnet_names_as_one_are_swapped_whole() -> None:
    wordnet = WordNet.load(CACHE)
    assert "nail polish remover" in swaps(wordnet, "nail varnish remover")  # WordNet: nail varnish is nail polish
    assert "nail polish" not in swaps(wordnet, "nail varnish")  # the whole string: the lexical stage reads it


def test_agreement_over_a_batch_is_one_encoding_with_the_same_answers(
    mapper: Mapper, embedder: CountingEmbedder
) -> None:
    queries = [("coffee maker", "coffee"), ("desk lamp", "desk"), ("desk lamp", "coffee"), ("rocking", "rocking")]
    one = [agreement(mapper, text, vid, "category", 0.6, 0.05) for text, vid in queries]
    before = embedder.calls
    many = agreements(mapper, queries, "category", 0.6, 0.05)
    assert embedder.calls == before + 1
    assert [None if a is None else round(a, 5) for a in many] == [None if a is None else round(a, 5) for a in one]
    assert one[2] is None and one[0] is not None  # a desk lamp is not near Coffee Makers
