"""Subcommands of ``egg-migrate``; each module has ``register(subparsers)``."""
from migrate.commands import check, convert, fetch, inspect, pin, publish, run

COMMANDS = [inspect, convert, check, fetch, publish, pin, run]
