"""One call for a whole night: send, then verify (used by the CLI, demo and bench)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from saksi.sim.check import Verification, log_identity, verify_night
from saksi.sim.night import Accepted, Night
from saksi.sim.report import show_progress, summary
from saksi.sim.work import Rates

Extra = Callable[[Night], Coroutine[Any, Any, None]]


def select_tps(directory: Path, count: int | None, seed: int, *,
               whole_desa: bool = False) -> list[str]:
    """Every TPS of the election, or ``count`` of them drawn with ``seed``; in a
    seeded random order so that arrivals spread over the region like a real night.

    ``whole_desa``: draw desa, not TPS, and take every TPS of each (the last
    one drawn possibly in part). A whole night completes every desa, so its
    sheets share their desa's aggregates about ten TPS to a desa; a sample of
    single TPS from a national election lands nearly every TPS in a desa of
    its own, and each sheet pays for aggregates the whole night pays for once
    a desa."""
    from saksi.election import Election

    with Election.open(directory) as election:
        codes = [t.code for t in election.iter_tps()]
    rng = random.Random(f"{seed}/tps")
    if count is not None and 0 < count < len(codes):
        if not whole_desa:
            return rng.sample(codes, count)
        by_desa: dict[str, list[str]] = {}
        for code in codes:
            by_desa.setdefault(code[:10], []).append(code)
        desa = sorted(by_desa)
        rng.shuffle(desa)
        chosen: list[str] = []
        for d in desa:
            chosen += by_desa[d]
            if len(chosen) >= count:
                break
        codes = chosen[:count]
    rng.shuffle(codes)
    return codes


async def _night(night: Night, progress: TextIO | None, extras: list[Extra]) -> None:
    tasks = [asyncio.create_task(show_progress(night, progress))] if progress else []
    tasks += [asyncio.create_task(extra(night)) for extra in extras]
    try:
        await night.run()
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t


def run_night(url: str, directory: Path, *, tps: int | None = None, seed: int = 2024,
              rates: Rates | None = None, concurrency: int = 64, workers: int = 2,
              proofs: int = 32, progress: TextIO | None = None,
              extras: list[Extra] | None = None,
              on_receipt: Callable[[Accepted], None] | None = None,
              vkey: str | None = None) -> tuple[Night, Verification, dict[str, Any]]:
    directory = Path(directory)
    codes = select_tps(directory, tps, seed)
    log_vkey, origin = log_identity(directory)
    night = Night(url, directory, codes, seed=seed, rates=rates, concurrency=concurrency,
                  workers=workers, on_receipt=on_receipt)
    asyncio.run(_night(night, progress, list(extras or [])))
    check = verify_night(url, night.receipts.values(), night.current, vkey=vkey or log_vkey,
                         origin=origin, proofs=proofs, seed=seed)
    return night, check, summary(night, check)
