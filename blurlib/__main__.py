"""``python -m blurlib``: the ``blurlib`` command line (:mod:`blurlib.cli`)."""

import sys

from blurlib.cli import main

sys.exit(main())
