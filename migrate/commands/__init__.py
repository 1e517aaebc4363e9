"""Subcommands of ``egg-migrate``; each module has ``register(subparsers)``."""
from migrate.commands import convert, inspect

COMMANDS = [inspect, convert]
