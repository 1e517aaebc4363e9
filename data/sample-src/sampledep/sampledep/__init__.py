"""A dependency: bx_python gets it from eggs.ini [dependencies], gxreport
from its own requires.txt (only where sys_platform == "linux2")."""

VALUE = 42


def greet(name):
    return "hello, %s" % name
