"""Parsing of region and TPS codes: KPU's undotted codes (2, 4, 6, 10 and
13 digits) and Kemendagri's dotted ones (``32.76.01.1001``)."""

from __future__ import annotations

from saksi.election.model import CODE_LENGTHS, Level, is_well_formed, level_of_code
from saksi.errors import InputError

_DOTTED_PARTS = (2, 2, 2, 4)  # digits of each dotted component, province first


def undot(dotted: str) -> str:
    """``"32.76.01.1001"`` → ``"3276011001"``; rejects anything malformed."""
    parts = dotted.split(".")
    if not 1 <= len(parts) <= len(_DOTTED_PARTS):
        raise ValueError(f"not a dotted region code: {dotted!r}")
    for part, width in zip(parts, _DOTTED_PARTS, strict=False):
        if len(part) != width or not (part.isascii() and part.isdigit()):
            raise ValueError(f"not a dotted region code: {dotted!r}")
    return "".join(parts)


def dot(code: str) -> str:
    """The inverse of :func:`undot` for region codes (not TPS codes)."""
    level = level_of_code(code)
    if level in (Level.NASIONAL, Level.TPS):
        raise ValueError(f"no dotted form for {code!r}")
    parts, start = [], 0
    for width in _DOTTED_PARTS:
        if start >= len(code):
            break
        parts.append(code[start : start + width])
        start += width
    return ".".join(parts)


def is_code(code: str, level: Level | None = None) -> bool:
    """Whether ``code`` is a well-formed KPU code (of ``level`` if given)."""
    if code == "0":
        return level in (None, Level.NASIONAL)
    if not is_well_formed(code):
        return False
    lengths = CODE_LENGTHS.values() if level is None else (CODE_LENGTHS.get(level, -1),)
    return len(code) in lengths


def parse_region_code(value: str, field: str = "region") -> str:
    """A region code from user input: undotted or dotted, ``"0"`` for national."""
    text = value.strip()
    try:
        code = undot(text) if "." in text else text
        level = level_of_code(code)
    except ValueError:
        raise InputError(field, value, "kode wilayah tidak sah",
                         "not a valid region code") from None
    if level is Level.TPS:
        raise InputError(field, value, "ini kode TPS, bukan kode wilayah",
                         "this is a TPS code, not a region code")
    return code


def parse_tps_code(value: str, field: str = "tps") -> str:
    """A 13-digit TPS code from user input."""
    code = value.strip()
    if not is_code(code, Level.TPS):
        raise InputError(field, value, "kode TPS harus 13 angka",
                         "a TPS code has 13 digits")
    return code


def tps_code(village: str, number: int) -> str:
    """The code of TPS ``number`` (1…999) in ``village``."""
    if not is_code(village, Level.DESA) or not 1 <= number <= 999:
        raise ValueError(f"no TPS {number} in {village!r}")
    return f"{village}{number:03d}"


def ancestors(code: str) -> tuple[str, ...]:
    """The codes of ``code`` and every region above it, nearest first (no ``"0"``)."""
    level = level_of_code(code)
    if level is Level.NASIONAL:
        return ()
    lengths = [n for n in CODE_LENGTHS.values() if n <= len(code)]
    return tuple(code[:n] for n in reversed(lengths))


def contains(outer: str, inner: str) -> bool:
    """Whether region ``outer`` contains (or is) region/TPS ``inner``."""
    return outer == "0" or inner.startswith(outer)
