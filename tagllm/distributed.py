"""Beyond one machine: run the same tagging pipeline over a Ray Data dataset, one Tagger per worker."""

from __future__ import annotations

import json
from typing import Any

from tagllm.config import TaggerConfig
from tagllm.errors import missing_dependency

RESULT_COLUMNS = ("product_id", "status", "result_json")


class _TaggerWorker:
    """Built once per Ray worker (the index and models load once), then called on batches of rows."""

    def __init__(self, config: dict[str, Any]) -> None:
        from tagllm.tagger import Tagger

        self.tagger = Tagger.from_config(TaggerConfig.model_validate(config))

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        columns = list(batch)
        size = len(batch[columns[0]]) if columns else 0
        rows = [{c: _plain(batch[c][i]) for c in columns} for i in range(size)]
        results = self.tagger.tag(rows)
        return {
            "product_id": [r.product_id for r in results],
            "status": [r.status for r in results],
            "result_json": [r.model_dump_json(exclude_none=True) for r in results],
        }


def _plain(value: Any) -> Any:
    """Ray hands numpy scalars and arrays; the product model wants Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def tag_dataset(
    dataset: Any,
    config: TaggerConfig,
    *,
    batch_size: int | None = None,
    concurrency: int = 1,
    num_gpus: float = 0,
) -> Any:
    """Tag a ``ray.data.Dataset`` of product rows; returns a dataset of (product_id, status, result_json).

    ``concurrency`` workers each hold one Tagger (with ``num_gpus`` each for an LLM backend); the index must be a
    directory every worker can read (build it first with ``tagllm index build``).
    """
    try:
        import ray  # noqa: F401
    except ImportError:
        raise missing_dependency("ray", "ray", "tagging a Ray dataset") from None
    return dataset.map_batches(
        _TaggerWorker,
        fn_constructor_args=(json.loads(config.model_dump_json()),),
        batch_size=batch_size or config.batch_size,
        batch_format="numpy",
        concurrency=concurrency,
        num_gpus=num_gpus,
    )
