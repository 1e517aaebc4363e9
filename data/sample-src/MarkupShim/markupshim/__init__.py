"""HTML escaping in C (markupshim._speedups), MarkupSafe style."""
from markupshim._speedups import escape

__all__ = ["escape"]
