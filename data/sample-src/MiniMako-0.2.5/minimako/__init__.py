"""Templates with ${name} substitutions (no filters before 0.4)."""
import re

__version__ = "0.2.5"

_EXPR = re.compile(r"\$\{\s*(\w+)\s*\}")


class Template(object):
    def __init__(self, text):
        self.text = text

    def render(self, **context):
        return _EXPR.sub(lambda m: "%s" % (context[m.group(1)],), self.text)
