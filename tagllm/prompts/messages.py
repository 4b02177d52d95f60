"""The chat messages of one render: ``{% call message(role) %}`` blocks, and the photos ``{{ image(i) }}`` places."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from tagllm.errors import ConfigError
from tagllm.prompts.sandbox import spend

ROLES = ("system", "user", "assistant")


class MessageCollector:
    """Collects the ``{% call message("role") %}…{% endcall %}`` blocks of one render, in order, and the places
    ``{{ image(i) }}`` puts the product's photos.

    A photo is marked in the rendered text by a token with a random part drawn for this render, so no product text
    can forge one; a message holding photos becomes a list of content parts, ``{"type": "text", "text": …}`` and
    ``{"type": "image", "index": i, "source": …}``, which each backend turns into what its engine takes."""

    def __init__(self, images: Sequence[str] = ()) -> None:
        self.messages: list[dict[str, Any]] = []
        self.images = list(images)
        self._token = f"\x00image-{secrets.token_hex(8)}-"
        self._marker = re.compile(re.escape(self._token) + r"(\d+)\x00")

    def message(self, role: str, caller: Callable[[], str] | None = None) -> str:
        if role not in ROLES:
            raise ConfigError(f"message role {role!r} is not one of: {', '.join(ROLES)}")
        if caller is None:
            raise ConfigError('use message() as a call block: {% call message("user") %}…{% endcall %}')
        content = caller()
        spend(chars=len(content))  # text written directly in a block reaches no finalize: counted here
        self.messages.append({"role": role, "content": self._content(content.strip())})
        return ""

    def image(self, index: int = 0) -> str:
        if not isinstance(index, int) or not 0 <= index < len(self.images):
            raise ConfigError(
                f"image({index!r}): the product has {len(self.images)} photo(s) to show; "
                "place them with {% for photo in product.images %}{{ image(loop.index0) }}{% endfor %}"
            )
        return f"{self._token}{index}\x00"

    def _content(self, text: str) -> str | list[dict[str, Any]]:
        pieces = self._marker.split(text)
        if len(pieces) == 1:
            return text
        parts: list[dict[str, Any]] = []
        for i, piece in enumerate(pieces):
            if i % 2:
                parts.append({"type": "image", "index": int(piece), "source": self.images[int(piece)]})
            elif piece.strip():
                parts.append({"type": "text", "text": piece.strip()})
        return parts
