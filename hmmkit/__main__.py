"""``python -m hmmkit``: the same as the ``hmmkit`` command."""

import sys

from .cli import main

sys.exit(main())
