"""Compare what a results API publishes (docs/recapitulation.md §4, ``saksi/results/v1``)
with the totals recomputed from the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from saksi.audit.index import NATIONAL, ElectionIndex, contests_at
from saksi.audit.replay import Current
from saksi.audit.report import Report
from saksi.audit.sheet import PARTY_CONTESTS
from saksi.audit.totals import Agg, Totals

PROGRESS_FIELDS = ("sheets_expected", "sheets_in", "sheets_counted", "sheets_flagged",
                   "flagged_votes", "tps_total", "tps_in", "in_bp")


def expected_region(a: Agg, contest: str, region: str) -> dict[str, Any]:
    choices: dict[int, Any] = {}
    if not (contest == "dpd" and region == "0"):
        for n, v in a.choices.items():
            choices[n] = v
    return {"progress": a.progress(), "totals": a.figures(), "choices": choices,
            "party_votes": dict(a.party_only)}


def compare_region(report: Report, contest: str, region: str, exp: dict[str, Any],
                   doc: dict[str, Any]) -> None:
    where = {"contest": contest, "region": region}
    for section in ("progress", "totals"):
        got = doc.get(section) or {}
        for k, v in exp[section].items():
            if got.get(k) != v:
                report.add("api", "TOTAL-MISMATCH", f"{section}.{k} differs from the log",
                           path=f"/api/v1/results/{region}?contest={contest}",
                           expected=v, published=got.get(k), **where)
    published = {c.get("number"): c for c in doc.get("choices") or []}
    for n in sorted(set(published) | set(exp["choices"])):
        want = exp["choices"].get(n, 0)
        got = published.get(n, {}).get("votes", 0)
        if want != got:
            report.add("api", "TOTAL-MISMATCH", f"votes of choice {n} differ from the log",
                       path=f"/api/v1/results/{region}?contest={contest}",
                       expected=want, published=got, **where)
        pv = published.get(n, {}).get("party_votes")
        if pv is not None and pv != exp["party_votes"].get(n, 0):
            report.add("api", "TOTAL-MISMATCH", f"party-only votes of party {n} differ",
                       path=f"/api/v1/results/{region}?contest={contest}",
                       expected=exp["party_votes"].get(n, 0), published=pv, **where)


def compare_api(totals: Totals, report: Report, api: str, last_sheet: int,  # noqa: PLR0917
                client: httpx.Client | None = None, index: ElectionIndex | None = None,
                current: dict[str, Current] | None = None) -> None:
    """Fetch every region, dapil, seats, progress and TPS document and compare them."""
    own = client is None
    http = client or httpx.Client(base_url=api.rstrip("/"), timeout=30.0)
    try:
        try:
            probe = http.get("/api/v1/progress")
        except httpx.HTTPError as exc:
            report.add("api", "API-UNREACHABLE", str(exc), path="/api/v1/progress")
            return
        if probe.status_code == 404 and probe.headers.get("content-type", "").startswith(
                "text/html"):
            report.notes.append(f"{api} serves no results API: totals not compared")
            return
        c = _Comparer(http, report, last_sheet)
        for (contest, region), agg in sorted(totals.regions.items()):
            path = f"/api/v1/results/{region}?contest={contest}"
            doc = c.get(path, {"contest": contest, "region": region},
                        absent_ok=agg.sheets_in == 0)
            if doc is not None:
                compare_region(report, contest, region, expected_region(agg, contest, region),
                               doc)
        c.progress(totals)
        if index is not None:
            c.dapils(totals, index)
            c.seats(totals, index)
            if current is not None:
                c.tps(index, current)
    except _Unreachable:
        return
    finally:
        if own:
            http.close()


class _Unreachable(Exception):
    pass


class _Comparer:
    def __init__(self, http: httpx.Client, report: Report, last_sheet: int) -> None:
        self.http, self.report, self.last_sheet = http, report, last_sheet

    def get(self, path: str, where: dict[str, Any], *, absent_ok: bool = False,
            as_of: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any] | None:
        """The JSON document at ``path`` if it is as of the log verified; findings otherwise."""
        try:
            r = self.http.get(path)
        except httpx.HTTPError as exc:
            self.report.add("api", "API-UNREACHABLE", str(exc), path=path)
            raise _Unreachable from None
        if r.status_code == 404 and absent_ok:
            return None
        if r.status_code != 200:
            self.report.add("api", "API-MISSING", f"HTTP {r.status_code}", path=path, **where)
            return None
        try:
            doc = r.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            self.report.add("api", "API-MALFORMED", "not a JSON object", path=path, **where)
            return None
        got = as_of(doc) if as_of is not None else doc.get("as_of_index", -1)
        # a document is re-rendered only when a sheet touches it: an older as_of_index
        # is normal, and its figures must still be the log's; a newer one is of a log
        # the checkpoint verified does not hold yet
        if not isinstance(got, int) or got > self.last_sheet:
            self.report.add("api", "API-AS-OF", "the document is of a later log than the "
                            "one verified", path=path, expected=self.last_sheet,
                            published=got, **where)
            return None
        self.report.api_documents += 1
        return doc

    def diff(self, path: str, what: str, expected: Any, published: Any,
             **where: Any) -> None:
        if expected != published:
            self.report.add("api", "TOTAL-MISMATCH", f"{what} differs from the log", path=path,
                            expected=expected, published=published, **where)

    def _block(self, path: str, name: str, a: Agg, doc: dict[str, Any], **where: Any) -> None:
        for section, exp in (("progress", a.progress()), ("totals", a.figures())):
            got = doc.get(section) or {}
            for k, v in exp.items():
                self.diff(path, f"{name}{section}.{k}", v, got.get(k), **where)

    def progress(self, totals: Totals) -> None:
        path = "/api/v1/progress"
        doc = self.get(path, {})
        if doc is None:
            return
        national = doc.get("national") or {}
        contests = {c for (c, r), a in totals.regions.items() if r == NATIONAL
                    and a.sheets_expected}
        for contest in sorted(contests | set(national)):
            a = totals.regions.get((contest, NATIONAL), Agg())
            got = national.get(contest) or {}
            for k, v in a.progress().items():
                self.diff(path, f"national.{contest}.{k}", v, got.get(k), contest=contest,
                          region=NATIONAL)
        published = {(p.get("region") or {}).get("code"): p for p in doc.get("provinces") or []}
        ours = sorted({r for (_, r) in totals.regions if len(r) == 2})
        for code in sorted(set(published) | set(ours), key=str):
            p = published.get(code) or {}
            per = {c: a for (c, r), a in totals.regions.items() if r == code
                   and a.sheets_expected}
            got = p.get("contests") or {}
            for contest in sorted(set(per) | set(got)):
                a = per.get(contest, Agg())
                for k, v in a.progress().items():
                    self.diff(path, f"provinces[{code}].contests.{contest}.{k}", v,
                              (got.get(contest) or {}).get(k), contest=contest, region=code)
            expected = sum(a.sheets_expected for a in per.values())
            sheets_in = sum(a.sheets_in for a in per.values())
            for k, v in (("sheets_expected", expected), ("sheets_in", sheets_in),
                         ("sheets_counted", sum(a.sheets_counted for a in per.values())),
                         ("sheets_flagged", sum(a.sheets_flagged for a in per.values())),
                         ("in_bp", sheets_in * 10_000 // expected if expected else 0)):
                self.diff(path, f"provinces[{code}].{k}", v, p.get(k), region=code)

    def dapils(self, totals: Totals, index: ElectionIndex) -> None:
        for code, (contest, n_seats) in sorted(index.dapils().items()):
            a = totals.dapils.get(code, Agg())
            if not a.sheets_expected:
                continue
            path = f"/api/v1/dapil/{code}"
            where = {"contest": contest, "region": code}
            doc = self.get(path, where)
            if doc is None:
                continue
            self._block(path, "", a, doc, **where)
            if contest == "dpd":
                published = {x.get("number"): x.get("votes") for x in doc.get("candidates") or []}
                for n in sorted(set(published) | set(a.choices), key=str):
                    self.diff(path, f"votes of DPD candidate {n}", a.choices.get(n, 0),
                              published.get(n, 0), **where)
                ranked = sorted((-v, n) for n, v in a.choices.items() if v > 0)[:n_seats]
                self.diff(path, "projection", sorted([n, 1] for _, n in ranked),
                          doc.get("projection"), **where)
                continue
            seats = totals.seats.get(code, {})
            blocks = {(b.get("choice") or {}).get("number"): b for b in doc.get("parties") or []}
            numbers: set[Any] = set(blocks) | {p for p, v in a.choices.items() if v}
            for n in sorted(numbers, key=str):
                b = blocks.get(n) or {}
                choice = b.get("choice") or {}
                self.diff(path, f"votes of party {n}", a.choices.get(n, 0),
                          choice.get("votes", 0), **where)
                self.diff(path, f"party-only votes of party {n}", a.party_only.get(n, 0),
                          choice.get("party_votes", 0), **where)
                self.diff(path, f"seats of party {n}", seats.get(n, 0), b.get("seats", 0),
                          **where)
                got = {c.get("number"): c.get("votes") for c in b.get("candidates") or []}
                mine = {k: v for (p, k), v in a.candidates.items() if p == n}
                for k in sorted(set(got) | {k for k, v in mine.items() if v}, key=str):
                    self.diff(path, f"votes of candidate {n}.{k}", mine.get(k, 0),
                              got.get(k, 0), **where)
            self.diff(path, "projection", [[p, s] for p, s in sorted(seats.items())],
                      doc.get("projection"), **where)
            if contest == "dpr":
                self.diff(path, "eligible", totals.eligible, doc.get("eligible"), **where)

    def seats(self, totals: Totals, index: ElectionIndex) -> None:
        dapils = index.dapils()
        for contest in PARTY_CONTESTS:
            path = f"/api/v1/seats/{contest}"
            ours = sorted(c for c, (k, _) in dapils.items() if k == contest
                          and totals.dapils.get(c, Agg()).sheets_expected)
            if not ours:
                continue
            doc = self.get(path, {"contest": contest},
                           as_of=lambda d: (d.get("projection") or {}).get("as_of_index", -1))
            if doc is None:
                continue
            proj = doc.get("projection") or {}
            published = {d.get("dapil"): d for d in proj.get("dapils") or []}
            national: dict[int, int] = {}
            provinces: dict[str, dict[int, int]] = {}
            for code in sorted(set(ours) | set(published), key=str):
                where = {"contest": contest, "region": code}
                d = published.get(code) or {}
                a = totals.dapils.get(code, Agg())
                alloc = totals.seats.get(code, {})
                self.diff(path, f"dapils[{code}].votes",
                          [[p, v] for p, v in sorted(a.choices.items()) if v],
                          d.get("votes"), **where)
                self.diff(path, f"dapils[{code}].allocation",
                          [[p, s] for p, s in sorted(alloc.items())], d.get("allocation"),
                          **where)
                province = index.dapil_province(code)
                for p, n in alloc.items():
                    national[p] = national.get(p, 0) + n
                    per = provinces.setdefault(province, {})
                    per[p] = per.get(p, 0) + n
            self.diff(path, "national", [[p, n] for p, n in sorted(national.items())],
                      proj.get("national"), contest=contest)
            self.diff(path, "provinces",
                      {k: [[p, n] for p, n in sorted(v.items())] for k, v in provinces.items()},
                      proj.get("provinces"), contest=contest)
            if contest == "dpr":
                self.diff(path, "eligible", totals.eligible, proj.get("eligible"),
                          contest=contest)

    def tps(self, index: ElectionIndex, current: dict[str, Current]) -> None:
        by_tps: dict[str, dict[str, Current]] = {}
        for key, version in current.items():
            code, contest = key.split("/", 1)
            by_tps.setdefault(code, {})[contest] = version
        for code in sorted(by_tps):
            path = f"/api/v1/tps/{code}"
            doc = self.get(path, {"tps": code})
            if doc is None:
                continue
            blocks = {b.get("contest"): b for b in doc.get("contests") or []}
            for contest in contests_at(code):
                where = {"tps": code, "contest": contest}
                b = blocks.get(contest) or {}
                cur: Current | None = by_tps[code].get(contest)
                status = "missing" if cur is None else "flagged" if cur.flags else "current"
                self.diff(path, f"{contest}.status", status, b.get("status"), **where)
                pub = b.get("current") or {}
                if cur is not None:
                    self.diff(path, f"{contest}.current",
                              [cur.index, cur.rank, cur.revision, sorted(cur.flags)],
                              [pub.get("index"), pub.get("rank"), pub.get("revision"),
                               sorted(pub.get("flags") or [])], **where)
                history = [(h.get("index"), h.get("status")) for h in b.get("history") or []
                           if h.get("status") != "stale"]
                mine = [] if cur is None else [
                    (i, "current" if i == cur.index else "superseded") for i in cur.history]
                self.diff(path, f"{contest}.history", [list(x) for x in mine],
                          [list(x) for x in history], **where)
