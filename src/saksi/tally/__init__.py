"""The recapitulation: which version of a sheet counts, live totals at every
level of the region tree and per dapil, seat projections and the published
result documents.

    from saksi.tally import Shape, Tally, SheetVersion, judge
"""

from saksi.tally.shape import Shape, TpsShape
from saksi.tally.tally import Aggregate, Applied, Tally
from saksi.tally.versions import (
    Accept,
    SheetVersion,
    Stale,
    VersionKey,
    flag_codes,
    judge,
    rank_of,
)

__all__ = [
    "Accept",
    "Aggregate",
    "Applied",
    "Shape",
    "SheetVersion",
    "Stale",
    "Tally",
    "TpsShape",
    "VersionKey",
    "flag_codes",
    "judge",
    "rank_of",
]
