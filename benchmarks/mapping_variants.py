"""The mapping benchmark's generated cases: variants of sampled Shopify values (case, plural, typos, reordered words,
paths, zh-CN labels, synonyms, wrapped answers) and must-reject strings (unrelated, near misses, injections, bad input).
"""

from __future__ import annotations

import json
import random
import string
from collections import defaultdict
from collections.abc import Callable

from mapping_common import BAD_INPUT, INJECTIONS, SEPARATORS, UNRELATED, Case

from tagllm.mapping import keys as _keys
from tagllm.taxonomy import Taxonomy, Value


def _unique_names(taxonomy: Taxonomy) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """How often each (facet, loose key) and (facet, zh label) occurs: ambiguous names are not sampled."""
    names: dict[tuple[str, str], int] = defaultdict(int)
    labels: dict[tuple[str, str], int] = defaultdict(int)
    for v in taxonomy.values.values():
        for key in set(_keys(v.name)):
            names[(v.facet, key)] += 1
        zh = v.label("zh-CN")
        if zh:
            labels[(v.facet, zh)] += 1
    return names, labels


def _is_unique(names: dict[tuple[str, str], int], v: Value) -> bool:
    return all(names[(v.facet, k)] == 1 for k in set(_keys(v.name)))


def _known(names: dict[tuple[str, str], int], facet: str, text: str) -> bool:
    return any(names.get((facet, k), 0) for k in _keys(text))


def _typo(rng: random.Random, text: str, edits: int) -> str | None:
    chars = list(text)
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    if len(letters) < 5 + 3 * (edits - 1):
        return None
    for _ in range(edits):
        letters = [i for i, c in enumerate(chars) if c.isalpha()]
        i = rng.choice(letters[1:])  # people rarely mistype the first letter
        op = rng.choice(("sub", "del", "ins", "swap"))
        if op == "sub":
            chars[i] = rng.choice(string.ascii_lowercase)
        elif op == "del":
            del chars[i]
        elif op == "ins":
            chars.insert(i, rng.choice(string.ascii_lowercase))
        elif i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice(string.ascii_lowercase)
    out = "".join(chars)
    return out if out.casefold() != text.casefold() else None


def _plural_flip(name: str) -> str | None:
    words = name.split()
    last = words[-1]
    if not last.isalpha() or not last.isascii() or len(last) < 4:
        return None
    low = last.lower()
    if low.endswith("ies"):
        new = last[:-3] + "y"
    elif low.endswith(("sses", "shes", "ches", "xes")):
        new = last[:-2]
    elif low.endswith("s") and not low.endswith(("ss", "us", "is")):
        new = last[:-1]
    elif low.endswith("y") and low[-2] not in "aeiou":
        new = last[:-1] + "ies"
    elif low.endswith(("s", "sh", "ch", "x")):
        new = last + "es"
    else:
        new = last + "s"
    return " ".join([*words[:-1], new])


def build_cases(taxonomy: Taxonomy, seed: int, per_kind: int) -> list[Case]:
    rng = random.Random(seed)
    names, labels = _unique_names(taxonomy)
    values = [v for v in taxonomy.values.values() if v.name != "Other"]
    unique = [v for v in values if _is_unique(names, v)]
    categories = [v for v in values if v.facet == "category"]
    cases: list[Case] = []

    def sample(pool: list[Value], make: Callable[[Value], Case | None], kind: str) -> None:
        made, tries = 0, 0
        while made < per_kind and tries < per_kind * 50:
            tries += 1
            case = make(rng.choice(pool))
            if case is not None:
                cases.append(case)
                made += 1

    sample(values, lambda v: Case("id", v.facet, v.id, v.id), "id")
    sample(unique, lambda v: Case("exact", v.facet, v.name, v.id), "exact")

    def case_variant(v: Value) -> Case | None:
        how = rng.choice((str.upper, str.lower, str.title, str.swapcase))
        text = how(v.name)
        return Case("case", v.facet, text, v.id) if text != v.name else None

    sample(unique, case_variant, "case")

    def plural(v: Value) -> Case | None:
        text = _plural_flip(v.name)
        return Case("plural", v.facet, text, v.id) if text else None

    sample(unique, plural, "plural")

    def typo(edits: int) -> Callable[[Value], Case | None]:
        def make(v: Value) -> Case | None:
            text = _typo(rng, v.name, edits)
            if text is None or _known(names, v.facet, text):
                return None  # a "typo" that spells another value is that value, not a typo
            return Case(f"typo{edits}", v.facet, text, v.id)

        return make

    sample(unique, typo(1), "typo1")
    sample(unique, typo(2), "typo2")

    def reorder(v: Value) -> Case | None:
        words = v.name.split()
        if len(words) < 2:
            return None
        shuffled = words[:]
        for _ in range(5):
            rng.shuffle(shuffled)
            if shuffled != words:
                break
        text = " ".join(shuffled)
        keys = _keys(text)
        if shuffled == words or names.get((v.facet, keys[0])) or names.get((v.facet, keys[1])):
            return None  # the new order spells another value
        return Case("reorder", v.facet, text, v.id)

    sample(unique, reorder, "reorder")

    def path_full(v: Value) -> Case | None:
        if not v.path or " > " not in v.path:
            return None
        return Case("path_full", v.facet, rng.choice(SEPARATORS).join(v.path.split(" > ")), v.id)

    sample(categories, path_full, "path_full")

    def path_fragment(v: Value) -> Case | None:
        parts = (v.path or "").split(" > ")
        if len(parts) < 3:
            return None
        take = rng.randint(2, len(parts) - 1)
        return Case("path_fragment", v.facet, rng.choice(SEPARATORS[:4] + (" > ",)).join(parts[-take:]), v.id)

    sample(categories, path_fragment, "path_fragment")

    def zh(v: Value) -> Case | None:
        label = v.label("zh-CN")
        if not label or labels[(v.facet, label)] != 1:
            return None
        return Case("zh", v.facet, label, v.id)

    sample(values, zh, "zh")

    synonym_cases = [
        Case("synonym", v.facet, rng.choice((str, str.title, str.upper))(s), v.id)
        for v in taxonomy.values.values()
        for s in v.synonyms
    ]
    cases.extend(synonym_cases)

    def json_wrapped(v: Value) -> Case | None:
        shape = rng.randrange(5)
        name = v.name
        if shape == 0:
            text = json.dumps({v.facet: name})
        elif shape == 1:
            text = json.dumps({v.facet: [name]})
        elif shape == 2:
            text = "```json\n" + json.dumps({v.facet: name}, indent=2) + "\n```"
        elif shape == 3:
            text = json.dumps([name])
        else:
            text = json.dumps({"tags": {v.facet: {"name": name}}})
        return Case("json", v.facet, text, v.id, answer=True)

    sample(unique, json_wrapped, "json")

    def json_broken(v: Value) -> Case | None:
        shape = rng.randrange(4)
        name = v.name.replace("'", "")
        if name != v.name:
            return None
        if shape == 0:
            text = "{'" + v.facet + "': '" + name + "'}"  # single quotes
        elif shape == 1:
            text = '{"' + v.facet + '": ["' + name + '",],}'  # trailing commas
        elif shape == 2:
            text = '{"' + v.facet + '": "' + name  # truncated
        else:
            text = '```\n{"' + v.facet + '": "' + name + '"'  # fence and object both unclosed
        return Case("json_broken", v.facet, text, v.id, answer=True)

    sample(unique, json_broken, "json_broken")

    def list_wrapped(v: Value) -> Case | None:
        shape = rng.randrange(4)
        if shape == 0:
            text = f"- {v.name}"
        elif shape == 1:
            text = f"1. {v.name}"
        elif shape == 2:
            title = taxonomy.facets[v.facet].title or v.facet
            text = f"{title}: {v.name}"
        else:
            text = f"* {v.name}\n"
        return Case("list", v.facet, text, v.id, answer=True)

    sample(unique, list_wrapped, "list")

    # -- must reject ---------------------------------------------------------------------------------------------
    def unrelated(v: Value) -> Case | None:
        text = rng.choice(UNRELATED)
        return None if _known(names, v.facet, text) else Case("unrelated", v.facet, text, None)

    sample(values, unrelated, "unrelated")

    vocabulary = sorted({w for v in unique for w in v.name.split() if w.isalpha() and len(w) >= 4})

    def near_miss(v: Value) -> Case | None:
        # a real value's name with one word swapped for a word from another value: looks like a tag, names none
        words = v.name.split()
        if len(words) < 2:
            return None
        i = rng.randrange(len(words))
        if len(words[i]) < 4:
            return None
        words[i] = rng.choice(vocabulary)
        text = " ".join(words)
        if _known(names, v.facet, text):
            return None
        facet_words = {_keys(w)[1] for u in taxonomy.facet_values(v.facet) for w in u.name.split()}
        if _keys(words[i])[1] in facet_words:
            return None  # "Red Wine" -> "White Wine" may be a real value under a name we do not know
        return Case("near_miss", v.facet, text, None)

    sample(unique, near_miss, "near_miss")

    def injection(v: Value) -> Case | None:
        return Case("injection", v.facet, rng.choice(INJECTIONS).format(x=v.name), None)

    sample(unique, injection, "injection")
    for make in BAD_INPUT:
        v = rng.choice(unique)
        cases.append(Case("bad_input", v.facet, make(rng), None))
    return cases
