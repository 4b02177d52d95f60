"""The paraphrase stage: a thing described by its use ("machine that makes coffee", "lamp for a desk") read as the
compound English names it by ("coffee maker", "desk lamp"), then looked up by the stages that read names.

English builds a tool's name from what it acts on and what it does: the object goes first, the head (or an agent noun
made from the verb) last. A rewrite is a guess, as a head noun is: it must name a value outright (the table and lexical
stages, not a further guess of the modifier stage), the rewrites must name one value, and the whole string must pass
the head's bar (sentence embeddings at least ``HEAD_AGREEMENT`` similar, no other value more than ``HEAD_TRAIL``
nearer): "cream to protect from the sun" is no dairy Cream.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.agreement import HEAD_AGREEMENT, HEAD_TRAIL, agreements
from tagllm.mapping.base import Batch, Stage, TreeStage
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

DETERMINERS = frozenset({"a", "an", "the", "my", "your", "our", "his", "her", "their", "its", "some", "one", "s"})
LINKS = frozenset({"for", "to", "that", "which", "who"})
"""The words that join a head to what it is for or does ("bag to carry a laptop", "chair that rocks")."""
STOPS = frozenset({"for", "to", "that", "which", "who", "when", "while", "in", "on", "from", "with", "at", "by", "of"})
"""Where an object phrase ends ("bag to sleep in when camping": the verb's object ends at "in")."""
PREPOSITIONS = frozenset({"from", "on", "in", "at", "over", "under", "into"})
VOWELS = frozenset("aeiou")
MIN_WORDS = 3
NAMES = frozenset({"exact", "normalized", "synonym", "alias", "translation"})
"""The methods that find a value by one of its names, not by a reading of WordNet."""


class ParaphraseStage(TreeStage):
    """Reads a category described by its use: each rewrite is looked up, and one value that the whole string's
    embedding does not disown is accepted; rewrites naming several values leave the string open."""

    name = "paraphrase"

    def __init__(self, mapper: Mapper, stages: list[Stage]) -> None:
        self.m = mapper
        self.stages = stages  # the stages that read a rewrite: tables and lexical

    def run_tree(self, batch: Batch, facet: str) -> None:
        plans = {raw: rewrites(batch.text(raw)) for raw in batch.fresh() if not has_cjk(batch.text(raw))}
        plans = {raw: found for raw, found in plans.items() if found}
        if not plans:
            return
        named = self._named(plans, facet)
        # "machine that toasts bread": no "bread toaster" in the taxonomy; the agent noun alone names the thing
        agents = {raw: found for raw in plans if raw not in named and (found := agent_nouns(batch.text(raw)))}
        named |= self._named(agents, facet)
        queries = [(batch.text(raw), vid) for raw, tiers in named.items() for ids in tiers for vid in ids]
        scores = iter(agreements(self.m, queries, facet, HEAD_AGREEMENT, HEAD_TRAIL))
        for raw, tiers in named.items():
            passed = [[(vid, score) for vid in ids if (score := next(scores)) is not None] for ids in tiers]
            # the rewrites that keep the object first; when the embedder disowns all they name, the others
            kept = next((tier for tier in passed if tier), [])
            if len(kept) == 1:
                vid, score = kept[0]
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[vid], self.name, round(score, 4))
            elif tiers[0]:
                batch.candidates.setdefault(raw, tuple(tiers[0]))

    def _named(self, plans: dict[str, list[str]], facet: str) -> dict[str, tuple[list[str], list[str]]]:
        """The values each string's rewrites name (by the table and lexical stages), in the rewrites' order: those
        named by a rewrite that keeps what the thing acts on, then the others (none when a rewrite with the object
        named a value by name, or several: "tooth brush" is ambiguous, and the bare "cleaning brush" decides
        nothing)."""
        looked = self.m.lookup({r for found in plans.values() for r in found}, facet, self.stages)
        named: dict[str, tuple[list[str], list[str]]] = {}
        for raw, found in plans.items():
            ids: list[str] = []
            with_object: list[str] = []  # named by a rewrite that keeps what the thing acts on
            head = set(_before_link(raw))
            object_named = False  # a rewrite with the object named one value or several
            object_firm = False  # ... several, or one by its name (not WordNet's guess)
            for rewrite in found:
                outcome = looked.done.get(rewrite)
                if outcome is None or outcome.mapped.value is None and not outcome.candidates:
                    continue
                has_object = any(w not in head and not w.endswith("ing") for w in rewrite.split())
                object_named |= has_object
                object_firm |= has_object and (outcome.mapped.value is None or outcome.mapped.method in NAMES)
                if outcome.mapped.value is None:
                    continue
                vid = outcome.mapped.value.id
                ids += [vid] if vid not in ids else []
                if has_object and vid not in with_object:
                    with_object.append(vid)
            # "rack for drying dishes": "dish rack" names Dish Racks and says more than "drying rack", which drops the
            # dishes; but "rack for drying clothes": "clothes dryer" is only WordNet's reading of Dryers, which the
            # embedder disowns, and "drying rack" stands
            if object_named:
                rest = [] if object_firm else [v for v in ids if v not in with_object]
                tiers = (with_object, rest)
            else:
                tiers = (ids, [])
            if tiers[0] or tiers[1]:
                named[raw] = tiers
        return named


def agent_nouns(text: str) -> list[str]:
    """The agent nouns of a description's verb alone ("machine that toasts bread" -> "toaster"), for when no compound
    names anything; none without a verb and its object."""
    words = [w for w in normalize(re.sub(r"['’]s\b", "", text)).split() if w not in DETERMINERS]
    link = next((i for i, w in enumerate(words) if w in LINKS), None)
    if link is None or link == 0 or len(words) < MIN_WORDS or len(words) <= link + 2:
        return []
    verb = _base(words[link + 1], words[link])
    return _agents(verb) if verb is not None and _phrase(words[link + 2 :]) else []


def rewrites(text: str) -> list[str]:
    """The compounds a description of use stands for, most literal first ("pot for brewing tea" -> "tea pot",
    "tea brewer", "brewing pot"); none when the string has no linking word after its first word."""
    words = [w for w in normalize(re.sub(r"['’]s\b", "", text)).split() if w not in DETERMINERS]
    link = next((i for i, w in enumerate(words) if w in LINKS), None)
    if link is None or link == 0 or len(words) < MIN_WORDS:
        return []
    head, rest = words[:link], words[link + 1 :]
    if not rest:
        return []
    out: list[list[str]] = []
    if words[link] == "for" and not rest[0].endswith("ing"):
        obj = _phrase(rest)  # "lamp for a desk" -> "desk lamp"; "rack for wine bottles" -> "wine rack" too
        out += [obj + head, obj[-1:] + head, obj[:1] + head]
    else:
        verb = _base(rest[0], words[link])
        if verb is None:
            return []
        doing = rest[0] if words[link] == "for" else _ing(verb)
        obj = _phrase(rest[1:])
        if obj:  # "machine that makes coffee" -> "coffee maker"; "device for drying hair" -> "hair dryer"
            out += [obj + [agent] for agent in _agents(verb)]
            out += [obj[-1:] + [agent] for agent in _agents(verb)]
            out += [obj + head, obj[-1:] + head, [*obj, doing, *head]]
            out += [obj[:1] + head] if len(obj) > 1 else []  # "bag for carrying golf clubs" -> "golf bag"
        elif len(rest) > 2 and rest[1] in PREPOSITIONS:
            out.append(_phrase(rest[2:]) + head)  # "fan that hangs from the ceiling" -> "ceiling fan"
        if not obj or words[link] == "for":  # "chair that rocks" -> "rocking chair", "pin for rolling" -> "rolling pin"
            out.append([doing, *head])
    return list(dict.fromkeys(" ".join(r) for r in out if len(r) >= 2))


def _before_link(text: str) -> list[str]:
    """The words before a description's linking word: its head ("rack" in "rack for drying dishes")."""
    words = normalize(text).split()
    link = next((i for i, w in enumerate(words) if w in LINKS), len(words))
    return words[:link]


def _phrase(words: list[str]) -> list[str]:
    """An object noun phrase: the words up to the next linking word or preposition."""
    out: list[str] = []
    for word in words:
        if word in STOPS:
            break
        out.append(word)
    return out


def _base(word: str, link: str) -> str | None:
    """The verb's base form: as written after "to", without its -s after "that" ("makes" -> "make", "washes" ->
    "wash", "dries" -> "dry"), without -ing after "for" ("drying" -> "dry"); None when it does not look like one."""
    if link == "to":
        return word
    if link == "for":
        if not word.endswith("ing") or len(word) < 6:
            return None
        stem = word[:-3]
        return stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "ls" else stem
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("shes", "ches", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return None


def _agents(verb: str) -> list[str]:
    """Agent nouns of a verb: "make" -> "maker", "toast" -> "toaster", "dry" -> "dryer"/"drier", "chop" -> "chopper"
    (and "chop" + "er": a spelling that names nothing is harmless, only names are looked up)."""
    if verb.endswith("e"):
        return [verb + "r"]
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in VOWELS:
        return [verb + "er", verb[:-1] + "ier"]
    if _short(verb):
        return [verb + verb[-1] + "er", verb + "er"]
    return [verb + "er"]


def _ing(verb: str) -> str:
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    if _short(verb):
        return verb + verb[-1] + "ing"
    return verb + "ing"


def _short(verb: str) -> bool:
    """One syllable ending consonant-vowel-consonant ("chop", "cut"): the last consonant doubles before -er/-ing."""
    return (
        len(verb) <= 4
        and len(verb) >= 3
        and verb[-1] not in VOWELS | {"w", "x", "y"}
        and verb[-2] in VOWELS
        and verb[-3] not in VOWELS
    )
