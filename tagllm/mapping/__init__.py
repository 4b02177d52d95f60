"""The validator: free text (any shape of model output, English or Chinese) onto taxonomy values, or a rejection.

A chain of small stages (``Mapper.stages``), each one class with one method over a batch: screen ▸ id ▸ exact ▸
normalized ▸ synonym ▸ alias ▸ derived ▸ translation ▸ path ▸ zh_head ▸ guard ▸ colour ▸ lexical ▸ swap ▸ modifier ▸
paraphrase ▸ fuzzy ▸ embedding ▸ llm.
"""

from tagllm.mapping.base import METHODS, Mapped, MappedAnswer, Stage
from tagllm.mapping.cells import CellResult, map_texts
from tagllm.mapping.keys import keys
from tagllm.mapping.mapper import Mapper, map_strings

__all__ = ["METHODS", "CellResult", "Mapped", "MappedAnswer", "Mapper", "Stage", "keys", "map_strings", "map_texts"]
