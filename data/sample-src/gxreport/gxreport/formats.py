"""Target of the gxreport.formats entry point group."""


def text(line):
    return line + "\n"
