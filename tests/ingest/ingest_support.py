"""Signed documents for the ingest tests (built with the saksi writer packages)."""

from __future__ import annotations

from pathlib import Path

from saksi.election import Election
from saksi.election.model import Contest
from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.hierarchy import load_master
from saksi.keys.simulation import device_key
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet


def signed_ppwp(directory: Path, n: int, seed: int) -> list[bytes]:
    """The presidential sheets of the election's first ``n`` TPS, each signed by its device."""
    master = load_master(directory, None)
    out = []
    with Election.open(directory) as election:
        for t, _ in zip(election.iter_tps(), range(n), strict=False):
            sheet = generate_sheet(election.ballot(t.code, Contest.PPWP), t, seed)
            out.append(env.encode(env.sign(TYPE_SHEET, encode(sheet), [device_key(master,
                                                                                   t.code)])))
    return out
