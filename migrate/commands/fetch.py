"""``egg-migrate fetch``: not implemented yet."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("fetch", help="(not implemented yet)")
    p.set_defaults(handler=run)


def run(args) -> int:
    print("egg-migrate fetch: not implemented yet", file=sys.stderr)
    return 2
