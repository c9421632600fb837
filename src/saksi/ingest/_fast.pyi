# The optional C accelerator (_fast.c); saksi.ingest.precheck and the sequencer's
# replay are the references.
from collections.abc import Callable

Spec = tuple[int, int, int, bytes, int, int]
Hit = tuple[str, str, int, str | None, tuple[str, ...], list[int]]
Counted = tuple[str, str, int, str | None, list[int]]

def configure(contests: tuple[tuple[str, int], ...], schema: str, /) -> None: ...
def use_sodium(address: int, /) -> None: ...
def clean(raw: bytes, sheet_type: str, spec_of: Callable[[str, str], Spec | None],
          key_of: Callable[[str], bytes | None], /) -> Hit | None: ...
def counts(raw: bytes, sheet_type: str,
           layout_of: Callable[[str, str], tuple[int, int] | None], /) -> Counted | None: ...
