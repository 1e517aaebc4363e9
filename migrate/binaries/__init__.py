"""What the binaries say: ELF (:mod:`elf`), Mach-O and PE (:mod:`machpe`).
Takes the bytes of one binary; gives ``BinaryFacts``.
"""
