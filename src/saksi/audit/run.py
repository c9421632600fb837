"""Assemble a verification from command-line arguments: sources, keys, state, output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import msgspec

from saksi.audit.policy import Policy
from saksi.audit.tlog import FormatError
from saksi.audit.verify import Options, Outcome, load_state, run, save_state
from saksi.errors import InputError


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def published_vkey(election_dir: Path) -> str | None:
    """The log vkey an election publishes (``keys/public.json`` member ``log_vkey`` or
    ``log/vkey``); one taken from the same source proves consistency only."""
    try:
        data = json.loads((election_dir / "keys" / "public.json").read_text("utf-8"))
        if isinstance(data, dict) and isinstance(data.get("log_vkey"), str):
            return str(data["log_vkey"])
    except (OSError, ValueError):
        pass
    try:
        return (election_dir / "log" / "vkey").read_text("utf-8").strip() or None
    except OSError:
        return None


def options(args: argparse.Namespace, log_dir: Path, election_dir: Path) -> Options:
    policy = None
    if getattr(args, "policy", None) is not None:
        try:
            policy = Policy.parse(Path(args.policy).read_text("utf-8"))
        except (OSError, FormatError) as exc:
            raise InputError("--policy", str(args.policy), "kebijakan tidak terbaca",
                             f"unreadable policy: {exc}") from None
    vkey = getattr(args, "log_vkey", None)
    notes = []
    if vkey is None and policy is not None and policy.logs:
        vkey = f"{policy.logs[0].name}+{policy.logs[0].key_id.hex()}+" + __import__(
            "base64").b64encode(bytes([policy.logs[0].sig_type]) + policy.logs[0].public).decode()
    if vkey is None:
        vkey = published_vkey(election_dir)
        if vkey is not None:
            notes.append("log vkey taken from the election itself: proves consistency, not "
                         "authenticity (pass --log-vkey from an independent channel)")
    if vkey is not None:
        try:
            from saksi.audit.tlog import VerifierKey

            VerifierKey.parse(vkey)
        except FormatError as exc:
            raise InputError("--log-vkey", vkey, "kunci verifikasi tidak sah",
                             f"invalid verifier key: {exc}") from None
    since = None
    if getattr(args, "since", None) is not None:
        try:
            since = load_state(Path(args.since))
        except FormatError as exc:
            raise InputError("--since", str(args.since), "berkas status tidak terbaca",
                             str(exc)) from None
    opts = Options(log_dir, election_dir, str(args.source if hasattr(args, "source") else
                                              args.url), vkey=vkey, policy=policy, since=since,
                   root_key=getattr(args, "root_key", None), workers=args.workers,
                   progress=not getattr(args, "quiet", True) and sys.stderr.isatty())
    opts.notes = notes
    return opts


def verify_command(args: argparse.Namespace) -> int:
    source: str = args.source
    api = args.api
    if is_url(source):
        from saksi.audit.remote import Mirror

        with Mirror(source, args.election) as mirror:
            since = load_state(args.since) if args.since else None
            mirror.fetch_log(0 if since is None else since.size)
            opts = options(args, mirror.log_dir, mirror.election_dir)
            outcome = run(opts)
            _compare(outcome, api or source)
    else:
        directory = Path(source)
        if not (directory / "log").is_dir():
            raise InputError("SOURCE", source, "bukan direktori pemilu (tidak ada log/)",
                             "not an election directory (no log/)")
        opts = options(args, directory / "log", args.election or directory)
        outcome = run(opts)
        if api:
            _compare(outcome, api)
    outcome.report.notes.extend(opts.notes)
    if args.save_state and outcome.state is not None and outcome.report.ok:
        save_state(args.save_state, outcome.state)
    if args.json:
        sys.stdout.write(msgspec.json.encode(outcome.report).decode() + "\n")
    else:
        print(outcome.report.summary())
    return 0 if outcome.report.ok else 1


def _compare(outcome: Outcome, api: str) -> None:
    if outcome.state is None or outcome.totals is None:
        return
    from saksi.audit.compare import compare_api

    compare_api(outcome.totals, outcome.report, api, outcome.state.trust.last_sheet,
                index=outcome.index, current=outcome.state.trust.current)
