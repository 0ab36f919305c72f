"""Group commit for check-ins: requests wait in a queue, and a few writer threads each
take what is waiting (up to `max_batch`) and handle it as one batch: one Redis round
trip for the rate limits, one Postgres round trip for the tokens, one transaction and
one commit for the check-ins, one Redis pipeline for the live state.

Under the 07:00 rush this is what keeps a check-in cheap: the statements, the commit
and the thread hops are paid per batch, not per phone. A lone request is a batch of one
and waits for nothing. Every reply is still sent only after its batch committed.

A request waits at most `wait_s` (config: database.api_wait_s) for its batch: past it the
phone is answered 503 + Retry-After (Postgres frozen or overloaded), and a job no one waits
for any more is dropped before a writer takes it. A job already in a batch when its phone
gave up is stored or not as a whole; the phone's resend (same event_id) is then answered
as a retry or stored, once.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any, Callable

from queries.db import DatabaseUnavailable

log = logging.getLogger("pantau.api.writer")

MAX_BATCH = 64


class Writer:
    def __init__(self, handle: Callable[[list], list], threads: int = 2, max_batch: int = MAX_BATCH,
                 wait_s: float | None = None):
        """`handle(jobs)` returns one result or exception per job, or raises for the batch."""
        self._handle, self._max_batch, self._wait_s = handle, max_batch, wait_s
        self._threads_wanted = threads
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    async def submit(self, job) -> Any:
        """The job's result, once its batch is done; its exception is raised here."""
        if not self._threads:
            self._start()
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._queue.put((job, loop, done))
        # One timer on the future itself: asyncio.wait_for(shield(...)) made two more futures
        # and their callbacks per request, a few per cent of the worker's CPU at the rush.
        timer = None if self._wait_s is None else loop.call_later(self._wait_s, _give_up, done, self._wait_s)
        try:
            return await done
        finally:
            if timer is not None:
                timer.cancel()

    def _start(self) -> None:
        with self._lock:   # started by the first request: after gunicorn's fork, never before
            while len(self._threads) < self._threads_wanted:
                thread = threading.Thread(target=self._run, name=f"check-in-writer-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def close(self) -> None:
        """Finish what is queued and stop; a later submit starts the threads again
        (the app's lifespan ends and starts anew in tests)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(timeout=30)

    def _run(self) -> None:
        while (first := self._queue.get()) is not None:
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:   # closing: finish this batch, then stop
                    self._queue.put(None)
                    break
                batch.append(nxt)
            batch = [item for item in batch if not item[2].done()]   # its phone was told 503 (or left)
            if not batch:
                continue
            for (_, loop, done), result in zip(batch, self._results([job for job, _, _ in batch])):
                loop.call_soon_threadsafe(_settle, done, result)

    def _results(self, jobs: list) -> list:
        try:
            return self._handle(jobs)
        except DatabaseUnavailable as exc:   # every job of the batch: 503, the phones retry
            return [DatabaseUnavailable(str(exc)) for _ in jobs]
        except Exception as exc:
            if len(jobs) == 1:
                return [exc]
            # Nothing of the batch was committed: one job's failure must not fail the others.
            log.exception("check-in batch of %d failed; handling each alone", len(jobs))
            return [result for job in jobs for result in self._results([job])]


def _give_up(done: asyncio.Future, wait_s: float) -> None:
    """Past the wait: the phone is answered 503; a writer that has not taken the job drops it."""
    if not done.done():
        done.set_exception(DatabaseUnavailable(f"no check-in batch finished within {wait_s:g} s"))


def _settle(done: asyncio.Future, result: Any) -> None:
    if done.done():   # answered 503 already, or the client went away; stored all the same
        return
    if isinstance(result, BaseException):
        done.set_exception(result)
    else:
        done.set_result(result)
