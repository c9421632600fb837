"""The published result documents, schema ``saksi/results/v1``.

Every document is a msgspec struct that encodes to JSON with only ints and
strings — no floats in canonical data. A share is an exact fraction string
(``"votes/denominator"``, unreduced) plus whole basis points (rounded down);
``percent`` is a display string rounded half-up to two decimals. The
denominator of a share is the sum of the choices of that aggregate (on clean
sheets equal to V.A, valid votes). ``as_of_index`` is the highest log index the
figures include.

Kinds and keys (what :func:`touched` names and :func:`render` takes):

- ``("region", "<contest>/<region code>")`` — a region (``"0"`` is national)
  with its children (desa: its TPS and their status);
- ``("dapil", "<dapil code>")`` — parties, candidates and the seat projection;
- ``("tps", "<tps code>")`` — every contest's current version and history;
- ``("progress", "0")`` — sheets in / expected per province;
- ``("seats", "<contest>")`` — the seat projection of a party contest.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping

import msgspec

from saksi.election.model import Contest, Level, Region
from saksi.errors import InputError, NotFoundError
from saksi.sheets.model import Sheet
from saksi.tally.counts import DPT, INVALID, TOTAL, VALID, VOTERS, Layout
from saksi.tally.seats import PARTY_CONTESTS, SeatProjection, project, sainte_lague
from saksi.tally.shape import NATIONAL, Shape, chain_of
from saksi.tally.tally import CURRENT, Aggregate, Applied, HistoryEntry, Tally

SCHEMA = "saksi/results/v1"


class Progress(msgspec.Struct, frozen=True):
    sheets_expected: int
    sheets_in: int
    sheets_counted: int
    sheets_flagged: int
    flagged_votes: int
    tps_total: int
    tps_in: int
    in_bp: int  # sheets_in / sheets_expected in basis points, rounded down


class Figures(msgspec.Struct, frozen=True):
    dpt: int
    voters: int
    valid: int
    invalid: int
    total: int


class Choice(msgspec.Struct, frozen=True, omit_defaults=True):
    number: int
    name: str
    votes: int
    share: str  # exact "votes/denominator"
    share_bp: int
    percent: str  # display only
    party_votes: int | None = None  # party contests: votes for the party alone


class RegionRef(msgspec.Struct, frozen=True):
    code: str
    name: str
    level: Level


class Child(msgspec.Struct, frozen=True):
    region: RegionRef
    progress: Progress
    totals: Figures
    choices: list[Choice]


class TpsChild(msgspec.Struct, frozen=True, omit_defaults=True):
    code: str
    name: str
    status: str  # current / flagged / missing
    index: int | None = None
    revision: int | None = None
    flags: tuple[str, ...] = ()
    totals: Figures | None = None
    choices: list[Choice] = []


class DapilRef(msgspec.Struct, frozen=True):
    code: str
    name: str
    seats: int


class RegionDocument(msgspec.Struct, frozen=True, kw_only=True):
    schema: str = SCHEMA
    kind: str = "region"
    contest: Contest
    region: RegionRef
    parent: str | None
    as_of_index: int
    progress: Progress
    totals: Figures
    choices: list[Choice]
    children: list[Child]
    tps: list[TpsChild]
    dapils: list[DapilRef]


class CandidateVotes(msgspec.Struct, frozen=True):
    number: int
    name: str
    sex: str
    votes: int


class PartyBlock(msgspec.Struct, frozen=True):
    choice: Choice
    candidates: list[CandidateVotes]
    seats: int


class DapilDocument(msgspec.Struct, frozen=True, kw_only=True):
    schema: str = SCHEMA
    kind: str = "dapil"
    contest: Contest
    dapil: DapilRef
    regions: list[str]
    province: str
    as_of_index: int
    progress: Progress
    totals: Figures
    parties: list[PartyBlock]  # party contests
    candidates: list[Choice]  # dpd
    eligible: list[int] | None  # dpr: parties over the 4 % threshold
    projection: list[tuple[int, int]]  # (party, seats); dpd: (candidate, 1) leading


class ContestAtTps(msgspec.Struct, frozen=True):
    contest: Contest
    dapil: str | None
    status: str
    current: HistoryEntry | None
    sheet: Sheet | None
    history: list[HistoryEntry]


class TpsDocument(msgspec.Struct, frozen=True, kw_only=True):
    schema: str = SCHEMA
    kind: str = "tps"
    tps: RegionRef
    chain: list[str]
    dpt: int
    as_of_index: int
    contests: list[ContestAtTps]


class ProvinceProgress(msgspec.Struct, frozen=True):
    region: RegionRef
    sheets_expected: int
    sheets_in: int
    sheets_counted: int
    sheets_flagged: int
    in_bp: int
    contests: dict[str, Progress]


class ProgressDocument(msgspec.Struct, frozen=True, kw_only=True):
    schema: str = SCHEMA
    kind: str = "progress"
    as_of_index: int
    national: dict[str, Progress]
    provinces: list[ProvinceProgress]


class SeatsDocument(msgspec.Struct, frozen=True, kw_only=True):
    schema: str = SCHEMA
    kind: str = "seats"
    projection: SeatProjection


Document = RegionDocument | DapilDocument | TpsDocument | ProgressDocument | SeatsDocument


# ------------------------------------------------------------------ pieces
def _bp(num: int, den: int) -> int:
    return num * 10_000 // den if den > 0 else 0


def _percent(num: int, den: int) -> str:
    if den <= 0:
        return "0.00"
    hundredths = (num * 10_000 * 2 + den) // (2 * den)  # half-up
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _progress(a: Aggregate) -> Progress:
    return Progress(a.sheets_expected, a.sheets_in, a.sheets_counted, a.sheets_flagged,
                    a.flagged_votes, a.tps_total, a.tps_in, _bp(a.sheets_in, a.sheets_expected))


def _figures(a: Aggregate) -> Figures:
    return Figures(a.dpt, a.voters, a.valid, a.invalid, a.total)


def _choices(names: Iterable[tuple[int, str]], votes: Mapping[int, int],
             party_only: Mapping[int, int] | None = None) -> list[Choice]:
    named = dict(names)
    for n in votes:  # never hide votes whose name the shape lacks
        named.setdefault(n, f"#{n}")
    den = sum(votes.values())
    get = votes.get
    only = None if party_only is None else party_only.get
    out: list[Choice] = []
    if den <= 0:
        for n, name in sorted(named.items()):
            v = get(n, 0)
            out.append(Choice(n, name, v, f"{v}/{den}", 0, "0.00",
                              None if only is None else only(n, 0)))
        return out
    # The hot loop of every render: _bp and _percent inlined (same arithmetic).
    den2 = 2 * den
    for n, name in sorted(named.items()):
        v = get(n, 0)
        h = (v * 20_000 + den) // den2
        out.append(Choice(n, name, v, f"{v}/{den}", v * 10_000 // den,
                          f"{h // 100}.{h % 100:02d}", None if only is None else only(n, 0)))
    return out


def _region_ref(r: Region) -> RegionRef:
    return RegionRef(r.code, r.name, r.level)


def choice_names(shape: Shape, contest: Contest, region: str) -> list[tuple[int, str]]:
    """The choices a region's aggregate of ``contest`` lists, by ballot number."""
    if contest is Contest.PPWP:
        return [(t.number, f"{t.president} – {t.vice_president}") for t in shape.tickets]
    dapils = shape.dapils_in(contest, region)
    if contest is Contest.DPD:
        if region == NATIONAL or len(dapils) != 1:
            return []
        return [(c.number, c.name) for c in shape.candidates[dapils[0]]]
    on_ballot = {c.party for d in dapils for c in shape.candidates[d]}
    return [(p.number, p.abbreviation) for p in shape.parties if p.number in on_ballot]


def _aggregate_choices(shape: Shape, contest: Contest, region: str,
                       a: Aggregate) -> list[Choice]:
    names = choice_names(shape, contest, region)
    if contest is Contest.DPD and region == NATIONAL:
        return []
    party_only = a.party_only if contest.is_party_contest else None
    return _choices(names, a.choices, party_only)


def _counts_choices(shape: Shape, contest: Contest, tps: str, layout: Layout,
                    counts: array[int]) -> list[Choice]:
    c = list(counts)
    party_only = layout.party_only_votes(c) if layout.party else None
    return _choices(choice_names(shape, contest, tps[:10]), layout.choice_votes(c), party_only)


# ------------------------------------------------------------------ documents
class RenderCache:
    """Pieces of region documents kept between renders by one long-lived
    renderer (the sequencer), so re-rendering a region costs what changed.

    A piece built from an aggregate is reused while the aggregate is the same
    object at the same :attr:`Aggregate.version`; a TPS row while the TPS's
    current version is the same history entry. The documents are therefore
    exactly those rendered without a cache. TPS rows are bounded (dropped all
    at once past ``max_rows``: they are rebuilt on demand).
    """

    def __init__(self, max_rows: int = 200_000) -> None:
        self.max_rows = max_rows
        self.children: dict[tuple[Contest, str], tuple[Aggregate, int, Child]] = {}
        self.choices: dict[tuple[Contest, str], tuple[Aggregate, int, list[Choice]]] = {}
        self.rows: dict[tuple[str, Contest], tuple[HistoryEntry, TpsChild]] = {}


def _cached_choices(cache: RenderCache | None, shape: Shape, contest: Contest, region: str,
                    a: Aggregate) -> list[Choice]:
    if cache is None:
        return _aggregate_choices(shape, contest, region, a)
    hit = cache.choices.get((contest, region))
    if hit is not None and hit[0] is a and hit[1] == a.version:
        return hit[2]
    choices = _aggregate_choices(shape, contest, region, a)
    cache.choices[contest, region] = (a, a.version, choices)
    return choices


def _child(cache: RenderCache | None, shape: Shape, contest: Contest, code: str,
           a: Aggregate) -> Child:
    if cache is not None:
        hit = cache.children.get((contest, code))
        if hit is not None and hit[0] is a and hit[1] == a.version:
            return hit[2]
    child = Child(_region_ref(shape.regions[code]), _progress(a), _figures(a),
                  _cached_choices(cache, shape, contest, code, a))
    if cache is not None:
        cache.children[contest, code] = (a, a.version, child)
    return child


def _tps_row(cache: RenderCache | None, shape: Shape, contest: Contest, t: str,
             current: tuple[HistoryEntry, Layout, array[int]]) -> TpsChild:
    entry, layout, counts = current
    # A history entry is replaced, never changed in place, when a new version
    # becomes current: the same entry means the same counts.
    if cache is not None:
        hit = cache.rows.get((t, contest))
        if hit is not None and hit[0] is entry:
            return hit[1]
    row = TpsChild(
        t, shape.tps[t].name, "flagged" if entry.flagged else "current", entry.index,
        entry.revision, entry.flags,
        Figures(counts[DPT], counts[VOTERS], counts[VALID], counts[INVALID], counts[TOTAL]),
        _counts_choices(shape, contest, t, layout, counts))
    if cache is not None:
        if len(cache.rows) >= cache.max_rows:
            cache.rows.clear()
        cache.rows[t, contest] = (entry, row)
    return row


def region_document(tally: Tally, contest: Contest, code: str,
                    cache: RenderCache | None = None) -> RegionDocument:
    shape = tally.shape
    region = shape.region(code)
    a = tally.aggregate(contest, code)
    if not a.sheets_expected:
        raise NotFoundError("region", code, f"pemilihan {contest} tidak ada di wilayah ini",
                            f"contest {contest} is not held in this region")
    children: list[Child] = []
    for child in shape.children.get(code, ()):
        ca = tally.aggregate(contest, child)
        if ca.sheets_expected:
            children.append(_child(cache, shape, contest, child, ca))
    tps_rows: list[TpsChild] = []
    if region.level is Level.DESA:
        for t in shape.tps_of_desa.get(code, ()):
            if contest not in shape.tps[t].contests:
                continue
            cur = tally.current_counts(t, contest)
            if cur is None:
                tps_rows.append(TpsChild(t, shape.tps[t].name, "missing"))
                continue
            tps_rows.append(_tps_row(cache, shape, contest, t, cur))
    dapils = [] if not contest.is_party_contest else [
        DapilRef(d, shape.dapils[d].name, shape.dapils[d].seats)
        for d in shape.dapils_in(contest, code)]
    return RegionDocument(
        contest=contest, region=_region_ref(region), parent=region.parent or None,
        as_of_index=tally.as_of_index, progress=_progress(a), totals=_figures(a),
        choices=_cached_choices(cache, shape, contest, code, a), children=children,
        tps=tps_rows, dapils=dapils)


def dapil_document(tally: Tally, code: str) -> DapilDocument:
    shape = tally.shape
    d = shape.dapil(code)
    a = tally.dapil_aggregate(code)
    candidates = shape.candidates.get(code, ())
    parties: list[PartyBlock] = []
    dpd: list[Choice] = []
    eligible: list[int] | None = None
    projection: list[tuple[int, int]]
    if d.contest is Contest.DPD:
        dpd = _choices(((c.number, c.name) for c in candidates), a.choices)
        ranked = sorted((-v, n) for n, v in a.choices.items() if v > 0)[: d.seats]
        projection = sorted((n, 1) for _, n in ranked)
    else:
        eligible = sorted(tally.dpr_eligible()) if d.contest is Contest.DPR else None
        seats = sainte_lague(a.choices, d.seats, eligible)
        projection = sorted(seats.items())
        names = [(p.number, p.abbreviation) for p in shape.parties
                 if any(c.party == p.number for c in candidates) or a.choices.get(p.number)]
        for choice in _choices(names, a.choices, a.party_only):
            parties.append(PartyBlock(choice, [
                CandidateVotes(c.number, c.name, c.sex, a.candidate_votes(choice.number, c.number))
                for c in candidates if c.party == choice.number], seats.get(choice.number, 0)))
    return DapilDocument(
        contest=d.contest, dapil=DapilRef(d.code, d.name, d.seats), regions=list(d.regions),
        province=shape.dapil_province(code), as_of_index=tally.as_of_index,
        progress=_progress(a), totals=_figures(a), parties=parties, candidates=dpd,
        eligible=eligible, projection=projection)


def tps_document(tally: Tally, code: str, sheets: Mapping[int, Sheet]) -> TpsDocument:
    """``sheets``: the signed sheets of the TPS by log index (the tally keeps
    only their counts; the caller reads them from the store)."""
    shape = tally.shape
    t = shape.tps_shape(code)
    contests: list[ContestAtTps] = []
    for contest in t.contests:
        cur = tally.current(code, contest)
        status = "missing" if cur is None else ("flagged" if cur.flagged else CURRENT)
        contests.append(ContestAtTps(contest, t.dapil.get(contest), status, cur,
                                     None if cur is None else sheets.get(cur.index),
                                     tally.history(code, contest)))
    return TpsDocument(tps=RegionRef(t.code, t.name, Level.TPS), chain=list(chain_of(code)),
                       dpt=t.dpt, as_of_index=tally.as_of_index, contests=contests)


def progress_document(tally: Tally) -> ProgressDocument:
    shape = tally.shape
    national = {str(c): _progress(tally.aggregate(c, NATIONAL)) for c in Contest
                if shape.expected.get((c, NATIONAL))}
    provinces: list[ProvinceProgress] = []
    for code in shape.children.get(NATIONAL, ()):
        per = {str(c): _progress(tally.aggregate(c, code)) for c in Contest
               if shape.expected.get((c, code))}
        expected = sum(p.sheets_expected for p in per.values())
        sheets_in = sum(p.sheets_in for p in per.values())
        provinces.append(ProvinceProgress(
            _region_ref(shape.regions[code]), expected, sheets_in,
            sum(p.sheets_counted for p in per.values()),
            sum(p.sheets_flagged for p in per.values()), _bp(sheets_in, expected), per))
    return ProgressDocument(as_of_index=tally.as_of_index, national=national,
                            provinces=provinces)


def seats_document(tally: Tally, contest: Contest) -> SeatsDocument:
    return SeatsDocument(projection=project(tally, contest))


# ------------------------------------------------------------------ dispatch
def render(tally: Tally, kind: str, key: str, cache: RenderCache | None = None,
           sheets: Mapping[int, Sheet] | None = None) -> Document:
    """The document ``(kind, key)`` as :func:`touched` names it (``cache``: a
    :class:`RenderCache` kept by a renderer of the same tally over time;
    ``sheets``: for a TPS document, its signed sheets by log index)."""
    try:
        if kind == "region":
            contest, _, code = key.partition("/")
            return region_document(tally, Contest(contest), code, cache)
        if kind == "seats":
            return seats_document(tally, Contest(key))
    except ValueError:
        raise InputError("contest", key, "pemilihan tidak dikenal",
                         "unknown contest") from None
    if kind == "dapil":
        return dapil_document(tally, key)
    if kind == "tps":
        return tps_document(tally, key, sheets or {})
    if kind == "progress":
        return progress_document(tally)
    raise InputError("kind", kind, "jenis dokumen tidak dikenal", "unknown document kind")


def encode(document: Document) -> bytes:
    """The JSON bytes of a document."""
    return msgspec.json.encode(document)


def touched(applied: Iterable[Applied], shape: Shape | None = None) -> set[tuple[str, str]]:
    """The documents a batch of applied versions changed, to re-render only those.

    A stale version changes only its TPS's history. When the set of DPR parties
    over the threshold changes, every DPR dapil's projection may change: with
    ``shape`` they are all named, without it the wildcard ``("dapil", "dpr/*")``.
    """
    out: set[tuple[str, str]] = set()
    desas: set[tuple[Contest, str]] = set()  # (a batch's sheets share desa chains)
    for a in applied:
        out.add(("tps", a.tps))
        if a.status != CURRENT:
            continue
        out.add(("progress", NATIONAL))
        chain = chain_of(a.tps)
        if (a.contest, chain[0]) not in desas:
            desas.add((a.contest, chain[0]))
            out.update(("region", f"{a.contest}/{code}") for code in chain)
        if a.dapil is not None:
            out.add(("dapil", a.dapil))
        if a.contest in PARTY_CONTESTS:
            out.add(("seats", str(a.contest)))
        if a.threshold_changed:
            if shape is None:
                out.add(("dapil", "dpr/*"))
            else:
                out.update(("dapil", d.code) for d in shape.dapils.values()
                           if d.contest is Contest.DPR)
    return out


__all__ = [
    "SCHEMA", "DapilDocument", "Document", "ProgressDocument", "RegionDocument", "RenderCache",
    "SeatsDocument", "TpsDocument", "choice_names", "dapil_document", "encode",
    "progress_document", "region_document", "render", "seats_document", "touched",
    "tps_document",
]
