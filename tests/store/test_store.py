"""The store: one interface, two back ends, the same answers."""

from __future__ import annotations

import string
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saksi.errors import StateError
from saksi.store import Batch, DocumentRow, KeyRow, Store, open_store


def doc(index: int, tps: str | None = "3273011001001", **kw: object) -> DocumentRow:
    base: dict[str, object] = dict(
        index=index, leaf_hash=f"{index:064x}", payload_type="application/vnd.saksi.sheet.v1+json",
        verdict="clean", flags=b"[]", received_at="2024-02-14T13:00:00Z",
        tps=tps,
        contest="ppwp" if tps else None, revision=1 if tps else None, rank=0 if tps else None,
        signer="ab" * 32, role="device" if tps else None)
    base.update(kw)
    return DocumentRow(**base)  # type: ignore[arg-type]


def test_a_new_store_is_empty(store: Store) -> None:
    assert store.applied_size() == 0
    assert store.snapshot() is None
    assert store.count_documents() == 0


def test_migrate_is_idempotent(store_url: str, store: Store) -> None:
    store.commit(Batch(1, documents=[doc(0)]))
    again = open_store(store_url)
    try:
        assert again.count_documents() == 1
    finally:
        again.close()


def test_a_batch_is_committed_as_a_whole(store: Store) -> None:
    store.commit(Batch(
        3, documents=[doc(0, None, payload_type="manifest"), doc(1), doc(2, revision=2)],
        keys=[KeyRow("k1", b"\x01" * 32, "device", "3273011001001", 0)],
        superseded=[(1, 2)],
        snapshot=b"snap"))
    assert store.applied_size() == 3
    assert store.snapshot() == b"snap"
    assert store.key("k1") == KeyRow("k1", b"\x01" * 32, "device", "3273011001001", 0)
    rows = store.documents_at([2, 1])
    assert [(r.index, r.superseded_by) for r in rows] == [(1, 2), (2, None)]
    assert list(store.current_versions()) == [("3273011001001", "ppwp", 0, 2, 2)]


def test_replaying_a_batch_changes_nothing(store: Store) -> None:
    batch = Batch(2, documents=[doc(0), doc(1)])
    store.commit(batch)
    store.commit(batch)  # a log tail replayed after a crash
    assert store.count_documents() == 2


def test_a_batch_without_a_snapshot_keeps_the_last_one(store: Store) -> None:
    store.commit(Batch(1, snapshot=b"s"))
    store.commit(Batch(2))
    assert store.snapshot() == b"s"
    assert store.applied_size() == 2


def test_a_background_snapshot_never_replaces_a_newer_one(store: Store) -> None:
    assert store.save_snapshot(5, b"at five")
    assert store.snapshot() == b"at five"
    assert not store.save_snapshot(3, b"at three")  # a slow writer, late
    assert store.snapshot() == b"at five"
    assert store.save_snapshot(8, b"at eight")
    assert store.snapshot() == b"at eight"
    store.commit(Batch(9))
    assert store.applied_size() == 9 and store.snapshot() == b"at eight"


ENROLMENT = "application/vnd.saksi.enrolment.v1+json"


def control(index: int, **kw: object) -> DocumentRow:
    return doc(index, None, payload_type=ENROLMENT, **kw)


def test_revocation_and_lookup_of_control_documents_by_leaf(store: Store) -> None:
    store.commit(Batch(2, documents=[control(0), doc(1)],
                       keys=[KeyRow("k", b"\x02" * 32, "device", "3273011001001", 0)]))
    store.commit(Batch(3, revocations=[("k", 1)]))
    key = store.key("k")
    assert key is not None and key.revoked_at == 1
    found = store.control_by_leaf([f"{0:064x}", f"{1:064x}", "ff" * 32])
    # Sheets are not looked up by leaf hash: their slot's history names them.
    assert found == {f"{0:064x}": control(0)}


def test_a_failed_batch_leaves_nothing_behind(store: Store) -> None:
    store.commit(Batch(1, documents=[control(0)]))
    with pytest.raises(Exception):  # noqa: B017 - the back end's own integrity error
        store.commit(Batch(5, documents=[doc(1), control(2, leaf_hash=f"{0:064x}")]))
    assert store.applied_size() == 1
    assert store.count_documents() == 1


def columns(store: Store) -> set[str]:
    cur = store._conn.execute("SELECT * FROM documents WHERE 1 = 0")
    return {d[0] for d in cur.description}


def indexes(store: Store) -> set[str]:
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'"
           if store.backend == "sqlite" else
           "SELECT indexname FROM pg_indexes WHERE tablename = 'documents'")
    return {str(r[0]) for r in store._rows(sql)}


def test_the_database_keeps_no_copy_of_the_signed_bytes(store: Store) -> None:
    # The log's bundles hold them (saksi.ledger.entries): a national night's
    # 4.1 million entries of ~4.2 KB are not written twice.
    assert "entry" not in columns(store)
    assert "leaf_hash" in columns(store)


def test_no_index_by_tps_nor_of_sheets_by_leaf(store: Store) -> None:
    # A TPS's documents, and a resent sheet, are found through the tally's
    # history (documents_at): an index by TPS or by a sheet's leaf hash cost
    # every commit a page per sheet, keys arriving in no order.
    assert "documents_tps" not in indexes(store)
    assert {"documents_type", "documents_control_leaf"} <= indexes(store)
    # Two sheets with one leaf hash are the sequencer's to refuse (version
    # precedence); two control documents with one are the database's too.
    store.commit(Batch(2, documents=[doc(0), doc(1, leaf_hash=f"{0:064x}")]))
    assert store.count_documents() == 2


V2_DOCUMENTS = """CREATE TABLE documents (
    idx BIGINT PRIMARY KEY, leaf_hash TEXT NOT NULL UNIQUE, payload_type TEXT NOT NULL,
    verdict TEXT NOT NULL, flags TEXT NOT NULL, received_at TEXT NOT NULL, tps TEXT,
    contest TEXT, revision BIGINT, rank INTEGER, signer TEXT, role TEXT, reason TEXT,
    superseded_by BIGINT)"""


def _downgrade(store: Store, version: int) -> None:
    """Put back the documents table as schema ``version`` had it, rows kept."""
    rows = store.documents_at(range(store.count_documents()))
    conn = store._conn
    conn.execute("DROP TABLE documents")
    conn.execute(V2_DOCUMENTS)
    conn.execute("CREATE INDEX documents_type ON documents (payload_type, idx)")
    if version == 1:
        blob = "BLOB" if store.backend == "sqlite" else "BYTEA"
        conn.execute(f"ALTER TABLE documents ADD COLUMN entry {blob} NOT NULL DEFAULT ''")
        conn.execute("CREATE INDEX documents_tps ON documents (tps, contest, idx)")
    store.commit(Batch(store.applied_size(), documents=rows))
    conn.execute(store._q("UPDATE state SET num = ? WHERE name = ?"), (version, "schema"))


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_database_is_brought_to_this_schema_keeping_its_rows(
        store_url: str, store: Store, version: int) -> None:
    rows = [control(0), doc(1), doc(2, "3273011001002", verdict="flagged")]
    store.commit(Batch(3, documents=rows))
    _downgrade(store, version)
    assert "documents_control_leaf" not in indexes(store)
    store.close()
    with open_store(store_url) as again:
        assert "entry" not in columns(again)
        assert "documents_tps" not in indexes(again)
        assert {"documents_type", "documents_control_leaf"} <= indexes(again)
        assert again.documents_at([0, 1, 2]) == rows
        assert again.control_by_leaf([r.leaf_hash for r in rows]) == {rows[0].leaf_hash: rows[0]}
        assert again.applied_size() == 3
        assert again._rows("SELECT num FROM state WHERE name = ?", ("schema",)) == [(3,)]
    with open_store(store_url) as third:  # and stays there
        assert third.count_documents() == 3


def test_another_schema_version_is_refused(store_url: str, store: Store) -> None:
    store._conn.execute(store._q("UPDATE state SET num = ? WHERE name = ?"), (99, "schema"))
    with pytest.raises(StateError):
        open_store(store_url)


def test_sql_is_parameterised(store: Store) -> None:
    hostile = "x'); DROP TABLE documents; --"
    store.commit(Batch(1, documents=[doc(0, tps=hostile, reason=hostile)]))
    assert store.documents_at([0])[0].reason == hostile
    assert store.count_documents() == 1


_text = st.text(alphabet=string.printable + "ĀéÍ—…", max_size=40)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_text, st.booleans(), st.integers(0, 10**9)),
                     min_size=1, max_size=8))
def test_documents_round_trip(store: Store, rows: list[tuple[str, bool, int]]) -> None:
    start = store.applied_size()
    written = [doc(start + i, reason=reason, revision=revision,
                   verdict="flagged" if flagged else "clean",
                   flags=msgspec.json.encode([{"code": "CH-X", "why": reason}]))
               for i, (reason, flagged, revision) in enumerate(rows)]
    store.commit(Batch(start + len(rows), documents=written))
    for row in written:
        assert store.document(row.index) == row


def test_lookups_by_many_leaves_span_chunks(store: Store) -> None:
    # More values than one IN (…) list holds; duplicates and unknowns asked too.
    tps_codes = [f"32730110010{n:02d}" for n in range(30)]
    rows = [doc(i, tps_codes[i % 30]) for i in range(1, 1201)]
    store.commit(Batch(1201, documents=rows))
    asked = [r.leaf_hash for r in rows] + [rows[0].leaf_hash, "ff" * 32]
    assert store.control_by_leaf(asked) == {}  # sheets all
    controls = [control(i) for i in range(1201, 2402)]
    store.commit(Batch(2402, documents=controls))
    found = store.control_by_leaf([c.leaf_hash for c in controls] + asked)
    assert found == {c.leaf_hash: c for c in controls}
    assert store.documents_at([0, 5000]) == []
    # By index, likewise across chunks, in log order, each once.
    wanted = [1200, *range(1, 1201, 2), 3, 99999]
    assert store.documents_at(wanted) == [r for r in rows if r.index % 2 or r.index == 1200]
    for code in tps_codes[:3]:
        mine = store.documents_at([r.index for r in rows if r.tps == code])
        assert {r.tps for r in mine} == {code} and len(mine) == 40


def test_flagged_lists_current_flagged_sheets_in_log_order(store: Store) -> None:
    rows = [
        doc(0, "3273011001001", verdict="flagged", superseded_by=3),  # corrected later
        doc(1, "3273011001002", verdict="flagged"),
        doc(2, "3273011001003", verdict="clean"),
        doc(3, "3273011001001", verdict="clean", revision=2),
        doc(4, "3273011001004", verdict="flagged", contest="dpd"),
        doc(5, None, payload_type="application/vnd.saksi.enrolment.v1+json"),
    ]
    store.commit(Batch(6, documents=rows))
    assert [r.index for r in store.flagged(None, 10)] == [1, 4]
    assert [r.index for r in store.flagged("dpd", 10)] == [4]
    assert [r.index for r in store.flagged(None, 1, offset=1)] == [4]


def test_control_lookups_use_the_partial_index(tmp_path: Path) -> None:
    # The partial index serves only a query repeating its condition verbatim:
    # were the two to drift apart, each lookup would scan every document.
    # (SQLite's plan; PostgreSQL plans by its statistics.)
    from saksi.store.base import _NOT_SHEET

    with open_store(str(tmp_path / "saksi.sqlite")) as store:
        plan = store._rows("EXPLAIN QUERY PLAN SELECT idx FROM documents "
                           f"WHERE leaf_hash IN (?, ?) AND {_NOT_SHEET}", ("a", "b"))
    assert any("documents_control_leaf" in str(row) for row in plan)
