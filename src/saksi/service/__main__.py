"""``python -m saksi.service DIR …`` is ``saksi serve DIR …`` (what tests and
benchmarks start as a child process)."""

import sys

from saksi.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
