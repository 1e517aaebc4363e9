"""The static checks of ``egg-migrate check``: one module per area, each a ``check(wheel)``.

Codes are stable and documented in ``docs/check.rst``:
W0xx the file itself, W1xx file name, W2xx zip safety, W3xx RECORD, W4xx METADATA,
W5xx WHEEL, W6xx tags vs binaries, W7xx content smells, W8xx against the source
egg, W9xx the ``--smoke`` install (``migrate.smoke``).
"""
