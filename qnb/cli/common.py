"""What the commands share: printing JSON."""

from __future__ import annotations

import json
from typing import Any


def print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, sort_keys=True))
