"""What the binaries say: ELF (:mod:`elf`), Mach-O and PE (:mod:`machpe`), read by :mod:`sniff`.
Takes the bytes of one binary; gives ``BinaryFacts`` (:mod:`facts`).
"""
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

__all__ = [
    "FORMAT_NAMES", "BinaryFacts", "abi_from_filename", "analyse", "arch_from_filename", "init_symbol",
    "libpython_version", "module_name", "python_from_dll",
]
