"""The files an example index is written as and read back from: FAISS's index, the vectors, the lexical model and
matrix, the examples as JSONL, the photos' vectors and the fitted image encoder, and the manifest, written last.

Apart from ``tagllm.retrieval.index`` (what the index holds, how it grows and searches) and from
``tagllm.retrieval.index_files`` (how a directory is written without losing what is there) because the layout of
the files is a concern of its own: a file added or changed here is one place to read, and no pickle anywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from tagllm.models import LabelledProduct
from tagllm.retrieval.examples import read_index_examples
from tagllm.retrieval.faiss_search import HNSW_EF_SEARCH, faiss_module, use_gpu
from tagllm.retrieval.lexical import LexicalModel

if TYPE_CHECKING:
    from tagllm.retrieval.image_encoder import ImageEncoder
    from tagllm.retrieval.image_index import ImageVectors
    from tagllm.retrieval.index import ExampleIndex


@dataclass
class IndexFiles:
    """What an index directory holds, read back: the parts an ``ExampleIndex`` is built from besides its manifest."""

    examples: list[LabelledProduct]
    vectors: np.ndarray
    lexical: LexicalModel
    lexical_matrix: sp.csr_matrix
    faiss_index: Any
    images: ImageVectors | None = None
    image_encoder: ImageEncoder | None = None


def write_index_files(path: Path, index: ExampleIndex, faiss_index: Any) -> None:
    """Write ``index`` (searched by ``faiss_index``, moved off the GPU first) into ``path``, the manifest last: the
    caller moves the files over the index's directory in that order."""
    faiss = faiss_module()
    if hasattr(faiss, "index_gpu_to_cpu") and type(faiss_index).__name__.startswith("Gpu"):
        faiss_index = faiss.index_gpu_to_cpu(faiss_index)
    faiss.write_index(faiss_index, str(path / "index.faiss"))
    np.save(path / "vectors.npy", index.vectors, allow_pickle=False)
    index.lexical.save(path)
    # uncompressed: zlib took 0.2 s for 3,000 examples to make the file 1.6x smaller
    sp.save_npz(path / "lexical_matrix.npz", index.lexical_matrix, compressed=False)
    with (path / "examples.jsonl").open("w", encoding="utf-8") as fh:
        for e in index.examples:
            fh.write(e.model_dump_json(exclude_defaults=True) + "\n")
    if index.images is not None and index.image_encoder is not None:
        index.images.save(path)
        index.image_encoder.save(path)
    manifest = dict(index.manifest, count=len(index.examples))
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def read_index_files(path: Path, manifest: dict[str, Any]) -> IndexFiles:
    """The files ``write_index_files`` wrote into ``path``, read as ``manifest`` says (an HNSW index searched with
    its search breadth, a flat one moved onto a GPU when there is one); a file that does not match the others is a
    ``ValueError``, which the caller reports as a damaged index."""
    examples = read_index_examples(path / "examples.jsonl")
    vectors = np.load(path / "vectors.npy", allow_pickle=False)
    faiss = faiss_module()
    faiss_index = faiss.read_index(str(path / "index.faiss"))
    if manifest.get("faiss") == "hnsw":
        faiss_index.hnsw.efSearch = HNSW_EF_SEARCH
    elif use_gpu(faiss):
        faiss_index = faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), 0, faiss_index)
    if len(vectors) != len(examples):  # before the photos: their rows are checked against the examples
        raise ValueError(f"{len(examples)} examples but {len(vectors)} vectors")
    files = IndexFiles(
        examples, vectors, LexicalModel.load(path), sp.load_npz(path / "lexical_matrix.npz").tocsr(), faiss_index
    )
    if manifest.get("images"):
        from tagllm.retrieval.image_encoder import load_image_encoder
        from tagllm.retrieval.image_index import ImageVectors

        encoder = manifest["images"]["encoder"]
        files.images = ImageVectors.load(path, encoder, len(examples))
        files.image_encoder = load_image_encoder(encoder, path)
    return files
