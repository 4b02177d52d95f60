"""The attribute facets' linear model (``lex_linear``) gives the same margins whatever the process drew before it:
liblinear's dual solver visits rows in a random order, and unseeded it took that order from numpy's global
generator, so a product's evidence (in its fourth decimal) moved with the run and with how the file was split."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tagllm.candidates.linear import LinearModel
from tagllm.retrieval.lexical import WORD_OFFSET


def _data() -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """200 rows of character n-gram and word features with three overlapping, noisy classes (not separable, so the
    solver stops at its tolerance, where the visiting order shows)."""
    rng = np.random.default_rng(7)
    chars = sp.random(200, 300, density=0.05, format="csr", random_state=rng)
    words = sp.random(200, 40, density=0.1, format="csr", random_state=rng)
    x = sp.hstack([chars, sp.csr_matrix((200, WORD_OFFSET - 300)), words], format="csr")
    labels = rng.integers(0, 3, 200)
    y = sp.csr_matrix(np.eye(3, dtype=np.int8)[labels])
    return x, y


def test_the_linear_model_is_the_same_whatever_was_drawn_before() -> None:
    x, y = _data()
    np.random.seed(1)
    first = LinearModel(x, y)
    np.random.seed(2)
    np.random.random(1000)
    second = LinearModel(x, y)
    assert np.array_equal(first.coef, second.coef)
    assert np.array_equal(first.margins(x), second.margins(x))
