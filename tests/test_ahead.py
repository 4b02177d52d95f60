"""ahead: the next item's work runs on a background thread while the caller holds the current result; results come in
order, errors where their result would have been, and a caller that stops stops the work."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tagllm.ahead import Stopped, ahead, check


def test_results_come_in_input_order_from_a_background_thread() -> None:
    threads = set()

    def square(item: int, stop: threading.Event) -> int:
        threads.add(threading.current_thread().name)
        time.sleep(0.01 * (5 - item))  # later items finish sooner: the order is still the input's
        return item * item

    assert list(ahead(range(5), square)) == [0, 1, 4, 9, 16]
    assert len(threads) == 1 and threading.current_thread().name not in threads


def test_the_next_item_is_worked_on_while_the_caller_holds_the_current_result() -> None:
    started: list[int] = []
    second_started = threading.Event()

    def work(item: int, stop: threading.Event) -> int:
        started.append(item)
        if item == 1:
            second_started.set()
        return item

    results = ahead(range(3), work)
    assert next(results) == 0
    assert second_started.wait(5)  # while the caller holds result 0, item 1 is worked on ...
    assert started == [0, 1]  # ... and nothing further ahead
    assert list(results) == [1, 2]


def test_an_error_in_the_work_is_raised_where_its_result_would_be() -> None:
    def work(item: int, stop: threading.Event) -> int:
        if item == 2:
            raise ValueError("item 2 cannot be encoded")
        return item

    results = ahead(range(4), work)
    assert [next(results), next(results)] == [0, 1]
    with pytest.raises(ValueError, match="item 2 cannot be encoded"):
        next(results)


def test_an_error_reading_the_items_comes_after_the_results_before_it() -> None:
    def items() -> Iterator[int]:
        yield 0
        yield 1
        raise OSError("the input file went away")

    results = ahead(items(), lambda item, stop: item * 10)
    assert [next(results), next(results)] == [0, 10]
    with pytest.raises(OSError, match="went away"):
        next(results)


def test_a_caller_that_stops_sets_stop_and_waits_for_the_running_work() -> None:
    running = threading.Event()
    finished: list[str] = []

    def work(item: int, stop: threading.Event) -> int:
        if item == 1:
            running.set()
            try:
                while True:  # long work that checks between its steps
                    check(stop)
                    time.sleep(0.005)
            except Stopped:
                finished.append("stopped")
                raise
        return item

    results = ahead(range(3), work)
    assert next(results) == 0
    assert running.wait(5)
    results.close()  # as Ctrl-C or an error in the caller's loop would end it
    assert finished == ["stopped"]


def test_check_raises_only_once_stop_is_set() -> None:
    stop = threading.Event()
    check(None)
    check(stop)
    stop.set()
    with pytest.raises(Stopped):
        check(stop)
