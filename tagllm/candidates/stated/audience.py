"""Audiences a text states: the words for the young of a gender ("Boys", "Girls") and for kin ("for Mum"), and
whether a mention names whom the product is for ("Men's", "for Her") or is part of a name ("Iron Man")."""

from __future__ import annotations

from tagllm.attributes import is_placeholder
from tagllm.text import normalize

# Words for the young of a gender: catalogues write "Boys" and "Girls" where a gender facet has Male and Female.
YOUNG_GENDER_WORDS = {"male": ("boy", "boys"), "female": ("girl", "girls")}
# Words for kin of a gender, which name whom a gift is for after "for" ("Gift for Mum", "Mug for my Grandad", "for
# the Bride"): English kinship terms, a closed class, each read in its plural as well ("Socks for Dads", "for
# Grannies", ``plural``). Elsewhere they are as often part of a name or another sense ("Mother of Pearl", "Brother
# Label Printer", "Big Sister Book"), so only the object of "for" is read.
KIN_WORDS = {
    "male": (
        "dad", "daddy", "father", "grandad", "granddad", "grandpa", "grandfather", "husband", "boyfriend",
        "son", "brother", "uncle", "nephew", "groom", "papa", "hubby",
    ),
    "female": (
        "mum", "mom", "mummy", "mommy", "mother", "mama", "nan", "nana", "nanna", "gran", "granny",
        "grandma", "grandmother", "wife", "girlfriend", "daughter", "sister", "auntie", "aunt", "niece", "bride",
    ),
}  # fmt: skip
# Words between "for" and the one it names: "for my Mum", "for the Bride", "for New Dad".
BEFORE_BUYER = frozenset({"my", "your", "the", "a", "new"})
# Words joining two objects of one "for" ("for Mum and Dad", "for Him or Her"; "&" is normalised to "and").
JOINING_OBJECTS = frozenset({"and", "or"})
# "His and Hers" ("His & Hers"): a product for a couple, him and her alike ("Hers" alone reads as "her"). "His" alone
# is as often of a title or a name ("His Dark Materials"; "for His Birthday"), so it is read only in the pair.
HIS_AND_HERS = ("his", "and", "hers")
# Words naming a group of one sex as whom a product is for, in the plural or the possessive ("men s" is "Men's"
# normalised): two of them of both sexes side by side, or joined by "and" or "or", name both ("for Boys Girls", "Men
# Women", "Men's & Women's"): the product is for either, a Unisex product, not one of each.
GROUP_WORDS = {
    "male": ("men", "mens", "men s", "boys", "gents"),
    "female": ("women", "womens", "women s", "girls", "ladies"),
}
BOTH_JOINERS = ("", "and ", "or ")
# Nouns of a time that, after an audience word, name a theme or an event: "Ladies Night", "Girls' Day Out", "Boys
# Weekend" (English grammar: the audience word qualifies the time, not the buyer of the product).
TIME_NOUNS = frozenset({"night", "nights", "nite", "day", "days", "evening", "weekend", "morning", "afternoon"})


def names_buyer(words: tuple[str, ...], start: int, end: int, is_unsexed: bool) -> bool:
    """Whether an audience value's mention ``words[start:end]`` names whom the product is for, by English grammar: a
    possessive ("Men's", normalised "men s"; "Girls'"), a plural written before the product's noun ("Mens", "Ladies",
    "Boys"), the object of "for" ("for Women", "Gift for Him", "for my Mum"), a baby's sex ("Baby Girl"), or a value
    that is no sex ("Unisex"). A bare singular or a plural without its "s" is as often part of a name: "Iron Man",
    "Mr. Men", "Lady Finger", "Male to Female";
    one before a noun of a time names a theme or an event ("Ladies Night Poster", ``TIME_NOUNS``), which the product
    is for only where its category has an audience ("Ladies Night Gown" keeps Female through the category)."""
    if is_unsexed:
        return True
    possessive = end < len(words) and words[end] == "s"
    following = end + possessive
    if following < len(words) and words[following] in TIME_NOUNS:
        return False  # "Ladies Night Poster": a night for ladies, a poster for anyone
    of_baby = words[start - 1 : start] == ("baby",)  # "Baby Girl Romper": a baby of that sex
    return possessive or words[end - 1].endswith("s") or after_for(words, start) or of_baby


def after_for(words: tuple[str, ...] | list[str], start: int) -> bool:
    """Whether ``words[start]`` is the object of "for", right after it or after a word of ``BEFORE_BUYER``: "Gift for
    Him", "for my Mum"; or joined by "and" or "or" to a word that is: "Dad" in "Gift for Mum and Dad", "Her" in
    "for Him or Her" (both are whom it is for)."""
    before = words[start - 1] if start > 0 else ""
    if before in JOINING_OBJECTS and start > 1:
        return after_for(words, start - 2)
    return before == "for" or before in BEFORE_BUYER and start > 1 and words[start - 2] == "for"


def kin_words(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
    """The words for kin of each gender (``KIN_WORDS``), and the "his" of "his and hers", to the facet's Male and
    Female, where it has both and no value of its own for the word."""
    names = {normalize(v.name): v for v in values}
    if "male" not in names or "female" not in names:
        return []
    words = {g: {*kin, *(plural(w) for w in kin)} for g, kin in KIN_WORDS.items()}
    words["male"].add(HIS_AND_HERS[0])
    return [(w, position[names[g].id]) for g, kin in words.items() for w in sorted(kin) if w not in names]


def plural(noun: str) -> str:
    """The English plural of a word for kin: "-y" after a consonant to "-ies" ("granny": "grannies"), "-fe" to
    "-ves" ("wife": "wives"), else "-s" ("dad": "dads", "boyfriend": "boyfriends")."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if noun.endswith("fe"):
        return noun[:-2] + "ves"
    return noun + "s"


def kin_names_buyer(words: tuple[str, ...] | list[str], start: int, end: int) -> bool:
    """Whether the word of ``kin_words`` at ``words[start:end]`` names whom the product is for: a word for kin as the
    object of "for" ("Gift for Mum"), "his" only in "his and hers"."""
    if tuple(words[start:end]) == HIS_AND_HERS[:1]:
        return tuple(words[start : start + 3]) == HIS_AND_HERS
    return after_for(words, start)


def audience(values: list, position: dict[str, int]) -> dict[int, bool]:
    """In an audience facet (it has values named Male and Female), each value's position -> whether it names a sex
    (Unisex names none; a placeholder such as "Other" is left out); empty for any other facet."""
    names = {normalize(v.name): v for v in values if not is_placeholder(v.name)}
    if not {"male", "female"} <= names.keys():
        return {}
    return {position[v.id]: name in ("male", "female") for name, v in names.items()}


def both_sexes_phrases(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
    """The phrases naming groups of both sexes together (``GROUP_WORDS``: "boys girls", "women and men") to the
    facet's Unisex, where it has Male, Female and Unisex: the longer mention then holds the two words, so neither sex
    is stated alone. Where the facet has no Unisex, each word states its own sex."""
    names = {normalize(v.name): v for v in values}
    if not {"male", "female", "unisex"} <= names.keys():
        return []
    unisex = position[names["unisex"].id]
    return [
        (f"{first} {joiner}{second}", unisex)
        for male in GROUP_WORDS["male"]
        for female in GROUP_WORDS["female"]
        for first, second in ((male, female), (female, male))
        for joiner in BOTH_JOINERS
    ]


def young_gender_words(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
    """'Boys' for Male and 'Girls' for Female, where the facet has both and no value of its own for either word."""
    names = {normalize(v.name): v for v in values}
    if "male" not in names or "female" not in names or {"boy", "boys", "girl", "girls"} & names.keys():
        return []
    return [(word, position[names[g].id]) for g, words in YOUNG_GENDER_WORDS.items() for word in words]
