"""``python -m qnb.cli``: the ``qnb`` command."""

import sys

from . import main

sys.exit(main())
