"""The tagging pipeline cut at the LLM engine, as plain rows that any engine or data framework can carry.

``Tagger.tag`` runs every stage in one process. A cluster wants the CPU work (normalise, embed, retrieve, score
candidates, render the prompt; later map the answer onto the taxonomy) on CPU workers and the engine on GPU
workers, scaled separately. These functions are that cut (``tagllm.distributed`` runs them on Ray Data):

* ``request_rows(tagger, items)``: one **row** per item with ``product_id``; ``request``, the first
  ``GenerationRequest`` as JSON (product, candidates, neighbours, chat messages, JSON schema); ``error``, the
  ``RecordError`` as JSON when the record could not be read, or the embedder gave its text a NaN vector
  (``request`` is then empty: no engine should spend time on it); ``scored``, what retrieval found (two_step
  only: the attribute step is built from it); ``answered``, the steps answered so far (a JSON list).
* the **engine** adds its generation to each row that has a ``request``: ``generated_text``,
  ``num_input_tokens``, ``num_generated_tokens``, ``__inference_error__`` and ``time_taken_llm`` (the columns of
  Ray Data's LLM processors), or ``generation``, a tagllm ``Generation`` as JSON (``generation_columns``).
* two_step only (``engine_passes(tagger) == 2``): ``attribute_rows(tagger, rows)`` maps each first answer's
  category and puts the attribute request for it in ``request`` (empty when the first step failed or no facet
  that applies has candidates); the engine answers again.
* ``finish_rows(tagger, rows)``: one ``TagResult`` per row, every step's answer mapped onto the taxonomy.

Every column is a string (the engine's counts are integers), so Arrow, Ray Data's block format, keeps the rows
columnar whatever the facets and candidates are. A row that fails anywhere becomes an error result; none is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from tagllm.backends.base import Generation, GenerationRequest
from tagllm.io import as_product, error_id
from tagllm.io.rows import encodable_result
from tagllm.llm_steps import ScoredProduct, first_requests
from tagllm.models import (
    NO_PHOTO_NOTE,
    Candidate,
    ImageUse,
    LabelledProduct,
    Neighbour,
    Product,
    RecordError,
    TagResult,
)
from tagllm.scoring import encoded

if TYPE_CHECKING:
    from tagllm.tagger import Tagger

ROW_COLUMNS = ("product_id", "error", "scored", "request", "answered")
RESULT_COLUMNS = ("product_id", "status", "result_json")
INFERENCE_ERROR = "__inference_error__"  # Ray Data LLM's column for a row whose inference failed
STRIPPED = (
    "a row without product_id: the engine stage returned it without the request row's columns (product_id, "
    "request, answered); an engine= stage must keep them (a processor's postprocess: dict(row, ...))"
)
NO_ANSWER = (
    "the engine stage gave this row no answer: it has neither generated_text (Ray Data's LLM processors) nor "
    "generation (tagllm's backends); an engine= stage must add one of them to each row and keep the row's columns"
)


def engine_passes(tagger: Tagger) -> int:
    """How many times the engine answers each product: 2 in two_step mode (category, then attributes), else 1."""
    return 2 if tagger.steps is not None and tagger.steps.is_two_step else 1


# -- the CPU stage before the engine -----------------------------------------------------------------------------------
def request_rows(tagger: Tagger, items: Sequence[Product | dict[str, Any] | RecordError]) -> list[dict[str, Any]]:
    """Normalise, embed, retrieve, score and render: one request row per item, in order (see the module doc)."""
    converted = [tagger.retrieval.visible(as_product(item, i), i + 1) for i, item in enumerate(items)]
    converted, vectors, _ = encoded(converted, tagger.embedder)  # a NaN vector: its product's error row, as in tag
    products = [p for p in converted if isinstance(p, Product)]
    scored = tagger.score(products, vectors) if products else []
    found = iter(zip(scored, first_requests(scored, tagger.steps), strict=True))
    two_step = engine_passes(tagger) == 2
    rows = []
    for i, item in enumerate(converted):
        if isinstance(item, RecordError):
            rows.append(_row(error_id(item, i + 1), error=item.model_dump_json()))
            continue
        retrieved, request = next(found)
        unseen = tagger.retrieval.unseen(retrieved)  # inputs [image] and no photo read: nothing to tag it from
        if unseen is not None and unseen.error is not None:
            rows.append(_row(item.id, error=unseen.error.model_dump_json()))
            continue
        kept = scored_to_json(retrieved) if two_step else ""
        rows.append(_row(item.id, request=request_to_json(request), scored=kept))
    return rows


# -- the engine stage -------------------------------------------------------------------------------------------------
def engine_requests(rows: list[dict[str, Any]]) -> list[tuple[int, GenerationRequest]]:
    """The requests an engine is to answer, with their rows' places: of each row that has a ``request`` and no
    ``error``. A row whose request cannot be read is made an error row in place (``error`` set, ``request``
    emptied): the engine skips it and ``finish_rows`` makes it an error result; the rest of the batch is asked."""
    todo = []
    for i, row in enumerate(rows):
        if row.get("error") or not row.get("request"):
            continue
        try:
            todo.append((i, request_from_json(row["request"])))
        except Exception as exc:  # one row that cannot be read fails that row, never the batch
            unreadable_row(row, exc)
    return todo


def unreadable_row(row: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """Make ``row`` the error row of a product whose row could not be read (``exc`` says why)."""
    row.update(error=_unreadable(str(row.get("product_id") or ""), exc).model_dump_json(), request="")
    return row


# -- the CPU stage between the two engine passes (two_step) --------------------------------------------------------
def attribute_rows(
    tagger: Tagger, rows: Sequence[dict[str, Any]], *, max_tokens: int | None = None, tokenizer: Any = None
) -> list[dict[str, Any]]:
    """two_step: map each row's category answer and put the attribute request for the chosen category in its
    ``request``; the first step moves to ``answered``. A row that failed stays failed (its ``request`` empty).

    ``max_tokens``: the engine's limit; an answer of that many tokens was cut (see ``generation_from_row``).
    ``tokenizer``: the model's, to turn the token log-probs an engine returned into confidences."""
    out: list[dict[str, Any] | None] = [None] * len(rows)
    todo: list[tuple[int, GenerationRequest, Generation, ScoredProduct]] = []
    for i, row in enumerate(rows):
        pid = str(row.get("product_id") or "")
        if row.get("error") or not row.get("request"):
            out[i] = _row(pid, error=row.get("error") or "", answered=row.get("answered") or "[]")
            continue
        try:
            request = request_from_json(row["request"])
            generation = generation_from_row(row, max_tokens, request=request, tokenizer=tokenizer)
            todo.append((i, request, generation, _scored(row)))
        except Exception as exc:  # a row that cannot be read is an error record, never a lost row
            out[i] = _row(pid, error=_unreadable(pid, exc).model_dump_json())
    if todo:
        steps = tagger.steps
        if steps is None:
            raise ValueError("attribute_rows builds the attribute step of an LLM tagger; this one has no steps")
        parts = tagger.results.parts([t[1] for t in todo], [t[2] for t in todo])
        seconds = steps.second_requests([t[3] for t in todo], parts)
        for (i, request, generation, _), second in zip(todo, seconds, strict=True):
            answered = json.dumps([_step(request, generation)], ensure_ascii=False)
            pid = request.product.id
            out[i] = _row(pid, request=request_to_json(second) if second is not None else "", answered=answered)
    return [r for r in out if r is not None]


# -- the CPU stage after the engine ------------------------------------------------------------------------------------
def finish_rows(
    tagger: Tagger, rows: Sequence[dict[str, Any]], *, max_tokens: int | None = None, tokenizer: Any = None
) -> list[TagResult]:
    """Every answered step of each row mapped onto the taxonomy: one result per row, in order (``max_tokens``,
    ``tokenizer``: see ``attribute_rows``).

    A record that failed before the engine, a generation that failed, or a row that cannot be read becomes an
    error result naming the product; the other rows are unaffected."""
    out = []
    for row in rows:
        pid = str(row.get("product_id") or "")
        try:
            result = _finish(tagger, row, max_tokens, tokenizer)
        except Exception as exc:  # a row that cannot be finished is an error record, never a lost row
            result = TagResult(product_id=pid, status="error", error=_unreadable(pid, exc))
        out.append(result)
    return out


def _finish(tagger: Tagger, row: dict[str, Any], max_tokens: int | None, tokenizer: Any) -> TagResult:
    pid = str(row.get("product_id") or "")
    if not pid:  # every request row has one: the engine stage dropped the row's columns
        return TagResult(product_id="", status="error", error=RecordError(message=STRIPPED))
    if row.get("error"):
        return TagResult(product_id=pid, status="error", error=RecordError.model_validate_json(row["error"]))
    steps = [(request_from_json(s["request"]), generation_from_json(s["generation"])) for s in _answered(row)]
    if row.get("request"):
        request = request_from_json(row["request"])
        steps.append((request, generation_from_row(row, max_tokens, request=request, tokenizer=tokenizer)))
    if not steps:
        raise ValueError("the row has neither a request nor an answered step")
    parts = tagger.results.parts([s[0] for s in steps], [s[1] for s in steps])
    return _photos_not_sent(tagger, steps[0][0].product, tagger.results.result(parts, tagger.backend, tagger.steps))


def _photos_not_sent(tagger: Tagger, product: Product, result: TagResult) -> TagResult:
    """``Tagger.tag`` shows an engine that reads photos the product's photos; a row carries none, so the engine
    answered from the text alone: said as ``tag`` says it of photos it could not read (``degraded``), not left for
    the result to pass as the answer of one that saw them."""
    if result.status != "ok" or result.degraded is not None or not product.images:
        return result
    if not getattr(tagger.backend, "photos_not_sent", False):  # a backend that reads no photos: text alone in tag too
        return result
    why = f"the distributed stages send no photo to the {tagger.backend.name} engine; tagllm generate sends them"
    note = RecordError(field="images", record_id=result.product_id, message=NO_PHOTO_NOTE + why, is_retryable=True)
    return result.model_copy(update={"degraded": note})


def result_row(result: TagResult) -> dict[str, Any]:
    """A result as the row ``tagllm.distributed`` writes: product_id, status, result_json (the TagResult)."""
    result = encodable_result(result)
    return {
        "product_id": result.product_id,
        "status": result.status,
        "result_json": result.model_dump_json(exclude_none=True),
    }


# -- generations -------------------------------------------------------------------------------------------------------
def generation_columns(generation: Generation) -> dict[str, Any]:
    """A tagllm backend's answer as row columns (the engine stage of ``tagllm.distributed`` for tagllm's backends)."""
    return {
        "generated_text": generation.text,
        "num_input_tokens": generation.prompt_tokens or 0,
        "num_generated_tokens": generation.completion_tokens or 0,
        "generation": generation_to_json(generation),
    }


def generation_to_json(generation: Generation) -> str:
    error = generation.error.model_dump() if generation.error is not None else None
    return json.dumps(asdict(generation) | {"error": error}, ensure_ascii=False)


def generation_from_json(text: str) -> Generation:
    data = json.loads(text)
    error = data.pop("error", None)
    return Generation(**data, error=RecordError.model_validate(error) if error else None)


def generation_from_row(
    row: dict[str, Any],
    max_tokens: int | None = None,
    *,
    request: GenerationRequest | None = None,
    tokenizer: Any = None,
) -> Generation:
    """The generation an engine stage put in a row: a tagllm ``generation``, or Ray's columns and error.

    Ray's processor does not say why a generation stopped: an answer of ``max_tokens`` tokens counts as cut, as
    the vllm backend reports an answer that stopped at its length limit. With the ``request`` and the model's
    ``tokenizer``, the log-probs of the chosen tokens (Ray's ``generated_tokens`` and ``logprobs`` columns) become
    per-value confidences, as the in-process vllm backend makes them."""
    if row.get("generation"):
        return generation_from_json(row["generation"])
    failure = row.get(INFERENCE_ERROR) or ""
    if failure:
        return Generation(error=RecordError(message=f"LLM engine: {failure}", is_retryable=True))
    if row.get("generated_text") is None:  # an engine that answers in a column of its own: no answer is no tag
        return Generation(error=RecordError(message=NO_ANSWER))
    completion = _int(row.get("num_generated_tokens"))
    seconds = row.get("time_taken_llm")
    error = None
    if max_tokens is not None and completion is not None and completion >= max_tokens:
        error = RecordError(
            message=f"the answer was cut at max_new_tokens={max_tokens}; raise backend_options.max_new_tokens"
        )
    text = str(row.get("generated_text") or "")
    return Generation(
        text=text,
        prompt_tokens=_int(row.get("num_input_tokens")),
        completion_tokens=completion,
        latency_ms=round(float(seconds) * 1000, 2) if seconds is not None and float(seconds) >= 0 else None,
        confidences=_confidences(text, row, request, tokenizer) if error is None else None,
        error=error,
    )


def _confidences(
    text: str, row: dict[str, Any], request: GenerationRequest | None, tokenizer: Any
) -> dict[str, dict[str, float]] | None:
    """Per-value confidences from the log-prob of each generated token (None without them)."""
    tokens, steps = row.get("generated_tokens"), row.get("logprobs")
    if request is None or request.schema is None or tokenizer is None or not tokens or not steps:
        return None
    from tagllm.backends.confidence import decoded_spans, enum_ids, value_confidences

    ids = [int(t) for t in tokens]
    logprobs = [_chosen_logprob(step, token) for step, token in zip(steps, ids, strict=False)]
    if len(logprobs) != len(ids) or any(lp is None for lp in logprobs):
        return None
    spans = decoded_spans(tokenizer, ids)
    return value_confidences(text, spans, logprobs, enum_ids(request.schema, request.candidates))  # type: ignore[arg-type]


def _chosen_logprob(step: Any, token: int) -> float | None:
    """The chosen token's log-prob from one step of Ray's ``logprobs`` (token id -> {logprob, rank,
    decoded_token}; after Arrow, the ids may be strings or the mapping a list of pairs)."""
    if isinstance(step, list):
        step = dict(step)
    if not isinstance(step, dict):
        return None
    entry = step.get(token, step.get(str(token)))
    if isinstance(entry, dict) and entry.get("logprob") is not None:
        return float(entry["logprob"])
    return None


# -- requests and retrieval as JSON ------------------------------------------------------------------------------------
def request_to_json(request: GenerationRequest) -> str:
    return json.dumps(
        {
            "product": _product(request.product),
            "candidates": _candidates(request.candidates),
            "neighbours": [n.model_dump(mode="json") for n in request.neighbours],
            "messages": request.messages,
            "schema": request.schema,
            "image_uses": [use.model_dump(mode="json", exclude_none=True) for use in request.image_uses],
        },
        ensure_ascii=False,
    )


def request_from_json(text: str) -> GenerationRequest:
    data = json.loads(text)
    return GenerationRequest(
        product=Product.model_validate(data["product"]),
        candidates=_candidates_from(data["candidates"]),
        neighbours=[Neighbour.model_validate(n) for n in data["neighbours"]],
        messages=data["messages"],
        schema=data["schema"],
        image_uses=[ImageUse.model_validate(use) for use in data.get("image_uses", [])],
    )


def scored_to_json(item: ScoredProduct) -> str:
    return json.dumps(
        {
            "product": _product(item.product),
            "candidates": _candidates(item.candidates),
            "neighbours": [n.model_dump(mode="json") for n in item.neighbours],
            "examples": [[_product(example), score] for example, score in item.examples],
        },
        ensure_ascii=False,
    )


def scored_from_json(text: str) -> ScoredProduct:
    data = json.loads(text)
    return ScoredProduct(
        product=Product.model_validate(data["product"]),
        candidates=_candidates_from(data["candidates"]),
        neighbours=[Neighbour.model_validate(n) for n in data["neighbours"]],
        examples=[(LabelledProduct.model_validate(e), float(s)) for e, s in data["examples"]],
    )


def _row(pid: str, *, error: str = "", scored: str = "", request: str = "", answered: str = "[]") -> dict[str, Any]:
    return {"product_id": pid, "error": error, "scored": scored, "request": request, "answered": answered}


def _scored(row: dict[str, Any]) -> ScoredProduct:
    if not row.get("scored"):
        raise ValueError("the row has no 'scored' column: it was not made by request_rows in two_step mode")
    return scored_from_json(row["scored"])


def _answered(row: dict[str, Any]) -> list[dict[str, str]]:
    return json.loads(row.get("answered") or "[]")  # type: ignore[no-any-return]


def _step(request: GenerationRequest, generation: Generation) -> dict[str, str]:
    return {"request": request_to_json(request), "generation": generation_to_json(generation)}


def _unreadable(pid: str, exc: Exception) -> RecordError:
    return RecordError(record_id=pid or None, message=f"row {pid}: {type(exc).__name__}: {exc}")


def _product(product: Product) -> dict[str, Any]:
    """A product as JSON. Its extra columns, which the tagger does not read, are written as ``tag_dataset`` writes a
    record when JSON has no type for them (a numpy array or number: a list column of a DataFrame read from Parquet, a
    binary cell): as their list or number, else as their text. Refused, they failed the whole batch."""
    try:
        return product.model_dump(mode="json", exclude_defaults=True)
    except ValueError:  # pydantic's serialization error, or bytes that are not UTF-8
        data = product.model_dump(mode="json", exclude_defaults=True, exclude={"extra"})
        data["extra"] = json.loads(json.dumps(product.extra, ensure_ascii=False, default=_json_value))
        return data


def _json_value(value: Any) -> Any:
    return value.tolist() if callable(getattr(value, "tolist", None)) else str(value)


def _candidates(candidates: dict[str, list[Candidate]]) -> dict[str, list[dict[str, Any]]]:
    return {facet: [c.model_dump(mode="json") for c in values] for facet, values in candidates.items()}


def _candidates_from(data: dict[str, list[dict[str, Any]]]) -> dict[str, list[Candidate]]:
    return {facet: [Candidate.model_validate(c) for c in values] for facet, values in data.items()}


def _int(value: Any) -> int | None:
    return int(value) if value is not None and value != "" else None
