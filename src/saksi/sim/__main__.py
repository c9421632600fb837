"""``python -m saksi.sim …`` is ``saksi simulate …``."""

import sys

from saksi.cli import main

sys.exit(main(["simulate", *sys.argv[1:]]))
