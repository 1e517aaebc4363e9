"""``egg-migrate run``: not implemented yet."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("run", help="(not implemented yet)")
    p.set_defaults(handler=run)


def run(args) -> int:
    print("egg-migrate run: not implemented yet", file=sys.stderr)
    return 2
