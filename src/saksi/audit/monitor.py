"""``saksi monitor``: tail a live service and raise alerts.

Each poll mirrors only what is new since the last verified checkpoint, proves
the new tree extends the old one (recomputed from the saved right edge),
verifies the new entries and compares the published totals. Alerts: a fork,
a rewrite, a shrinking log, any discrepancy, a checkpoint that stops
advancing. Each alert is one JSON line on stderr and, optionally, a webhook
POST of the same JSON."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from saksi.audit.remote import Mirror
from saksi.audit.run import options
from saksi.audit.verify import SavedState, load_state, run, save_state


def alert(payload: dict[str, Any], webhook: str | None) -> None:
    line = json.dumps(payload, sort_keys=True, default=str)
    print(line, file=sys.stderr, flush=True)
    if webhook:
        try:
            httpx.post(webhook, content=line, headers={"Content-Type": "application/json"},
                       timeout=10.0)
        except httpx.HTTPError as exc:
            print(json.dumps({"alert": "WEBHOOK-FAILED", "error": str(exc)}), file=sys.stderr)


def monitor_command(args: argparse.Namespace) -> int:
    state: SavedState | None = None
    if args.state is not None and Path(args.state).exists():
        state = load_state(Path(args.state))
    alerts = 0
    polls = 0
    last_change = time.monotonic()
    stalled = False
    while True:
        polls += 1
        with Mirror(args.url, args.election) as mirror:
            cp = mirror.fetch_log(0 if state is None else state.size)
            if cp is None:
                alerts += 1
                alert({"alert": "CHECKPOINT-UNAVAILABLE", "url": args.url}, args.webhook)
            else:
                args.source, args.since, args.root_key, args.quiet = args.url, None, None, True
                opts = options(args, mirror.log_dir, mirror.election_dir)
                opts.since = state
                outcome = run(opts)
                report = outcome.report
                if outcome.totals is not None and outcome.state is not None and report.ok:
                    from saksi.audit.compare import compare_api

                    compare_api(outcome.totals, report, args.url,
                                outcome.state.trust.last_sheet, index=outcome.index,
                                current=outcome.state.trust.current)
                for f in report.findings:
                    alerts += 1
                    alert({"alert": f.code, "check": f.check, "message": f.message,
                           "index": f.index, "tps": f.tps, "contest": f.contest,
                           "region": f.region, "path": f.path, "expected": f.expected,
                           "published": f.published, "size": report.size}, args.webhook)
                if report.ok and outcome.state is not None:
                    advanced = state is None or outcome.state.size > state.size
                    state = outcome.state
                    if args.state is not None:
                        save_state(Path(args.state), state)
                    if advanced:
                        last_change, stalled = time.monotonic(), False
                        print(json.dumps({"checkpoint": state.size, "root": state.root,
                                          "ok": True}), flush=True)
        if (args.stall_after and not stalled
                and time.monotonic() - last_change > args.stall_after):
            stalled = True
            alerts += 1
            alert({"alert": "STALLED", "size": None if state is None else state.size,
                   "seconds": round(time.monotonic() - last_change, 1)}, args.webhook)
        if args.max_polls and polls >= args.max_polls:
            return 1 if alerts else 0
        time.sleep(args.interval)
