"""Target of the gxreport console_scripts entry point."""
import sys

from gxreport import report
from gxreport.formats import text


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    name = argv[0] if argv else "galaxy"
    sys.stdout.write(text(report(name, 3)))
    return 0
