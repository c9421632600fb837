"""Election night over real HTTP, on SQLite and PostgreSQL: what is accepted is
counted, what is flagged is shown but not counted, what is forged is refused,
and the published totals always equal the sum of the accepted clean sheets."""

from __future__ import annotations

import random
from collections import Counter

import httpx
import msgspec
from api_support import Kit, Server, post

from saksi.election.model import Contest
from saksi.sheets.inject import inject
from saksi.sheets.model import Sheet


def expected_totals(current: dict[tuple[str, str], tuple[Sheet, bool]], contest: str
                    ) -> tuple[int, int, dict[int, int]]:
    total = valid = 0
    choices: Counter[int] = Counter()
    for (_, c), (sheet, flagged) in current.items():
        if c != contest or flagged:
            continue
        total += sheet.totals.C
        valid += sheet.totals.A
        if contest == "ppwp":
            for e in sheet.votes.tickets:
                choices[e.number] += e.votes
        else:
            for p in sheet.votes.parties:
                choices[p.number] += p.total
    return total, valid, dict(choices)


def national(client: httpx.Client, contest: str) -> dict[str, object]:
    r = client.get("/api/v1/results/0", params={"contest": contest})
    assert r.status_code == 200, r.text
    return dict(r.json())


def check_national(client: httpx.Client, current: dict[tuple[str, str], tuple[Sheet, bool]],
                   contest: str) -> None:
    doc = national(client, contest)
    total, valid, choices = expected_totals(current, contest)
    totals = doc["totals"]
    assert isinstance(totals, dict)
    assert (totals["total"], totals["valid"]) == (total, valid)
    got = {c["number"]: c["votes"] for c in doc["choices"]  # type: ignore[attr-defined]
           if c["votes"]}
    assert got == {k: v for k, v in choices.items() if v}
    progress = doc["progress"]
    assert isinstance(progress, dict)
    in_contest = {k: v for k, v in current.items() if k[1] == contest}
    assert progress["sheets_in"] == len(in_contest)
    assert progress["sheets_flagged"] == sum(f for _, f in in_contest.values())


def test_election_night(server: Server, kit: Kit) -> None:
    rng = random.Random(7)
    tps_codes = rng.sample(kit.tps, 14)
    clean_tps, flag_tps = tps_codes[:10], tps_codes[10:13]
    spare = tps_codes[13]
    current: dict[tuple[str, str], tuple[Sheet, bool]] = {}
    receipts: list[dict[str, object]] = []
    with server.client() as client:
        # 1. Clean TPS send their sheets in one request each (JSON array or NDJSON).
        for n, tps in enumerate(clean_tps):
            sheets = [kit.sheet(tps, c) for c in kit.contests(tps)]
            r = post(client, [kit.device(s) for s in sheets], ndjson=n % 2 == 1)
            assert r.status_code == 200, r.text
            answers = r.json()
            assert [a["status"] for a in answers] == ["accepted"] * len(sheets)
            assert all(a["verdict"] == "clean" for a in answers)
            receipts += answers
            for s in sheets:
                current[s.tps, str(s.contest)] = (s, False)
        check_national(client, current, "ppwp")
        check_national(client, current, "dpr")

        # 2. Flagged sheets are accepted, visible, and not counted.
        for tps in flag_tps:
            bad = inject(kit.sheet(tps, Contest.PPWP), "total-mismatch", rng)
            [answer] = post(client, [kit.device(bad)]).json()
            assert answer["status"] == "accepted" and answer["verdict"] == "flagged"
            assert answer["flags"]
            current[tps, "ppwp"] = (bad, True)
        check_national(client, current, "ppwp")
        tps_doc = client.get(f"/api/v1/tps/{flag_tps[0]}").json()
        [ppwp] = [c for c in tps_doc["contests"] if c["contest"] == "ppwp"]
        assert ppwp["status"] == "flagged"

        # 3. Duplicates change nothing and get the same receipt.
        before = national(client, "ppwp")
        again = kit.device(kit.sheet(clean_tps[0], Contest.PPWP))
        [dup] = post(client, [again]).json()
        first = next(a for a in receipts if a["tps"] == clean_tps[0] and a["contest"] == "ppwp")
        assert dup["duplicate"] is True
        assert (dup["index"], dup["leaf_hash"]) == (first["index"], first["leaf_hash"])
        assert national(client, "ppwp")["totals"] == before["totals"]

        # 4. Forged, wrong-TPS and altered documents are refused and never counted.
        size_before = client.get("/api/v1/checkpoint").text.split("\n")[1]
        forged = kit.forged(kit.sheet(spare, Contest.PPWP))
        wrong_tps = kit.device(kit.sheet(spare, Contest.PPWP), as_tps=clean_tps[1])
        altered = _alter(kit.device(kit.sheet(spare, Contest.DPR)))
        answers = post(client, [forged, wrong_tps, altered]).json()
        assert [a["status"] for a in answers] == ["refused"] * 3
        codes = [a["reasons"][0]["code"] for a in answers]
        assert codes[0] == "SIG-INVALID"
        assert codes[1] == "KEY-WRONG-TPS"
        assert codes[2] in {"SIG-INVALID", "ENVELOPE-MALFORMED", "ENVELOPE-NONCANONICAL"}
        assert client.get("/api/v1/checkpoint").text.split("\n")[1] == size_before
        assert client.get(f"/api/v1/tps/{spare}").json()["documents"] == []
        check_national(client, current, "ppwp")

        # 5. Revisions: a newer device revision supersedes; a PPK correction
        #    supersedes any KPPS version, must carry a reason, and cannot be
        #    overridden by the KPPS afterwards. Every version stays visible.
        tps = clean_tps[2]
        rev2 = kit.sheet(tps, Contest.PPWP, revision=2, seed=1)
        [a2] = post(client, [kit.device(rev2)]).json()
        assert a2["status"] == "accepted"
        current[tps, "ppwp"] = (rev2, False)
        [stale] = post(client, [kit.device(kit.sheet(tps, Contest.PPWP, revision=2, seed=2))]
                       ).json()
        assert stale["status"] == "refused"
        assert stale["reasons"][0]["code"] == "REVISION-STALE"
        no_reason = kit.sheet(tps, Contest.PPWP, revision=1, seed=3)
        [refused] = post(client, [kit.ppk(no_reason)]).json()
        assert refused["reasons"][0]["code"] == "CORRECTION-REASON"
        fixed = kit.sheet(tps, Contest.PPWP, revision=1, seed=3,
                          reason="salah hitung kotak 3 / recount of box 3")
        [a3] = post(client, [kit.ppk(fixed)]).json()
        assert a3["status"] == "accepted"
        current[tps, "ppwp"] = (fixed, False)
        [late] = post(client, [kit.device(kit.sheet(tps, Contest.PPWP, revision=9, seed=4))]
                      ).json()
        assert late["reasons"][0]["code"] == "REVISION-STALE"
        check_national(client, current, "ppwp")

        doc = client.get(f"/api/v1/tps/{tps}").json()
        [ppwp] = [c for c in doc["contests"] if c["contest"] == "ppwp"]
        history = ppwp["history"]
        assert [h["index"] for h in history] == [first_index(receipts, tps), a2["index"],
                                                 a3["index"]]
        assert history[0]["superseded_by"] == a2["index"]
        assert history[1]["superseded_by"] == a3["index"]
        assert history[2]["role"] == "kecamatan" and history[2]["reason"]
        assert ppwp["current"]["index"] == a3["index"]
        by_index = {d["index"]: d for d in doc["documents"]}
        envelope = by_index[a3["index"]]["envelope"]
        assert msgspec.json.encode(envelope) == kit.ppk(fixed)  # the exact signed bytes


def first_index(receipts: list[dict[str, object]], tps: str) -> object:
    return next(a["index"] for a in receipts if a["tps"] == tps and a["contest"] == "ppwp")


def _alter(raw: bytes) -> bytes:
    """Change one vote inside the signed payload, keeping the signature."""
    from saksi.keys import envelope as env

    e = env.decode(raw)
    payload = e.payload.replace(b'"totals":{"A":', b'"totals":{"A":1', 1)
    return env.encode(env.Envelope(payload=payload, payload_type=e.payload_type,
                                   signatures=e.signatures))
