"""The election model: regions down to the TPS, contests, dapil, parties,
candidates and ballots, built deterministically and kept in an on-disk index.

    from saksi.election import Election, build_election, import_kpu
"""

from saksi.election.build import build_election, import_kpu
from saksi.election.manifest import ElectionManifest
from saksi.election.store import Election

__all__ = ["Election", "ElectionManifest", "build_election", "import_kpu"]
