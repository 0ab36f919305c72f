"""`pantau worker` for an installation: one Worker per region, each in its own zone and date.

Every region (foundation/regions.py) gets its own Worker on its own runtime (schema, role,
Redis prefix, config), so each closes its days when its own last window has passed: Ternate
(WIT) two hours before Cilegon (WIB). Each region runs in a thread of its own: a region
whose database is down, whose config does not load or whose close takes long holds up no
other; it is logged and tried again a tick later. A region added while the worker runs
(`pantau region add`) is picked up at the next look at regions/.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Callable

import redis

from foundation.regions import RegionError, own_code, region_files, settings_for
from foundation.settings import Settings
from queries.db import DatabaseUnavailable

from .worker import Worker

log = logging.getLogger("pantau.worker")
OWN = ""   # the installation's own region (config.yaml), whatever its code


class RegionWorkers:
    """The Workers of every region of the installation `base` (or of `only` those codes)."""

    def __init__(self, base: Settings, make_worker: Callable[..., Worker], *, boot: Callable | None = None,
                 only: list[str] | None = None, tick_s: float = 30):
        from foundation.runtime import boot as boot_region

        self.base, self.make_worker, self.boot = base, make_worker, boot or boot_region
        self.only, self.tick_s = only, tick_s
        self.workers: dict[str, Worker] = {}
        self.failed: dict[str, str] = {}   # region -> why it is not served yet (retried every tick)
        self._threads: dict[str, threading.Thread] = {}

    def regions(self) -> list[str]:
        """The regions to serve: own first (OWN), then regions/<code>.yaml."""
        if self.only is not None:
            return list(self.only)
        return [OWN, *region_files(self.base.regions_dir)]

    def label(self, key: str) -> str:
        worker = self.workers.get(key)
        if worker is not None:
            return worker.rt.config.region.code
        return key or "own"

    def worker(self, key: str) -> Worker | None:
        """The region's Worker, booting it first if need be; None (logged, retried) when its
        config or database fails."""
        if key in self.workers:
            return self.workers[key]
        try:
            rt = self.boot(self._settings(key))
        except (Exception, SystemExit) as exc:   # boot says SystemExit for a schema it may not migrate
            reason = f"{type(exc).__name__}: {exc}"
            if self.failed.get(key) != reason:   # once per new reason, not every tick
                log.error("region %s not served, trying again next tick: %s", self.label(key), reason)
            self.failed[key] = reason
            return None
        if self.failed.pop(key, None):
            log.info("region %s served again", rt.config.region.code)
        self.workers[key] = worker = self.make_worker(rt)
        return worker

    def _settings(self, key: str) -> Settings:
        if key == OWN:
            return settings_for(self.base, own_code(self.base))
        try:
            own = own_code(self.base)
        except Exception:   # the own region's config is broken: that is its own failure
            own = None
        if key == own and self.only is None:
            raise RegionError(f"regions/{key}.yaml: region {key} is the installation's own "
                              f"({self.base.config_path}); remove one of the two")
        return settings_for(self.base, key)   # refuses a file named for another code

    def tick_region(self, key: str, now: dt.datetime | None = None) -> list[dict]:
        """One pass of one region; what it closed. A failure is logged and tried next tick."""
        worker = self.worker(key)
        if worker is None:
            return []
        try:
            return worker.tick(now)
        except (DatabaseUnavailable, redis.RedisError) as exc:
            worker.log.warning("worker tick failed, retrying next tick: %s", exc)
        except Exception:   # a bug or bad data in one region must not stop the others
            worker.log.exception("worker tick failed, retrying next tick")
        return []

    def tick(self, now: dt.datetime | None = None) -> dict[str, list[dict]]:
        """One pass over every region in turn (`pantau worker --once`, tests): closes by code."""
        out = {}
        for key in self.regions():
            closed = self.tick_region(key, now)
            out[self.label(key)] = closed
        return out

    def run(self, stop: threading.Event) -> None:
        """A thread per region until `stop`; regions/ is looked at again every tick."""
        keys = self.regions()
        for key in keys:   # boot each first: what fails is said at once (boot also sets up logging)
            self.worker(key)
        log.info("worker started (tick %ss, regions: %s)", self.tick_s, ", ".join(map(self.label, keys)))
        while not stop.is_set():
            try:
                keys = self.regions()
            except OSError as exc:   # regions/ unreadable for a moment: keep serving the known ones
                log.warning("regions not listed: %s", exc)
                keys = list(self._threads)
            for key in keys:
                if key not in self._threads or not self._threads[key].is_alive():
                    thread = threading.Thread(target=self._serve, args=(key, stop), daemon=True,
                                              name=f"worker-{key or 'own'}")
                    self._threads[key] = thread
                    thread.start()
            stop.wait(self.tick_s)
        for thread in self._threads.values():
            thread.join(timeout=60)   # a close in progress finishes its transaction
        log.info("worker stopped")

    def _serve(self, key: str, stop: threading.Event) -> None:
        while not stop.is_set():
            self.tick_region(key)
            worker = self.workers.get(key)
            stop.wait(0 if worker is not None and worker.faces_behind else self.tick_s)
