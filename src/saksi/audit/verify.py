"""``saksi verify``: the checks in their documented order (docs/verifier.md).

1. checkpoint signature, 2. witness cosignatures against a policy, 3. every
tile and bundle against the recomputed tree and its root, 4. consistency with
a saved state, 5. every entry (envelope, signatures) in parallel workers,
6. the trust chain and version history in log order, 7. the sheet rules
(in the workers), 8. every total, progress figure and seat projection, 9. the
published API documents against the recomputation."""

from __future__ import annotations

import base64
import functools
import gc
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from saksi.audit import scan
from saksi.audit.index import ElectionIndex
from saksi.audit.policy import Policy
from saksi.audit.replay import Replay, TrustState
from saksi.audit.report import Report
from saksi.audit.scan import Bundle
from saksi.audit.tlog import (
    TILE_HEIGHT,
    TILE_WIDTH,
    Checkpoint,
    FormatError,
    Frontier,
    VerifierKey,
    perfect_root,
    split_bundle,
    split_hashes,
    tile_path,
    tiles_for_size,
)
from saksi.audit.totals import Cells, Frame, Totals, compute, frame
from saksi.audit.workers import OrderedPool

STATE_SCHEMA = "saksi/verify-state/v3"
CHUNK = 16  # bundles per task at most


class SavedState(msgspec.Struct):
    schema: str
    origin: str
    size: int
    root: str  # base64
    checkpoint: str  # the note text that was verified
    frontier: list[tuple[int, str]]  # (height, hex)
    trust: TrustState


@dataclass
class Options:
    log_dir: Path
    election_dir: Path
    source: str
    vkey: str | None = None
    policy: Policy | None = None
    since: SavedState | None = None
    root_key: str | None = None
    workers: int = 0
    progress: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    report: Report
    state: SavedState | None
    totals: Totals | None
    index: ElectionIndex | None
    # the index and the tally's frame, built while the entries are checked
    framed: tuple[ElectionIndex, Frame] | None = None
    # each desa's sums, kept during the replay
    cells: Cells | None = None


def load_state(path: Path) -> SavedState:
    try:
        state = msgspec.msgpack.decode(path.read_bytes(), type=SavedState)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise FormatError(f"unreadable state file {path}: {exc}") from None
    if state.schema != STATE_SCHEMA:
        raise FormatError(f"state file {path} is {state.schema}, not {STATE_SCHEMA}")
    return state


def save_state(path: Path, state: SavedState) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(msgspec.msgpack.encode(state))
    os.replace(tmp, path)


def _progress(enabled: bool, label: str, total: int) -> Callable[[int], None]:
    done: list[float] = [0, 0.0]

    def step(n: int) -> None:
        if not enabled:
            return
        done[0] += n
        now = time.monotonic()
        if now - done[1] < 0.2 and done[0] < total:
            return
        done[1] = now
        width = 30
        filled = int(width * done[0] // max(1, total))
        print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {int(done[0])}/{total}",
              end="" if done[0] < total else "\n", file=sys.stderr, flush=True)
    return step


def run(opts: Options) -> Outcome:
    start = time.perf_counter()
    report = Report(opts.source)
    outcome = Outcome(report, None, None, None)
    # a run builds millions of objects and no reference cycles: collections would only
    # rescan a growing heap (seconds at national scale), here and in the forked workers
    collecting = gc.isenabled()
    gc.disable()
    side = None
    try:
        # the index hash (seconds at national scale) needs nothing else: computed meanwhile
        side = _pool(opts.workers, 2, size=1)
        digest = (side.apply_async(_index_digest, (opts.election_dir,))
                  if side is not None else None)
        _run(opts, report, outcome, digest)
    finally:
        if side is not None:
            side.terminate()
        if collecting:
            gc.enable()
        report.seconds = round(time.perf_counter() - start, 3)
    return outcome


def _index_digest(directory: Path) -> str | None:
    try:
        index = ElectionIndex.open(directory)
    except (OSError, ValueError, sqlite3.Error):
        return None  # _totals reports it
    try:
        return index.digest()
    except sqlite3.Error:
        return None
    finally:
        index.close()


def _run(opts: Options, report: Report, outcome: Outcome, digest: Any) -> None:
    log = opts.log_dir
    # 1. checkpoint --------------------------------------------------------------
    try:
        raw = (log / "checkpoint").read_bytes()
    except OSError:
        report.add("checkpoint", "CHECKPOINT-MISSING", "no checkpoint", path="checkpoint")
        return
    try:
        cp = Checkpoint.parse(raw)
    except FormatError as exc:
        report.add("checkpoint", "CHECKPOINT-MALFORMED", str(exc), path="checkpoint")
        return
    report.origin, report.size = cp.origin, cp.size
    report.root = base64.b64encode(cp.root).decode()
    if opts.vkey is None:
        report.add("checkpoint", "LOG-VKEY-UNKNOWN", "no log verifier key: pass --log-vkey "
                   "(the checkpoint signature cannot be checked)", path="checkpoint")
    else:
        key = VerifierKey.parse(opts.vkey)
        if key.name != cp.origin:
            report.add("checkpoint", "ORIGIN-MISMATCH", "the checkpoint is of another log",
                       path="checkpoint", expected=key.name, published=cp.origin)
        elif cp.note.verify(key) is not True:
            report.add("checkpoint", "CHECKPOINT-SIGNATURE",
                       "the checkpoint is not signed by the log key", path="checkpoint")
    # 2. witnesses ---------------------------------------------------------------
    if opts.policy is not None:
        met, good, bad = opts.policy.evaluate(cp.note)
        report.witnesses = good
        for name in bad:
            report.add("witness", "COSIGNATURE-INVALID", f"witness {name}'s cosignature "
                       "does not verify", path="checkpoint")
        if not met:
            report.add("witness", "QUORUM-NOT-MET", f"witness quorum {opts.policy.quorum} not "
                       f"met (cosigned: {', '.join(good) or 'none'})", path="checkpoint")
    # 3–4. tiles, bundles, tree, consistency -------------------------------------
    old = opts.since
    m = 0
    frontier = Frontier()
    trust = TrustState()
    if old is not None:
        m = old.size
        report.from_size = m
        frontier = Frontier([(h, bytes.fromhex(x)) for h, x in old.frontier])
        trust = old.trust
        if old.origin != cp.origin:
            report.add("consistency", "ORIGIN-MISMATCH", "state is of another log",
                       expected=old.origin, published=cp.origin)
            return
        if frontier.size != m or base64.b64encode(frontier.root()).decode() != old.root:
            report.add("consistency", "STATE-CORRUPT", "the saved state does not hash to "
                       "its own root")
            return
        if cp.size < m:
            report.add("consistency", "LOG-SHRANK", f"the log shrank from {m} to {cp.size}",
                       expected=m, published=cp.size)
            return
        if cp.size == m and old.root != report.root:
            report.add("consistency", "FORK", "same size, another root: the log was "
                       "rewritten", expected=old.root, published=report.root)
            return
    if not _tiles(opts, cp, m, frontier, report, old is not None, trust, outcome):
        return
    if not report.findings or all(f.check not in ("checkpoint", "tiles", "consistency")
                                  for f in report.findings):
        _totals(opts, trust, report, outcome, digest)
    outcome.state = SavedState(STATE_SCHEMA, cp.origin, cp.size, report.root,
                               cp.note.text, [(h, d.hex()) for h, d in frontier.nodes], trust)


def _bundles(m: int, size: int) -> list[Bundle]:
    full, width = tiles_for_size(0, size)
    out = [Bundle(n, TILE_WIDTH, 0) for n in range(m // TILE_WIDTH, full)]
    if width:
        out.append(Bundle(full, width, 0))
    if out and m % TILE_WIDTH:
        first = out[0]
        out[0] = Bundle(first.n, first.width, m % TILE_WIDTH)
    return out


def _chunks(bundles: list[Bundle], workers: int) -> list[list[Bundle]]:
    """Tasks of up to CHUNK bundles, at least 8 per worker where the log allows: with a
    few large tasks, one worker idles while the other finishes the last."""
    size = max(1, min(CHUNK, len(bundles) // (8 * (workers or os.cpu_count() or 1))))
    return [bundles[i:i + size] for i in range(0, len(bundles), size)]


def _size(workers: int, tasks: int) -> int:
    """Processes for ``tasks``: one per worker, at most one per task."""
    return min(workers or os.cpu_count() or 1, max(1, tasks))


def _pool(workers: int, tasks: int, size: int = 0) -> Any:
    """A fork pool of ``size`` processes (default: ``_size``); None where the run is to
    stay in this process (one worker, or one task)."""
    n = _size(workers, tasks)
    if n <= 1:
        return None
    return multiprocessing.get_context("fork").Pool(size or n)


def _scanners(workers: int, log: Path, chunks: list[list[Bundle]]
              ) -> OrderedPool[list[Bundle], list[scan.BundleResult]] | None:
    """The workers that scan bundles (None: scan in this process)."""
    n = _size(workers, len(chunks))
    return OrderedPool(n, functools.partial(scan.scan_bundles, log)) if n > 1 else None


def _map(pool: OrderedPool[list[Bundle], list[scan.BundleResult]] | None, log: Path,
         chunks: list[list[Bundle]]) -> Iterator[list[scan.BundleResult]]:
    if pool is None:
        for c in chunks:
            yield scan.scan_bundles(log, c)
        return
    yield from pool.imap(chunks)


def _tiles(opts: Options, cp: Checkpoint, m: int, frontier: Frontier, report: Report,  # noqa: PLR0917
           incremental: bool, trust: TrustState, outcome: Outcome) -> bool:
    """Steps 3–6 in one read of the log: workers hash and check each bundle, the parent
    extends the tree and replays the entries in log order. Entry findings count only
    once the tree is the checkpoint's: they are kept apart until then."""
    log = opts.log_dir
    bundles = _bundles(m, cp.size)
    chunks = _chunks(bundles, opts.workers)
    try:  # the workers need the public election index to check sheets
        ElectionIndex.open(opts.election_dir).close()
        index_error = ""
    except (OSError, ValueError) as exc:
        index_error = str(exc)
    entries = Report(report.source)
    outcome.cells = Cells.of(trust.current)  # a saved state's versions, then the new ones
    replay = _replay(opts, cp, trust, entries, outcome.cells)
    pass_ = Pass(log, trust.publics)
    spool = tempfile.TemporaryDirectory(prefix="saksi-verify-")
    scan.reset(trust.publics, Path(spool.name) / "keys", opts.election_dir, not index_error,
               _beyond_cache(log, bundles))
    pool = _scanners(opts.workers, log, chunks)
    # the tally's frame needs the index only: built meanwhile in a thread, started after
    # the fork (a process must not fork while a thread is inside SQLite)
    beside = ThreadPoolExecutor(1)
    framing = beside.submit(_frame, opts.election_dir)
    try:
        frontier.nodes = frontier.aligned(TILE_HEIGHT).nodes
        frontier.size = sum(1 << h for h, _ in frontier.nodes)
        old_root = base64.b64decode(opts.since.root) if opts.since is not None else None
        tile_roots: list[bytes] = []
        broken = False
        step = _progress(opts.progress, "entri / entries", len(bundles))
        prefix_ok = old_root is None or m % TILE_WIDTH == 0
        bundle_iter = iter(bundles)
        for results in _map(pool, log, chunks):
            for n, problem, hashes, named, checked in results:
                bundle = next(bundle_iter)
                assert bundle.n == n
                step(1)
                if problem:
                    broken = True
                    _tile_problem(report, problem)
                    continue
                if not broken:
                    pass_.replay(bundle, named, checked, replay)
                if bundle.width == TILE_WIDTH and bundle.start == 0:
                    frontier.append(TILE_HEIGHT, hashes[0])
                    tile_roots.append(hashes[0])
                    continue
                for leaf in hashes:
                    if old_root is not None and frontier.size == m:
                        prefix_ok = frontier.root() == old_root
                    frontier.append(0, leaf)
                if bundle.width == TILE_WIDTH:
                    tile_roots.append(perfect_root(hashes))
        if pool is not None:
            pool.close()
        outcome.framed = framing.result()
        if broken:
            return False
        if old_root is not None and frontier.size >= m and not prefix_ok:
            report.add("consistency", "NOT-AN-EXTENSION", f"the log of size {cp.size} does "
                       f"not contain the saved tree of size {m}: history was rewritten",
                       expected=opts.since.root if opts.since else None)
            return False
        if frontier.size != cp.size or frontier.root() != cp.root:
            report.add("tiles", "ROOT-MISMATCH", "the tree recomputed from the entries does not "
                       "have the checkpoint's root" + (" (the log was rewritten or forked)"
                                                       if incremental else ""),
                       path="checkpoint", expected=base64.b64encode(frontier.root()).decode(),
                       published=report.root)
            return False
        _upper_tiles(log, cp.size, m // TILE_WIDTH, tile_roots, report)
        if index_error:
            report.add("election", "ELECTION-MISSING", f"cannot open the election index "
                       f"(pass --election DIR in URL mode if the service does not publish "
                       f"election.sqlite): {index_error}", path="election.sqlite")
            return False
        report.findings.extend(entries.findings)
        report.entries_checked += entries.entries_checked
        report.sheets += entries.sheets
        report.controls += entries.controls
    finally:
        if pool is not None:
            pool.terminate()
        beside.shutdown()
        spool.cleanup()
    return True


def _beyond_cache(log: Path, bundles: list[Bundle]) -> bool:
    """Whether the bundles to read outweigh half the memory, estimated from up to 16
    spread over them (control entries come first and are small, sheets larger)."""
    if not bundles:
        return False
    step = max(1, len(bundles) // 16)
    sample = bundles[::step]
    try:
        size = sum((log / tile_path("entries", b.n, b.width)).stat().st_size for b in sample)
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return False
    return size * len(bundles) > memory // 2 * len(sample)


class Pass:
    """The parent's side of the pass: the registry in log order and the replay.

    A key named at index ``j`` joins the registry before entry ``j`` is replayed (the
    manifest signs with the root key it names), so an entry is judged with the keys
    named up to it. A signature a worker could not call ok (a key it had not heard of
    yet, or a failure) is verified again here with that registry: how fast keys reach
    the workers never changes a verdict."""

    def __init__(self, log: Path, registry: dict[str, str]) -> None:
        self.log = log
        self.registry = registry
        self.second_looks = 0
        self._bundle: tuple[int, list[bytes]] | None = None

    def replay(self, bundle: Bundle, named: list[tuple[int, str, str]],
               checked: list[scan.EntryResult], replay: Replay) -> None:
        registry = self.registry
        pending = iter(named)
        nxt = next(pending, None)
        for result in checked:
            while nxt is not None and nxt[0] <= result[0]:
                registry.setdefault(nxt[1], nxt[2])
                nxt = next(pending, None)
            verdicts = result[4]
            if verdicts != _OK and (0 in verdicts or -1 in verdicts):
                result = self._second_look(bundle, result)  # noqa: PLW2901
            replay.apply(result)
        while nxt is not None:
            registry.setdefault(nxt[1], nxt[2])
            nxt = next(pending, None)

    def _second_look(self, bundle: Bundle, r: scan.EntryResult) -> scan.EntryResult:
        if all(self.registry.get(k) is None for k, v in zip(r[3], r[4], strict=True)
               if v == -1) and 0 not in r[4]:
            return r  # no key the worker lacked is known here either
        self.second_looks += 1
        if self._bundle is None or self._bundle[0] != bundle.n:
            data = scan.read_tile_file(self.log, "entries", bundle.n, bundle.width)
            assert data is not None  # the worker read it
            self._bundle = (bundle.n, split_bundle(data, bundle.width))
        raw = self._bundle[1][r[0] - bundle.n * TILE_WIDTH]
        return (r[0], r[1], r[2], r[3], scan.verdicts_of(raw, self.registry.get), r[5])


_OK = (1,)


def _frame(directory: Path) -> tuple[ElectionIndex, Frame] | None:
    try:
        index = ElectionIndex.open(directory)
        return index, frame(index)
    except (OSError, ValueError, sqlite3.Error):
        return None  # _totals reports it


def _tile_problem(report: Report, problem: str) -> None:
    kind, path, *rest = problem.split(":", 2)
    if kind == "missing":
        report.add("tiles", "TILE-MISSING", "a tile or bundle the checkpoint implies is "
                   "missing (truncated download?)", path=path)
    elif kind == "format":
        report.add("tiles", "TILE-MALFORMED", f"malformed: {rest[0] if rest else ''}",
                   path=path)
    else:
        report.add("tiles", "TILE-MISMATCH", "an entry does not hash to its level-0 tile "
                   "(entry bundle or tile altered)", path=path, index=int(rest[0]))


def _upper_tiles(log: Path, size: int, first_new: int, level1: list[bytes],
                 report: Report) -> None:
    """Every published tile of level ≥ 1 that covers new hashes, against the recomputed tree.

    ``level1`` are the roots of the full level-0 tiles from ``first_new`` on; hashes
    before that were checked by an earlier run (and are covered by consistency)."""
    level, known, first = 1, level1, first_new
    while True:
        full, width = tiles_for_size(level, size)
        if full == 0 and width == 0:
            return
        base = (first // TILE_WIDTH) * TILE_WIDTH
        values: list[bytes] = []
        for n in range(first // TILE_WIDTH, full + (1 if width else 0)):
            w = TILE_WIDTH if n < full else width
            data = scan.read_tile_file(log, level, n, w)
            path = tile_path(level, n, w)
            if data is None:
                report.add("tiles", "TILE-MISSING", "a tile the checkpoint implies is missing",
                           path=path)
                return
            try:
                published = split_hashes(data, w)
            except FormatError as exc:
                report.add("tiles", "TILE-MALFORMED", str(exc), path=path)
                return
            for j, h in enumerate(published):
                g = n * TILE_WIDTH + j
                if g >= first:
                    mine = known[g - first] if g - first < len(known) else None
                    if mine is not None and mine != h:
                        report.add("tiles", "TILE-MISMATCH", f"hash {j} of a level-{level} tile "
                                   "is not the root of the tile below", path=path)
                        return
                    values.append(h if mine is None else mine)
                else:
                    values.append(h)
        nxt = [perfect_root(values[i:i + TILE_WIDTH])
               for i in range(0, len(values) - TILE_WIDTH + 1, TILE_WIDTH)]
        level, known, first = level + 1, nxt, base // TILE_WIDTH


def _replay(opts: Options, cp: Checkpoint, trust: TrustState, report: Report,
            cells: Cells) -> Replay:
    import json

    try:
        manifest = json.loads((opts.election_dir / "election.json").read_text("utf-8"))
        sha = str(manifest["index_sha256"])
    except (OSError, ValueError, KeyError):
        sha = ""
        report.add("election", "ELECTION-MISSING", "no readable election.json",
                   path="election.json")
    return Replay(trust, report, origin=cp.origin, election_sha256=sha, root_key=opts.root_key,
                  tally=cells)


def _totals(opts: Options, trust: TrustState, report: Report, outcome: Outcome,
            pending: Any) -> None:
    index, prepared = outcome.framed or (None, None)
    if index is None:
        try:
            index = ElectionIndex.open(opts.election_dir)
        except (OSError, ValueError) as exc:
            report.add("election", "ELECTION-MISSING",
                       f"cannot open the election index: {exc}")
            return
    digest = pending.get() if pending is not None else None
    if digest is None:
        digest = index.digest()
    if digest != index.manifest.get("index_sha256"):
        report.add("election", "INDEX-HASH", "election.sqlite does not hash to the manifest's "
                   "index_sha256", path="election.sqlite",
                   expected=index.manifest.get("index_sha256"), published=digest)
    outcome.index = index
    outcome.totals = compute(index, trust.current, prepared, outcome.cells)
    report.current = len(trust.current)
    report.flagged = sum(1 for c in trust.current.values() if c.flags)
    report.counted = report.current - report.flagged
