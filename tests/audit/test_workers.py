"""The verifier's worker processes: results in task order, failures raised in the
parent, no thread beside the one reading."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from saksi.audit.workers import OrderedPool, WorkerError, WorkerLost


def _slow_square(x: int) -> tuple[int, int]:
    time.sleep((x * 7919 % 5) / 1000)  # uneven: later tasks often finish first
    return x, x * x


def test_results_come_in_task_order_whichever_worker_finishes_first() -> None:
    with OrderedPool(3, _slow_square) as pool:
        before = threading.active_count()
        seen = []
        for result in pool.imap(list(range(60))):
            seen.append(result)
            assert threading.active_count() == before  # read here, by this thread
        pool.close()
    assert seen == [(x, x * x) for x in range(60)]


def test_a_pool_serves_several_maps_and_more_workers_than_tasks() -> None:
    with OrderedPool(4, _slow_square, ahead=3) as pool:
        assert list(pool.imap([5])) == [(5, 25)]
        assert list(pool.imap([])) == []
        assert list(pool.imap([1, 2, 3])) == [(1, 1), (2, 4), (3, 9)]
        pool.close()


def _fails_at_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"task {x}")
    return x


def test_an_exception_in_a_task_is_raised_in_the_parent_as_itself() -> None:
    with OrderedPool(2, _fails_at_three) as pool:
        got = []
        with pytest.raises(ValueError, match="task 3"):
            got.extend(pool.imap(list(range(8))))
        assert got == [0, 1, 2]


class _Unpicklable(Exception):
    def __init__(self, lock: object) -> None:
        super().__init__("holds a lock")
        self.lock = lock

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("cannot pickle")


def _raises_unpicklable(x: int) -> int:
    raise _Unpicklable(threading.Lock())


def test_an_exception_that_cannot_be_sent_arrives_as_its_traceback() -> None:
    with OrderedPool(2, _raises_unpicklable) as pool, \
            pytest.raises(WorkerError, match="cannot pickle"):
        list(pool.imap([1]))


def _dies(x: int) -> int:
    if x == 2:
        os._exit(9)  # as the kernel's OOM killer would leave it
    return x


def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    with OrderedPool(2, _dies) as pool, pytest.raises(WorkerLost):
        list(pool.imap(list(range(6))))


def test_closing_stops_every_worker() -> None:
    pool = OrderedPool(2, _slow_square)
    procs = list(pool._procs)
    assert list(pool.imap([1, 2])) == [(1, 1), (2, 4)]
    pool.close()
    assert all(p.exitcode == 0 for p in procs)


def _sized(n: int) -> bytes:
    return bytes([n % 251]) * n


def test_results_larger_and_smaller_than_the_read_buffer_arrive_whole() -> None:
    sizes = [10, 3 << 20, 5, (1 << 20) - 3, 7 << 20, 0, 1 << 20]
    with OrderedPool(2, _sized) as pool:
        assert list(pool.imap(sizes)) == [_sized(n) for n in sizes]
        pool.close()


def _dies_mid_message(x: int) -> None:
    out = sys._getframe(1).f_locals["conn"]  # the worker's end of its pipe
    out._send(b"\x00\x01\x00\x00partial")  # announces 65,536 bytes, sends 7
    os._exit(1)


def test_a_worker_that_dies_inside_a_message_is_lost_not_waited_for() -> None:
    with OrderedPool(1, _dies_mid_message) as pool, pytest.raises(WorkerLost):
        list(pool.imap([1]))
