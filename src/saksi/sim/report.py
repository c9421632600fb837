"""What the night looks like on stderr while it runs, and the summary after it."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, TextIO

from saksi.sim.check import Verification
from saksi.sim.night import Night, Stats


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def progress_line(s: Stats, width: int = 24) -> str:
    done = s.tps_done / s.tps_total if s.tps_total else 1.0
    filled = int(done * width)
    bar = "█" * filled + "·" * (width - filled)
    rate = s.accepted / s.elapsed if s.elapsed > 0 else 0.0
    return (f"[{bar}] {s.tps_done}/{s.tps_total} TPS  {s.accepted} diterima/accepted "
            f"{s.flagged} ditandai/flagged {s.refused} ditolak/refused  "
            f"{s.retries} ulang/retries  {rate:,.0f} lembar/s  · {s.phase}")


async def show_progress(night: Night, stream: TextIO | None = None,
                        every_tty: float = 0.25, every_plain: float = 5.0) -> None:
    """A bar redrawn in place on a terminal; a plain line every few seconds otherwise."""
    out = stream or sys.stderr
    tty = out.isatty()
    try:
        while True:
            await asyncio.sleep(every_tty if tty else every_plain)
            line = progress_line(night.stats)
            if tty:
                out.write("\r\x1b[2K" + line)
            else:
                out.write(line + "\n")
            out.flush()
    finally:
        if tty:
            out.write("\r\x1b[2K" + progress_line(night.stats) + "\n")
            out.flush()


def summary(night: Night, check: Verification | None) -> dict[str, Any]:
    s = night.stats
    elapsed = s.elapsed
    out: dict[str, Any] = {
        "tps": s.tps_total,
        "sheets_sent": s.documents,
        "accepted": s.accepted,
        "flagged": s.flagged,
        "flagged_open": night.open_flags(),
        "refused": s.refused,
        "refusal_codes": dict(s.refusal_codes),
        "duplicates": s.duplicates,
        "retries": s.retries,
        "dropped": s.dropped,
        "late_revisions": s.late,
        "corrections": s.corrections,
        "forged_refused": s.forged_refused,
        "requests": s.requests,
        "statuses": {str(k): v for k, v in sorted(s.statuses.items())},
        "seconds": round(elapsed, 2),
        "sheets_per_s": round(s.accepted / elapsed, 1) if elapsed > 0 else 0.0,
        "latency_ms_p50": round(1000 * percentile(s.latencies, 0.5), 1),
        "latency_ms_p99": round(1000 * percentile(s.latencies, 0.99), 1),
        "errors": s.errors[:20],
    }
    if check is not None:
        out.update({
            "log_size": check.log_size, "receipts": check.receipts,
            "receipts_in_log": check.receipts_in_log, "proofs_checked": check.proofs_checked,
            "as_of_index": check.as_of_index, "totals_match": check.totals_match,
            "expected_ppwp": _jsonable(check.expected),
            "published_ppwp": _jsonable(check.published),
            "problems": check.problems[:20],
        })
    out["ok"] = not s.errors and check is not None and check.ok
    return out


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: ({str(n): v for n, v in sorted(x.items())} if isinstance(x, dict) else x)
            for k, x in d.items()}


def format_summary(d: dict[str, Any]) -> str:
    mark = "✓" if d.get("totals_match") else "✗"
    covered = f"{d.get('receipts_in_log', 0)}/{d.get('receipts', 0)}"
    lines = [
        f"TPS: {d['tps']}   lembar dikirim / sheets sent: {d['sheets_sent']}",
        f"diterima / accepted: {d['accepted']} (ditandai / flagged {d['flagged']}, masih "
        f"ditandai / still flagged {d['flagged_open']})   ditolak / refused: {d['refused']} "
        + (f"({', '.join(f'{k} ×{v}' for k, v in sorted(d['refusal_codes'].items()))})"
           if d["refusal_codes"] else ""),
        f"kiriman ganda / duplicates: {d['duplicates']}   ulang / retries: {d['retries']} "
        f"(putus / dropped {d['dropped']})   revisi / late revisions: {d['late_revisions']}   "
        f"koreksi PPK / corrections: {d['corrections']}",
        f"throughput: {d['sheets_per_s']:,} lembar/s (sheets/s) in {d['seconds']} s   "
        f"latency p50 {d['latency_ms_p50']} ms, p99 {d['latency_ms_p99']} ms",
        f"tanda terima di log / receipts in the log: {covered} (ukuran log / log size "
        f"{d.get('log_size', '?')}), bukti inklusi / inclusion proofs: "
        f"{d.get('proofs_checked', 0)} ✓",
        f"total nasional ppwp cocok / national ppwp totals match: {mark}",
    ]
    for problem in [*d.get("errors", []), *d.get("problems", [])]:
        lines.append(f"  ! {problem}")
    return "\n".join(lines)
