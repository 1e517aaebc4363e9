"""Padding so the committed, truncated egg ends inside a member's data.

The build script cuts this egg to half its length, as an interrupted download
would leave it: no central directory, so no zip reader can open it.
"""


def works():
    return True
