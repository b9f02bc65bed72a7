"""The search tests share the profile tests' helpers (HMMER through pyhmmer)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
