"""Retrieval: the embedder, the lexical model and the example index."""
