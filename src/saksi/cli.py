"""The one command-line entry point: ``saksi <group> <command> …``.

Each capability package owns its commands in a ``commands`` module with a
``register(subparsers)`` function; this module only assembles them, so that
``saksi --help`` stays cheap (handlers import their heavy modules lazily).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from saksi.errors import SaksiError

# Packages that contribute commands, in the order ``--help`` lists them.
_COMMAND_MODULES = (
    "saksi.election.commands",
    "saksi.sheets.commands",
    "saksi.keys.commands",
    "saksi.ledger.commands",
    "saksi.ingest.commands",
    "saksi.tally.commands",
    "saksi.service.commands",
    "saksi.sim.commands",
    # before saksi.bench: importing it registers `saksi bench verify`
    "saksi.audit.commands",
    "saksi.bench",
    "saksi.demo",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saksi",
        description="saksi — hasil pemilu yang ditandatangani di TPS dan dapat diperiksa siapa pun "
        "/ election results signed at the polling station and checkable by anyone",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):  # capability not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except SaksiError as exc:
        print(f"saksi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
