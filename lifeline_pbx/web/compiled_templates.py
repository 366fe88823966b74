"""Templates compiled once per process, however many web apps it builds.

The server builds one app, but the test suite builds one per test, and compiling the
templates again for each was a fifth of a web test's CPU. Jinja's own bytecode caches
work the same way (keyed by template and source checksum), on disk; this one keeps the
code objects in memory.
"""

from __future__ import annotations

from types import CodeType

import jinja2
from jinja2.bccache import Bucket


class CompiledTemplates(jinja2.BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[tuple[str, str], CodeType] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        bucket.code = self._code.get((bucket.key, bucket.checksum))

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[(bucket.key, bucket.checksum)] = bucket.code


COMPILED = CompiledTemplates()
