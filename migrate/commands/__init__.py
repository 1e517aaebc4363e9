"""Subcommands of ``egg-migrate``: one module each, with ``register(subparsers)`` and ``run(args)``.

Only the module of the subcommand being run is imported (``requests``,
``resolvelib`` and the checks cost a tenth of a second to import; ``convert``
should not pay for them). ``SUMMARY`` is what ``egg-migrate --help`` lists.
"""
import importlib

SUMMARY = {
    "inspect": "show what an egg holds and the wheel tags it would get, with reasons",
    "convert": "convert eggs into wheels",
    "check": "check wheels: file name, zip safety, RECORD, METADATA, WHEEL, tags vs binaries, smoke install",
    "fetch": "download an egg repository, completely and verifiably",
    "publish": "publish wheels as a static PEP 503 mirror",
    "pin": "pin requirements with hashes against a mirror, for a target interpreter",
    "run": "the whole migration in one resumable command",
}


def load(name: str):
    return importlib.import_module(f"migrate.commands.{name}")


def add_common_options(parser) -> None:
    """What every subcommand has besides its own options: ``-q``/``-v``."""
    from migrate.commands.common import add_verbosity_options

    add_verbosity_options(parser)


def apply_common_options(args) -> None:
    """Set what the common options ask for before the subcommand runs."""
    from migrate.commands.common import NORMAL, set_verbosity

    set_verbosity(getattr(args, "verbosity", NORMAL))
