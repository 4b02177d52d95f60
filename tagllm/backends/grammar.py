"""Constrained decoding for the transformers backend: an xgrammar mask per row, log-probs kept on the fly."""

from __future__ import annotations

from typing import Any


class GrammarLogitsProcessor:
    """Masks each row's logits to the tokens its JSON-schema grammar allows; records constrained log-probs.

    One instance per ``generate`` call (matchers hold state). A row whose grammar has finished may only emit a
    stop token, so padding rows never drift into free text. The log-probability of each chosen token under the
    constrained distribution is kept on the fly (one gather per step) instead of asking ``generate`` to store
    every step's full-vocabulary scores.
    """

    def __init__(self, xgr: Any, grammars: list[Any], stop_ids: list[int], vocab_size: int, *, logprobs: bool):
        self.xgr = xgr
        self.matchers = [xgr.GrammarMatcher(g) for g in grammars]
        self.bitmask = xgr.allocate_token_bitmask(len(grammars), vocab_size)
        self.stop_ids = stop_ids
        self.keep_logprobs = logprobs
        self.step_logprobs: list[Any] = []  # per step: (batch,) log-prob of the token chosen at that step
        self._last: Any = None
        self.broken: set[int] = set()
        self.stop_row = _stop_only_row(self.bitmask.shape[1], stop_ids)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self._last is not None:
            chosen = input_ids[:, -1]
            if self.keep_logprobs:
                # Stays on the device: one transfer at the end instead of a sync per step.
                self.step_logprobs.append(_chosen_logprob(self._last, chosen))
            chosen_ids = chosen.tolist()
            for i, matcher in enumerate(self.matchers):
                if not matcher.is_terminated() and not matcher.accept_token(chosen_ids[i]):
                    self.broken.add(i)
        for i, matcher in enumerate(self.matchers):
            if matcher.is_terminated() or i in self.broken:
                self.bitmask[i] = self.stop_row
            else:
                matcher.fill_next_token_bitmask(self.bitmask, i)
        if scores.device.type == "cuda":
            self.xgr.apply_token_bitmask_inplace(scores, self.bitmask.to(scores.device, non_blocking=True))
        else:
            # xgrammar's CPU kernel wants float32 logits.
            as_float = scores.float()
            self.xgr.apply_token_bitmask_inplace(as_float, self.bitmask)
            scores = as_float.to(scores.dtype)
        # The masked scores, kept until the next call reveals which token was chosen from them.
        self._last = scores
        return scores

    def finish(self, sequences: Any) -> list[list[float]]:
        """Per row, the log-prob of each generated token (``generate`` calls no processor after the last step)."""
        import torch

        if not self.keep_logprobs or self._last is None:
            return [[] for _ in self.matchers]
        steps = list(self.step_logprobs)
        steps.append(_chosen_logprob(self._last, sequences[:, -1]))
        return torch.stack(steps, dim=1).float().cpu().tolist()


def _chosen_logprob(scores: Any, chosen: Any) -> Any:
    """log softmax(scores)[chosen] per row, without materialising the full log-softmax (a vocabulary per row)."""
    import torch

    picked = scores.gather(1, chosen[:, None]).squeeze(1).float()
    return picked - torch.logsumexp(scores.float(), dim=-1)


def _stop_only_row(words: int, stop_ids: list[int]) -> Any:
    """A bitmask row (int32 words, bit set = allowed) that allows only the stop tokens."""
    import torch

    values = [0] * words
    for stop in stop_ids:
        values[stop // 32] |= 1 << (stop % 32)
    # Words are int32: a set bit 31 is stored as the negative number with the same bits.
    return torch.tensor([v - 2**32 if v >= 2**31 else v for v in values], dtype=torch.int32)
