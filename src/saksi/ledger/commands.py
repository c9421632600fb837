"""CLI: ``saksi log …`` and ``saksi witness …``.

Handlers import their modules lazily so ``saksi --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from saksi.ledger.log import Log


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p_log = sub.add_parser(
        "log",
        help="log transparansi (C2SP) / the transparency log",
        description="log transparansi C2SP / the C2SP transparency log",
    )
    lsub = p_log.add_subparsers(dest="log_command", metavar="COMMAND", required=True)

    p = lsub.add_parser("init", help="buat log baru / create a new log")
    p.add_argument("dir", type=Path)
    p.add_argument("--origin", required=True, help="origin checkpoint, mis. example.org/pemilu")
    p.set_defaults(handler=_log_init)

    p = lsub.add_parser("vkey", help="kunci verifikasi log / the log's verifier key")
    p.add_argument("dir", type=Path)
    p.set_defaults(handler=_log_vkey)

    p = lsub.add_parser("proof", help="bukti inklusi (tlog-proof) / inclusion receipt")
    p.add_argument("dir", type=Path)
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--size", type=int)
    p.set_defaults(handler=_log_proof)

    p = lsub.add_parser("consistency", help="bukti konsistensi / consistency proof")
    p.add_argument("dir", type=Path)
    p.add_argument("--old", type=int, required=True)
    p.add_argument("--new", type=int)
    p.set_defaults(handler=_log_consistency)

    p = lsub.add_parser("witnesses", help="atur saksi log / manage the log's witnesses")
    p.add_argument("dir", type=Path)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--add", nargs=2, metavar=("URL", "VKEY"))
    g.add_argument("--remove", metavar="URL")
    g.add_argument("--list", action="store_true")
    p.set_defaults(handler=_log_witnesses)

    p = lsub.add_parser("verify", help="periksa seluruh tile log / verify every tile")
    p.add_argument("dir", type=Path)
    p.add_argument("--vkey", help="kunci log yang dipercaya (bawaan: dari DIR/ledger)")
    p.set_defaults(handler=_log_verify)

    p_w = sub.add_parser(
        "witness",
        help="saksi log (tlog-witness) / a log witness",
        description="server saksi tlog-witness / a tlog-witness server",
    )
    wsub = p_w.add_subparsers(dest="witness_command", metavar="COMMAND", required=True)
    p = wsub.add_parser("init", help="buat kunci saksi / create a witness key")
    p.add_argument("wdir", type=Path)
    p.add_argument("--name", required=True)
    p.set_defaults(handler=_witness_init)
    p = wsub.add_parser("serve", help="jalankan server saksi / run the witness server")
    p.add_argument("wdir", type=Path)
    p.add_argument("--log-vkey", action="append", required=True, dest="log_vkeys")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(handler=_witness_serve)


def _open(d: Path) -> Log:
    from saksi.ledger.log import Log

    return Log.open(d, readonly=True)


def _log_init(args: argparse.Namespace) -> int:
    from saksi.ledger.log import Log

    with Log.create(args.dir, origin=args.origin) as log:
        print(log.vkey)
    return 0


def _log_vkey(args: argparse.Namespace) -> int:
    with _open(args.dir) as log:
        print(log.vkey)
    return 0


def _log_proof(args: argparse.Namespace) -> int:
    with _open(args.dir) as log:
        sys.stdout.write(log.receipt(args.index, args.size))
    return 0


def _log_consistency(args: argparse.Namespace) -> int:
    from saksi.ledger.note import b64encode

    with _open(args.dir) as log:
        for h in log.consistency_proof(args.old, args.new):
            print(b64encode(h))
    return 0


def _log_witnesses(args: argparse.Namespace) -> int:
    from saksi.errors import InputError, StateError
    from saksi.ledger.log import CONFIG_FILE, WITNESSES_FILE
    from saksi.ledger.witness_client import load_witnesses, save_witnesses, validate_witness

    ledger = Path(args.dir) / "ledger"
    if not (ledger / CONFIG_FILE).exists():
        raise StateError(f"tidak ada log di {args.dir}", f"no log in {args.dir}")
    path = ledger / WITNESSES_FILE
    ws = load_witnesses(path)
    if args.list:
        for w in ws:
            print(f"{w.url} {w.vkey} {w.size}")
        return 0
    if args.add:
        new = validate_witness(*args.add)
        if any(w.url == new.url for w in ws):
            raise InputError("url", new.url, "saksi sudah terdaftar", "witness already configured")
        ws.append(new)
    else:
        url = args.remove.rstrip("/")
        if not any(w.url == url for w in ws):
            raise InputError("url", url, "saksi tidak terdaftar", "no such witness")
        ws = [w for w in ws if w.url != url]
    save_witnesses(path, ws)
    return 0


def _log_verify(args: argparse.Namespace) -> int:
    import json

    from saksi.errors import StateError
    from saksi.ledger.verify import TileVerificationError, verify_tiles

    vkey = args.vkey
    if vkey is None:
        with _open(args.dir) as log:
            vkey = log.vkey
    try:
        cp = verify_tiles(args.dir, vkey)
    except TileVerificationError as exc:
        raise StateError("log tidak lolos verifikasi", f"log does not verify: {exc}") from exc
    print(json.dumps({"origin": cp.origin, "size": cp.size, "ok": True}))
    return 0


def _witness_init(args: argparse.Namespace) -> int:
    from saksi.ledger.witness import init_witness

    print(init_witness(args.wdir, args.name).vkey)
    return 0


def _witness_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from saksi.ledger.witness import make_app

    app = make_app(args.wdir, args.log_vkeys)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
