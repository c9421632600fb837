import sys

from saksi.cli import main

sys.exit(main())
