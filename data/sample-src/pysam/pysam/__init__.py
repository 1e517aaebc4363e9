"""pysam look-alike: checksums from zlib via the C extension pysam.csamtools."""
from pysam.csamtools import crc32, zlib_version

__all__ = ["crc32", "zlib_version"]
