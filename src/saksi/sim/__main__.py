"""``python -m saksi.sim …`` = ``saksi simulate …`` (usable before the command is
listed in ``saksi.cli``)."""

from __future__ import annotations

import argparse
import sys

from saksi.errors import SaksiError
from saksi.sim.commands import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="saksi")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["simulate", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.handler(args))
    except SaksiError as exc:
        print(f"saksi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
