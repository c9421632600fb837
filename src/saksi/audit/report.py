"""Findings: each one says exactly where (log index, TPS, contest, region, file)
and what was expected against what was found or published."""

from __future__ import annotations

from typing import Any

import msgspec


class Finding(msgspec.Struct, frozen=True, omit_defaults=True):
    check: str  # which step: checkpoint, witness, tiles, entry, trust, rules, history, totals, api
    code: str
    message: str
    index: int | None = None
    tps: str | None = None
    contest: str | None = None
    region: str | None = None
    path: str | None = None
    expected: Any = None
    published: Any = None

    def line(self) -> str:
        where = " ".join(f"{k}={v}" for k, v in (
            ("index", self.index), ("tps", self.tps), ("contest", self.contest),
            ("region", self.region), ("path", self.path)) if v is not None)
        tail = ""
        if self.expected is not None or self.published is not None:
            tail = f" (expected {self.expected!r}, published {self.published!r})"
        return f"[{self.check}] {self.code} {where}: {self.message}{tail}".replace("  ", " ")


class Report(msgspec.Struct):
    source: str
    origin: str = ""
    size: int = 0
    root: str = ""
    from_size: int = 0
    entries_checked: int = 0
    sheets: int = 0
    controls: int = 0
    current: int = 0
    counted: int = 0
    flagged: int = 0
    witnesses: list[str] = msgspec.field(default_factory=list)
    api_documents: int = 0
    notes: list[str] = msgspec.field(default_factory=list)
    findings: list[Finding] = msgspec.field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, check: str, code: str, message: str, **where: Any) -> None:
        self.findings.append(Finding(check, code, message, **where))

    def summary(self) -> str:
        lines = [
            f"sumber / source: {self.source}",
            f"log: {self.origin} ukuran / size {self.size} (dari / from {self.from_size}) "
            f"root {self.root}",
            f"entri diperiksa / entries checked: {self.entries_checked} "
            f"(lembar / sheets {self.sheets}, kontrol / control {self.controls})",
            f"lembar berlaku / current sheets: {self.current}, dihitung / counted "
            f"{self.counted}, ditandai / flagged {self.flagged}",
        ]
        if self.witnesses:
            lines.append("saksi / witnesses: " + ", ".join(self.witnesses))
        if self.api_documents:
            lines.append(f"dokumen API dibandingkan / API documents compared: "
                         f"{self.api_documents}")
        lines.extend(f"catatan / note: {n}" for n in self.notes)
        if self.ok:
            lines.append("SEMUA COCOK / EVERYTHING CHECKS")
        else:
            lines.append(f"{len(self.findings)} MASALAH / PROBLEMS:")
            shown = self.findings[:40]
            lines.extend("  " + f.line() for f in shown)
            if len(self.findings) > len(shown):
                lines.append(f"  … {len(self.findings) - len(shown)} more (use --json)")
        return "\n".join(lines)
