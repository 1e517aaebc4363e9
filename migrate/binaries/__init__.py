"""What the binaries say: ELF (:mod:`elf`), Mach-O and PE (:mod:`machpe`), read by :mod:`sniff`.
Takes the bytes of one binary; gives ``BinaryFacts`` (:mod:`facts`).
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "facts": (
        "BinaryFacts", "FORMAT_NAMES", "abi_from_filename", "arch_from_filename", "init_symbol", "libpython_version",
        "module_name",
    ),
    "machpe": ("python_from_dll",),
    "sniff": ("analyse",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.binaries.facts import (
        FORMAT_NAMES,
        BinaryFacts,
        abi_from_filename,
        arch_from_filename,
        init_symbol,
        libpython_version,
        module_name,
    )
    from migrate.binaries.machpe import python_from_dll
    from migrate.binaries.sniff import analyse
