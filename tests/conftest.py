"""Shared fixtures: user state in a temp dir, the real default embedder, the demo taxonomy and a small index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches go to a per-session temp dir and no TAGLLM_* variable of the developer's leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("TAGLLM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from tagllm.retrieval.embedder import Embedder

    return Embedder()


class CountingEmbedder:
    """The real embedder, recording the texts of each ``encode`` call (what a cache of vectors spared)."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self.calls: list[list[str]] = []

    def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        self.calls.append(list(texts))
        return self.embedder.encode(texts, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.embedder, name)


@pytest.fixture
def counting_embedder(embedder) -> CountingEmbedder:  # type: ignore[no-untyped-def]
    return CountingEmbedder(embedder)


@pytest.fixture(scope="session")
def demo_taxonomy():  # type: ignore[no-untyped-def]
    from tagllm.taxonomy import load_taxonomy

    return load_taxonomy("demo")


@pytest.fixture(scope="session")
def demo_index_dir(tmp_path_factory: pytest.TempPathFactory, demo_taxonomy, embedder) -> Path:  # type: ignore[no-untyped-def]
    """The demo examples built into an index once per session (the stackers fall back to defaults: 30 examples)."""
    import os

    from tagllm.assembly import build_index

    os.environ.setdefault("TAGLLM_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    target = tmp_path_factory.mktemp("demo-index")
    build_index(DATA / "demo_examples.jsonl", demo_taxonomy, embedder, target)
    return target


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Show a CLI module's progress as on a terminal (stderr is no terminal under pytest):
    ``on_a_terminal("tagllm.cli.index")``."""
    from tagllm.cli.common import StderrProgress

    class OnATerminal(StderrProgress):
        def __init__(self, quiet: bool = False) -> None:
            super().__init__(quiet)
            self.enabled = True

    def show(module: str) -> None:
        monkeypatch.setattr(f"{module}.StderrProgress", OnATerminal)

    return show
