"""Choice rows: the share of each choice in basis points and as a percentage
rounded half up, whatever the votes (the hot loop computes them inline)."""

from hypothesis import given
from hypothesis import strategies as st

from saksi.tally.render import _bp, _choices, _percent

votes_maps = st.dictionaries(st.integers(1, 40), st.integers(0, 10**7), max_size=30)


@given(votes_maps, st.lists(st.integers(1, 40), max_size=10), st.booleans())
def test_each_row_carries_its_share_of_the_choices_total(
        votes: dict[int, int], named: list[int], with_party_only: bool) -> None:
    party_only = {n: v // 2 for n, v in votes.items()} if with_party_only else None
    rows = _choices(((n, f"p{n}") for n in named), votes, party_only)
    den = sum(votes.values())
    assert [r.number for r in rows] == sorted(set(named) | set(votes))
    for r in rows:
        v = votes.get(r.number, 0)
        assert r.votes == v
        assert r.share == f"{v}/{den}"
        assert r.share_bp == _bp(v, den)
        assert r.percent == _percent(v, den)
        assert r.party_votes == (None if party_only is None else party_only.get(r.number, 0))
