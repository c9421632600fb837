"""Compare what a results API publishes (docs/recapitulation.md §4, ``saksi/results/v1``)
with the totals recomputed from the log."""

from __future__ import annotations

from typing import Any

import httpx

from saksi.audit.report import Report
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


def compare_api(totals: Totals, report: Report, api: str, last_sheet: int,
                client: httpx.Client | None = None) -> None:
    """Fetch every region document and the progress document and compare them."""
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
        for (contest, region), agg in sorted(totals.regions.items()):
            path = f"/api/v1/results/{region}"
            try:
                r = http.get(path, params={"contest": contest})
            except httpx.HTTPError as exc:
                report.add("api", "API-UNREACHABLE", str(exc), path=path)
                return
            if r.status_code == 404 and agg.sheets_in == 0:
                continue
            if r.status_code != 200:
                report.add("api", "API-MISSING", f"HTTP {r.status_code}",
                           path=f"{path}?contest={contest}", contest=contest, region=region)
                continue
            doc = r.json()
            as_of = doc.get("as_of_index", -1)
            if as_of != last_sheet:
                report.add("api", "API-AS-OF", "the document is not as of the log verified",
                           path=f"{path}?contest={contest}", expected=last_sheet,
                           published=as_of, contest=contest, region=region)
                continue
            report.api_documents += 1
            compare_region(report, contest, region, expected_region(agg, contest, region), doc)
    finally:
        if own:
            http.close()
