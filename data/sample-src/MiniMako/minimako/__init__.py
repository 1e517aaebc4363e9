"""Templates with ${name} and ${name|h} (HTML-escaped) substitutions."""
import re

__version__ = "0.4.1"

_EXPR = re.compile(r"\$\{\s*(\w+)\s*(?:\|\s*(\w+)\s*)?\}")


def escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&#34;"))


FILTERS = {"h": escape, "u": lambda text: text.upper()}


class Template(object):
    def __init__(self, text):
        self.text = text

    def render(self, **context):
        def substitute(match):
            value = "%s" % (context[match.group(1)],)
            if match.group(2):
                value = FILTERS[match.group(2)](value)
            return value
        return _EXPR.sub(substitute, self.text)
