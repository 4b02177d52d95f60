"""WordNet 3.0's data files read where ``tagllm.mapping.wordnet`` holds nothing of them, for the stated lexicon's
build alone (``python -m tagllm.candidates.stated.lexicon``): the glosses of artifacts and the verbs. Nothing reads
them at run time: the rows built from them ship in ``lexicon.txt.gz``."""

from __future__ import annotations

from pathlib import Path

ARTIFACT_LEXFILE = "06"  # noun.artifact


def artifact_glosses(source: Path) -> dict[str, str]:
    """The glosses of WordNet's artifact synsets (``noun.artifact``), by synset id as ``WordNet`` writes them
    ("n04234670"), read from its ``data.noun`` in ``source``: an artifact's gloss says what it is made of ("a writing
    tablet made of slate")."""
    glosses = {}
    for line in (source / "data.noun").read_text(encoding="latin-1").splitlines():
        fields, _, gloss = line.partition(" | ")
        parts = fields.split(maxsplit=2)
        if not line.startswith("  ") and len(parts) > 1 and parts[1] == ARTIFACT_LEXFILE:
            glosses["n" + parts[0]] = gloss.strip()
    return glosses


def verb_lemmas(source: Path) -> frozenset[str]:
    """WordNet's one-word verb lemmas ("iron", "lace"; not "silk"), read from its ``index.verb`` in ``source``."""
    lemmas = (line.split(" ", 1)[0] for line in (source / "index.verb").read_text(encoding="latin-1").splitlines())
    return frozenset(lemma for lemma in lemmas if lemma and "_" not in lemma)
