# The optional C check of a clean sheet (_fast.c); saksi.ingest.precheck is the reference.
from collections.abc import Callable

Spec = tuple[int, int, int, bytes, int, int]
Hit = tuple[str, str, int, str | None, tuple[str, ...], list[int]]

def configure(contests: tuple[tuple[str, int], ...], schema: str, /) -> None: ...
def use_sodium(address: int, /) -> None: ...
def clean(raw: bytes, sheet_type: str, spec_of: Callable[[str, str], Spec | None],
          key_of: Callable[[str], bytes | None], /) -> Hit | None: ...
