"""Where the shipped data folders are: the repo root, or LIFELINE_HOME for an installed copy."""

from __future__ import annotations

import os
from pathlib import Path

HOME = Path(os.environ.get("LIFELINE_HOME") or Path(__file__).resolve().parent.parent)
