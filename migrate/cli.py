"""The ``egg-migrate`` command line: one subcommand per module in ``migrate.commands``.

Each subcommand parses its arguments, calls one library function and prints.
Exit codes: 0 all good; 1 some items failed (each named on stderr); 2 usage error.
"""
from __future__ import annotations

import argparse
import sys
from typing import NoReturn, Optional

from migrate import __version__
from migrate.commands import SUMMARY, add_common_options, apply_common_options, load


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (``egg-migrate fetch: error: ...``), exit 2; ``--help`` has the rest."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class Subcommand(_Parser):
    """A subcommand's parser: an option it does not know is its usage error (exit 2), not the top level's.

    argparse hands a subparser's unknown arguments back to the top-level parser, which
    would print ``egg-migrate``'s usage instead of the subcommand's. A mistyped option
    gets the subcommand's usage above the one-line error, to show what it does take.
    """

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.print_usage(sys.stderr)
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, the other subcommands are listed but not loaded."""
    parser = _Parser(
        prog="egg-migrate",
        description="Move a project off setuptools eggs: convert eggs into correctly tagged wheels, "
        "check them, publish a static mirror and pin requirements.",
    )
    parser.add_argument("--version", action="version", version=f"egg-migrate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Subcommand)
    sub.required = True
    for name, summary in SUMMARY.items():
        if only is None or name == only:
            load(name).register(sub)
            add_common_options(sub.choices[name])
        else:
            sub.add_parser(name, help=summary)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--version"]:  # what scripts ask most often: answered before argparse builds anything
        print(f"egg-migrate {__version__}")
        return 0
    chosen = next((a for a in argv if not a.startswith("-")), None)
    # no subcommand named (--version, --help, a typo): list them all, load none
    parser = build_parser(chosen if chosen in SUMMARY else "")
    args = parser.parse_args(argv)
    apply_common_options(args)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("egg-migrate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:  # a full disk, a read-only folder, a file where a folder goes: one line, exit 1
        from migrate.fsutil import output_error

        error = output_error(exc)
        if error is None:
            raise  # anything else is a bug and keeps its traceback
        print(f"egg-migrate {args.command}: {error}", file=sys.stderr)
        return 1
