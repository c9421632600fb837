"""Equal ballot numbers (a sheet CH-BALLOT refuses) are still in one canonical order.

sheet-format.md §2: entries with the same number are ordered by their own
canonical bytes. The verifier must call such a sheet non-canonical exactly
when the writer does, so the code it reports (CH-CANONICAL or CH-BALLOT) is
the one any other implementation reports.
"""

from __future__ import annotations

import msgspec
import pytest

from saksi.audit.sheet import Entry, Sheet, decode_sheet, encode_sheet, in_canonical_order
from saksi.audit.tlog import FormatError

BASE = (b'{"ballots":{"1":10,"2":5,"3":0,"4":5},"contest":"ppwp",'
        b'"disabled":{"J":0,"L":0,"P":0},"revision":1,"schema":"saksi/c-hasil/v1",'
        b'"totals":{"A":5,"B":0,"C":5},"tps":"3273011001001","voters":'
        b'{"A":{"J":10,"L":5,"P":5},"B1":{"J":5,"L":3,"P":2},"B2":{"J":0,"L":0,"P":0},'
        b'"B3":{"J":0,"L":0,"P":0},"B4":{"J":5,"L":3,"P":2}},"votes":{"tickets":[]}}')


def _with_tickets(tickets: list[tuple[int, int]]) -> bytes:
    sheet = msgspec.json.decode(BASE, type=Sheet)
    votes = msgspec.structs.replace(sheet.votes, tickets=[Entry(n, v) for n, v in tickets])
    return encode_sheet(msgspec.structs.replace(sheet, votes=votes))


@pytest.mark.parametrize(("tickets", "canonical"), [
    ([(1, 2), (1, 3), (2, 0)], True),    # ties by bytes: {"number":1,"votes":2} first
    ([(1, 3), (1, 2), (2, 0)], False),
    ([(1, 10), (1, 9)], True),           # bytes, not values: "10" < "9"
    ([(1, 9), (1, 10)], False),
    ([(2, 1), (1, 1)], False),           # numbers out of order
])
def test_equal_numbers_are_ordered_by_their_canonical_bytes(
        tickets: list[tuple[int, int]], canonical: bool) -> None:
    from saksi.sheets.canonical import is_canonical

    data = _with_tickets(tickets)
    assert is_canonical(data) is canonical  # the writer's view
    try:
        sheet = decode_sheet(data)
    except FormatError as exc:
        assert not canonical and str(exc) == "CH-CANONICAL"
    else:
        assert canonical and in_canonical_order(sheet)
