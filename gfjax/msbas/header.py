"""Moved to :mod:`gfjax.io.msbas_header` (file I/O lives in gfjax/io, issue 13); kept as an alias."""
from gfjax.io.msbas_header import (HeaderError, Header, MapEntry, SetSpec, map_times,  # noqa: F401
                                   parse_header, read_list)
