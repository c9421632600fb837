"""``saksi serve DIR``: the results service.

The main process is the sequencer (the one writer of the log and the
database); it starts the HTTP server with N worker processes that pre-check
submissions in parallel and forward them over ``DIR/run/sequencer.sock``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="jalankan layanan hasil (API HTTP) / run the results service (HTTP API)",
        description="Open the election in DIR, index any log entries the database has not "
        "seen, and serve the HTTP API. The process is the sequencer (the only writer); "
        "--workers HTTP processes check submissions in parallel.",
    )
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="proses HTTP / HTTP processes")
    p.add_argument("--db", default=None, metavar="URL",
                   help="postgresql://… (default: SQLite in DIR/saksi.sqlite)")
    p.add_argument("--post-rate", type=float, default=200.0, metavar="R",
                   help="kiriman per detik per alamat klien, per worker / submissions per "
                   "second per client address, per worker (0: no limit)")
    p.add_argument("--post-burst", type=float, default=400.0, metavar="B")
    p.add_argument("--device-rate", type=float, default=1.0, metavar="R",
                   help="dokumen per detik per kunci perangkat, per worker / documents per "
                   "second per signing device key, per worker (0: no limit; PPK keys get "
                   "a larger share, docs/api.md)")
    p.add_argument("--device-burst", type=float, default=30.0, metavar="B")
    p.add_argument("--trusted-proxy", action="append", default=[], metavar="CIDR",
                   help="proksi tepercaya: X-Forwarded-For hanya dibaca darinya / a trusted "
                   "proxy network: X-Forwarded-For is read only from it (repeatable)")
    p.add_argument("--batch-ms", type=float, default=5.0,
                   help="jendela pengelompokan saat tidak ada batch berjalan / group-commit "
                   "window in ms while no batch is in flight (50 ms while one is)")
    p.add_argument("--queue", type=int, default=4096,
                   help="dokumen menunggu maksimum / most documents waiting (then 503)")
    p.add_argument("--cache-seconds", type=float, default=0.5,
                   help="cache dokumen terbit per proses / per-worker cache of published "
                   "documents")
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from saksi.api.app import ENV_PREFIX, ApiConfig
    from saksi.api.limits import parse_networks
    from saksi.errors import InputError
    from saksi.ingest.sequencer import Sequencer
    from saksi.service.server import SequencerServer, socket_path
    from saksi.store.base import default_url

    directory: Path = args.directory.resolve()
    if args.workers < 1:
        raise InputError("--workers", args.workers, "minimal 1", "at least 1")
    for flag, rate, burst in (("--post-burst", args.post_rate, args.post_burst),
                              ("--device-burst", args.device_rate, args.device_burst)):
        if rate > 0 and burst < 1:  # a bucket that never holds a whole token
            raise InputError(flag, burst, "minimal 1 bila batasnya aktif",
                             "at least 1 when the limit is on")
    try:
        parse_networks(args.trusted_proxy)
    except ValueError as exc:
        raise InputError("--trusted-proxy", str(exc), "bukan alamat atau jaringan IP",
                         "not an IP address or network (CIDR)") from None
    url = args.db or default_url(directory)
    sequencer = Sequencer.open(directory, url)
    server = SequencerServer(sequencer, socket_path(directory), batch_ms=args.batch_ms,
                             max_queue=args.queue)
    server.on_fail = lambda: os.kill(os.getpid(), signal.SIGTERM)
    thread = server.run_in_thread()
    config = ApiConfig(directory, url, server.path, args.post_rate, args.post_burst,
                       cache_seconds=args.cache_seconds,
                       trusted_proxies=tuple(args.trusted_proxy),
                       device_rate=args.device_rate, device_burst=args.device_burst)
    os.environ.update(config.to_env())
    os.environ[ENV_PREFIX + "PARENT"] = str(os.getpid())
    print(f"saksi: melayani / serving http://{args.host}:{args.port} "
          f"(log {sequencer.log.size} entri/entries, db {sequencer.store.backend}, "
          f"{args.workers} worker)", file=sys.stderr, flush=True)
    try:
        uvicorn.run("saksi.api.app:create_app", factory=True, host=args.host,
                    port=args.port, workers=args.workers if args.workers > 1 else None,
                    log_level="warning", access_log=False, timeout_graceful_shutdown=5,
                    # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1;
                    # the app decides whom to believe (--trusted-proxy).
                    proxy_headers=False)
    finally:
        server.stop()
        thread.join(30)
        sequencer.close()
    return 1 if server.failed is not None else 0
