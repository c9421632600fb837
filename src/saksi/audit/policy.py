"""Witness policy files, in the style of C2SP tlog-policy / Sigsum policies:

    log <vkey> [url]
    witness <name> <vkey> [url]
    group <name> <k | all | any> <member> …
    quorum <name | none>

Blank lines and ``#`` comments are ignored. Members are witnesses or groups
defined earlier. A checkpoint satisfies the policy when the quorum's member
witnesses cosigned it validly."""

from __future__ import annotations

from dataclasses import dataclass, field

from saksi.audit.tlog import SIG_COSIGNATURE, FormatError, Note, VerifierKey


@dataclass
class Policy:
    logs: list[VerifierKey] = field(default_factory=list)
    witnesses: dict[str, VerifierKey] = field(default_factory=dict)
    groups: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    quorum: str | None = None

    @classmethod
    def parse(cls, text: str) -> Policy:
        p = cls()
        for number, raw in enumerate(text.splitlines(), 1):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            kind, args = words[0], words[1:]
            try:
                if kind == "log" and 1 <= len(args) <= 2:
                    p.logs.append(VerifierKey.parse(args[0]))
                elif kind == "witness" and 2 <= len(args) <= 3:
                    key = VerifierKey.parse(args[1])
                    if key.sig_type != SIG_COSIGNATURE:
                        raise FormatError("a witness key must be of type cosignature/v1")
                    p._new_name(args[0])
                    p.witnesses[args[0]] = key
                elif kind == "group" and len(args) >= 3:
                    members = args[2:]
                    for m in members:
                        if m not in p.witnesses and m not in p.groups:
                            raise FormatError(f"unknown member {m}")
                    k = {"all": len(members), "any": 1}.get(args[1])
                    if k is None:
                        k = int(args[1]) if args[1].isdigit() else -1
                    if not 1 <= k <= len(members):
                        raise FormatError(f"bad threshold {args[1]}")
                    p._new_name(args[0])
                    p.groups[args[0]] = (k, members)
                elif kind == "quorum" and len(args) == 1:
                    if args[0] != "none" and args[0] not in p.witnesses | p.groups:
                        raise FormatError(f"unknown quorum {args[0]}")
                    p.quorum = None if args[0] == "none" else args[0]
                else:
                    raise FormatError(f"cannot read {raw.strip()!r}")
            except FormatError as exc:
                raise FormatError(f"policy line {number}: {exc}") from None
        return p

    def _new_name(self, name: str) -> None:
        if name in self.witnesses or name in self.groups:
            raise FormatError(f"name {name} defined twice")

    def evaluate(self, note: Note) -> tuple[bool, list[str], list[str]]:
        """(quorum met, witnesses that cosigned, witnesses whose cosignature is invalid)."""
        good, bad = [], []
        for name, key in self.witnesses.items():
            verdict = note.verify(key)
            if verdict is True:
                good.append(name)
            elif verdict is False:
                bad.append(name)
        return (self._met(self.quorum, set(good)) if self.quorum else True), good, bad

    def _met(self, name: str, good: set[str]) -> bool:
        if name in self.witnesses:
            return name in good
        k, members = self.groups[name]
        return sum(self._met(m, good) for m in members) >= k
