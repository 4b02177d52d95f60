"""The Ray Data adapter gives the same tags as the local tagger (runs where ray is installed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagllm.config import TaggerConfig

DATA = Path(__file__).parent / "data"


@pytest.mark.slow
def test_tag_dataset_matches_the_local_tagger(demo_index_dir: Path) -> None:
    ray = pytest.importorskip("ray", reason="needs the ray extra: pip install 'tagllm[ray]'")
    from tagllm.distributed import tag_dataset
    from tagllm.tagger import Tagger

    config = TaggerConfig(taxonomy="demo", index=str(demo_index_dir), k=5)
    rows = [json.loads(line) for line in (DATA / "products.jsonl").read_text().splitlines()]
    local = {r.product_id: r.best("category").id for r in Tagger.from_config(config).tag(rows)}  # type: ignore[union-attr]
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    try:
        out = tag_dataset(ray.data.from_items(rows), config, batch_size=2).take_all()
    finally:
        ray.shutdown()
    remote = {r["product_id"]: json.loads(r["result_json"])["tags"]["category"][0]["id"] for r in out}
    assert remote == local == {"p1": "apparel-tshirts", "p2": "apparel-dresses", "p3": "electronics-headphones"}
