"""Parses XML with the system libxml2 (libxml2.so.2 must be on the host)."""
from lxmlshim._xml import parser_version, root_name

__all__ = ["parser_version", "root_name"]
