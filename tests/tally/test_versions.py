"""Version precedence: (rank, revision), strictly greater supersedes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saksi.errors import InputError
from saksi.keys.ids import Role
from saksi.tally.versions import RANK_DEVICE, RANK_PPK, Accept, Stale, VersionKey, judge, rank_of

KPPS = RANK_DEVICE
PPK = RANK_PPK

# (current, new) → accepted?, why
TABLE = [
    (None, (KPPS, 1), True, "first"),
    (None, (PPK, 1), True, "first"),
    ((KPPS, 1), (KPPS, 2), True, "higher-revision"),
    ((KPPS, 1), (KPPS, 1), False, None),  # the same key twice is ambiguous
    ((KPPS, 3), (KPPS, 2), False, None),
    ((KPPS, 5), (PPK, 1), True, "ppk-correction"),  # a correction outranks any KPPS revision
    ((PPK, 1), (KPPS, 99), False, None),  # once corrected, KPPS cannot override
    ((PPK, 1), (PPK, 2), True, "higher-revision"),
    ((PPK, 2), (PPK, 2), False, None),
    ((PPK, 2), (PPK, 1), False, None),
]


@pytest.mark.parametrize(("current", "new", "accepted", "why"), TABLE)
def test_precedence_table(current: tuple[int, int] | None, new: tuple[int, int],
                          accepted: bool, why: str | None) -> None:
    verdict = judge(None if current is None else VersionKey(*current), VersionKey(*new))
    assert isinstance(verdict, Accept) is accepted
    if isinstance(verdict, Accept):
        assert verdict.why == why
    else:
        assert verdict.code == "REVISION-STALE"


def test_stale_message_is_bilingual_and_names_both_keys() -> None:
    verdict = judge(VersionKey(PPK, 1), VersionKey(KPPS, 7))
    assert isinstance(verdict, Stale)
    assert "PPK, revisi/revision 1" in verdict.message_id
    assert "KPPS, revisi/revision 7" in verdict.message_id
    assert "PPK, revisi/revision 1" in verdict.message_en
    assert "KPPS, revisi/revision 7" in verdict.message_en
    assert "dikoreksi PPK" in verdict.message_id
    assert "cannot override" in verdict.message_en


def test_rank_of_roles() -> None:
    assert rank_of(Role.DEVICE) == 0
    assert rank_of(Role.KECAMATAN) == 1
    for role in (Role.ROOT, Role.WITNESS, Role.KABKOTA, Role.PROVINSI):
        with pytest.raises(InputError):
            rank_of(role)


keys = st.builds(VersionKey, st.integers(0, 1), st.integers(1, 10))


@given(keys, keys)
def test_exactly_one_of_two_distinct_keys_can_follow_the_other(a: VersionKey,
                                                               b: VersionKey) -> None:
    forward = isinstance(judge(a, b), Accept)
    backward = isinstance(judge(b, a), Accept)
    assert forward == (b > a)
    assert not (forward and backward)
    assert (a == b) == (not forward and not backward)


@given(st.lists(keys, max_size=30))
def test_the_current_key_only_grows(sequence: list[VersionKey]) -> None:
    current: VersionKey | None = None
    for k in sequence:
        if isinstance(judge(current, k), Accept):
            assert current is None or k > current
            current = k
    assert current == (max(sequence) if sequence else None)
