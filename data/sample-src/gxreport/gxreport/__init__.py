"""Renders a one-line report with MiniMako (a dependency between sample eggs)."""
from minimako import Template

__version__ = "1.2"


def report(name, count):
    return Template("${name|u}: ${count} datasets").render(name=name, count=count)
