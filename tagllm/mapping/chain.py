"""The Mapper's chain of stages, in the order a string goes through them: the one list a new stage is added to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tagllm.mapping.base import Stage
from tagllm.mapping.chinese import ChineseStage
from tagllm.mapping.clips import ClipStage
from tagllm.mapping.colour_codes import ColourCodeStage
from tagllm.mapping.colour_nouns import ColourNounStage
from tagllm.mapping.colours import ColourStage
from tagllm.mapping.contained import ContainedStage
from tagllm.mapping.cups import CupStage
from tagllm.mapping.derived import DerivedStage
from tagllm.mapping.embedding import EmbeddingStage
from tagllm.mapping.foreign import ForeignPathStage
from tagllm.mapping.fuzzy import FuzzyStage
from tagllm.mapping.imitations import ImitationStage
from tagllm.mapping.lookup import AliasStage, ExactStage, IdStage, NormalizedStage, SynonymStage, TranslationStage
from tagllm.mapping.paths import PathStage
from tagllm.mapping.privatives import PrivativeStage
from tagllm.mapping.screening import GuardStage, ScreenStage
from tagllm.mapping.specs import SpecStage
from tagllm.mapping.zh_cells import ZhCellStage
from tagllm.mapping.zh_elsewhere import ZhElsewhereStage
from tagllm.mapping.zh_facet_words import ZhFacetWordStage
from tagllm.mapping.zh_stems import ZhStemStage

if TYPE_CHECKING:
    from tagllm.backends.base import Backend
    from tagllm.mapping.lexical import LexicalStage
    from tagllm.mapping.mapper import Mapper


@dataclass
class Chain:
    """A mapper's stages, and the ones other stages read strings with."""

    stages: list[Stage]
    lookups: list[Stage]
    """The table stages: what the modifier stage runs again on a string with its modifiers stripped."""
    naming: list[Stage]
    """The stages that read a phrase as names (a swapped word is a guess under the head's bar): what the modifier and
    paraphrase stages look their phrases up with ("kids bike helmet" -> "bike helmet" -> bicycle helmet)."""
    lexical: LexicalStage | None
    colour: ColourStage
    fuzzy: FuzzyStage


def build_chain(mapper: Mapper, *, use_embeddings: bool, use_lexicon: bool, backend: Backend | None) -> Chain:
    """The stages of ``mapper``, cheapest first: WordNet's only with ``use_lexicon``, the embedder's only with
    ``use_embeddings``, the LLM's only with a ``backend``."""
    # imported here, as Mapper did: at the top, the title stage's import of tagllm.candidates (which imports this
    # package) would be circular
    from tagllm.mapping.clauses import ClauseStage
    from tagllm.mapping.modifiers import ModifierStage
    from tagllm.mapping.paraphrase import ParaphraseStage
    from tagllm.mapping.spelling import SpellingStage
    from tagllm.mapping.titles import TitleStage

    lookups: list[Stage] = [
        ExactStage(mapper),
        NormalizedStage(mapper),
        SynonymStage(mapper),
        AliasStage(mapper),
        DerivedStage(mapper),
        TranslationStage(mapper),
    ]
    colour, fuzzy, modifier = ColourStage(mapper), FuzzyStage(mapper), ModifierStage(mapper)
    stems = ZhStemStage(mapper)  # the zh_head stage reads its stems too
    lexical, wordnet = _wordnet_stages(mapper) if use_lexicon else (None, [])
    naming = [*lookups, *wordnet[:2]]  # and the lexical and swap stages, which read a phrase as names too
    reading = [*naming, modifier]  # what a title's head phrase is read by
    colours_read = [*lookups, colour, *reading[len(lookups) :]]  # "scarlet" is the colour stage's
    stages = [
        ScreenStage(mapper),
        IdStage(mapper),
        *lookups,
        PathStage(mapper),
        ChineseStage(mapper, stems),
        ZhCellStage(mapper),
        ZhFacetWordStage(mapper),
        stems,
        ZhElsewhereStage(mapper),
        CupStage(mapper),
        ForeignPathStage(mapper),
        GuardStage(mapper),
        PrivativeStage(mapper),
        ImitationStage(mapper, reading),  # before the colour stage reads "man made"
        colour,
        *wordnet,  # lexical ▸ swap ▸ lead ▸ name_part
        modifier,
        SpellingStage(mapper, reading),
        ColourCodeStage(mapper, reading),
        ColourNounStage(mapper, colours_read),
        ClauseStage(mapper, reading),
        ParaphraseStage(mapper, naming),
        *([TitleStage(mapper, reading)] if use_embeddings else []),  # a head phrase's guess needs the embedder's word
        SpecStage(mapper),
        ClipStage(mapper),
        fuzzy,
        *([EmbeddingStage(mapper)] if use_embeddings else []),
        ContainedStage(mapper),  # after the embedder, whose nearest values it checks against
        *(_gloss_stages(mapper, lexical) if use_embeddings and lexical is not None else []),  # gloss ▸ wording
        *(_llm_stages(mapper, backend) if backend is not None else []),
    ]
    return Chain(stages, lookups, naming, lexical, colour, fuzzy)


def _wordnet_stages(mapper: Mapper) -> tuple[LexicalStage, list[Stage]]:
    """The lexical stage, and the stages that read WordNet: lexical ▸ swap ▸ lead ▸ name_part."""
    from tagllm.mapping.leads import LeadStage
    from tagllm.mapping.lexical import LexicalStage
    from tagllm.mapping.name_parts import NamePartStage
    from tagllm.mapping.swaps import SwapStage

    lexical = LexicalStage(mapper)
    return lexical, [lexical, SwapStage(mapper, lexical), LeadStage(mapper), NamePartStage(mapper, lexical)]


def _gloss_stages(mapper: Mapper, lexical: LexicalStage) -> list[Stage]:
    """The stages that read WordNet's glosses against the embedder: gloss ▸ wording."""
    from tagllm.mapping.glosses import GlossStage
    from tagllm.mapping.wording import WordingStage

    return [GlossStage(mapper, lexical), WordingStage(mapper, lexical)]


def _llm_stages(mapper: Mapper, backend: Backend) -> list[Stage]:
    from tagllm.mapping.llm import LLMStage

    return [LLMStage(mapper, backend)]
