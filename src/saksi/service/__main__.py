"""``python -m saksi.service DIR …`` = ``saksi serve DIR …`` (usable before the
command is wired into ``saksi.cli``)."""

from __future__ import annotations

import argparse
import sys

from saksi.errors import SaksiError
from saksi.service.commands import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="saksi")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.handler(args))
    except SaksiError as exc:
        print(f"saksi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
