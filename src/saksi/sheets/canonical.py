"""Canonical bytes of a sheet, and strict parsing of sheet documents.

The canonical form is a subset of RFC 8785 (JCS): UTF-8, no whitespace,
object keys sorted, integers only, strings NFC, absent optional fields
omitted, lists in ballot order. ``decode`` accepts any well-formed JSON
spelling of a valid sheet; ``decode_canonical`` accepts only the canonical
bytes, which is what a signature must cover (``docs/sheet-format.md``).
"""

from __future__ import annotations

import hashlib
import re

import msgspec

from saksi.sheets.model import MAX_DOCUMENT_BYTES, Sheet, value_at
from saksi.sheets.shape import SheetShapeError, shape_problem

__all__ = [
    "SheetShapeError",
    "decode",
    "decode_canonical",
    "encode",
    "encode_pretty",
    "is_canonical",
    "sha256_hex",
]


# ------------------------------------------------------------------ encoding

# msgspec writes exactly the canonical form: struct fields sorted by their
# wire names, no whitespace, defaults omitted (``omit_defaults`` on the
# structs), ints in decimal, and strings escaped minimally — ``"``, ``\\``,
# \b \f \n \r \t as short escapes and other controls as lower-case ``\\u00xx``,
# everything else (DEL and non-ASCII included) as raw UTF-8. The tests check it
# byte for byte against a plain recursive writer of that rule.
_ENCODER = msgspec.json.Encoder(order="sorted")


def encode(sheet: Sheet) -> bytes:
    """The canonical bytes of ``sheet``: the same sheet always gives the same bytes."""
    return _ENCODER.encode(sheet)


def encode_pretty(sheet: Sheet) -> bytes:
    """A readable (indented, key-sorted) spelling; parses to the same sheet."""
    return msgspec.json.format(encode(sheet), indent=2) + b"\n"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ decoding

_DECODER = msgspec.json.Decoder(Sheet, strict=True)
_AT = re.compile(r"^(?P<what>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.DOTALL)
_FIELD = re.compile(r"field `([^`]*)`")


def _translate(what: str) -> tuple[str, str]:
    """(Indonesian, English) wording of a msgspec validation message."""
    en = what
    if what.startswith("Expected `int`, got"):
        return "harus bilangan bulat (bukan pecahan, teks atau boolean)", en
    if what.startswith("Expected `int` >="):
        return f"harus bilangan bulat {what.removeprefix('Expected `int` ')}", en
    if what.startswith("Expected `int` <="):
        return f"terlalu besar: harus {what.removeprefix('Expected `int` ')}", en
    if what.startswith("Expected `str` of length"):
        return "teks terlalu panjang", en
    if what.startswith("Expected `str` matching regex"):
        return "format teks tidak sesuai", en
    if what.startswith("Object contains unknown field"):
        return "kolom tidak dikenal", en
    if what.startswith("Object missing required field"):
        return "kolom wajib tidak ada", en
    if what.startswith("Invalid enum value"):
        return "jenis pemilihan tidak dikenal", en
    if what.startswith("Expected `array` of length"):
        return "daftar terlalu panjang", en
    if what.startswith("Expected"):
        return f"jenis nilai salah ({what})", en
    return f"tidak sesuai skema ({what})", en


def _shape_error(exc: msgspec.ValidationError, data: bytes) -> SheetShapeError:
    m = _AT.match(str(exc))
    assert m is not None  # the pattern matches every string
    what = m.group("what")
    raw_path = m.group("path") or "$"
    field_name = _FIELD.search(what)
    if field_name and ("unknown field" in what or "missing required" in what):
        raw_path = f"{raw_path}.{field_name.group(1)}"
    path = raw_path.removeprefix("$.") if raw_path != "$" else "$"
    if path == "$" and what.startswith("reason "):  # raised by Sheet.__post_init__
        path = "reason"
    value: object = None
    if "missing required" not in what and path != "$":
        try:
            value = value_at(msgspec.json.decode(data), path)
        except Exception:
            value = None
    message_id, message_en = _translate(what)
    value = _compact(value)
    shown = _show(value)
    return SheetShapeError(
        path, value,
        f"bentuk lembar salah di {path}{shown}: {message_id}",
        f"malformed sheet at {path}{shown}: {message_en}",
    )


def _compact(value: object) -> object:
    """Scalars as they are; a long string or a whole list/object as a short excerpt."""
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 100 else text[:100] + "…"


def _show(value: object) -> str:
    if value is None:
        return ""
    text = repr(value)
    return f" = {text[:60]}…" if len(text) > 60 else f" = {text}"


def decode(data: bytes) -> Sheet:
    """Parse any JSON spelling of a sheet; raises ``SheetShapeError`` (never anything else)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SheetShapeError("$", type(data).__name__, "dokumen harus berupa byte",
                              "the document must be bytes")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SheetShapeError(
            "$", len(data),
            f"dokumen terlalu besar ({len(data)} byte, batas {MAX_DOCUMENT_BYTES})",
            f"document too large ({len(data)} bytes, limit {MAX_DOCUMENT_BYTES})",
        )
    data = bytes(data)
    try:
        sheet = _DECODER.decode(data)
    except msgspec.ValidationError as exc:
        raise _shape_error(exc, data) from None
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        # ValueError covers UnicodeDecodeError from invalid UTF-8.
        raise SheetShapeError(
            "$", None, f"bukan JSON yang sah: {exc}", f"not well-formed JSON: {exc}"
        ) from None
    problem = shape_problem(sheet)
    if problem is not None:
        raise problem
    return sheet


def is_canonical(data: bytes) -> bool:
    """True iff ``data`` is a valid sheet spelled exactly in canonical form."""
    try:
        return encode(decode(data)) == bytes(data)
    except SheetShapeError:
        return False


def decode_canonical(data: bytes) -> Sheet:
    """Parse only canonical bytes: what a signature covers must be unambiguous."""
    sheet = decode(data)
    if encode(sheet) != bytes(data):
        raise SheetShapeError(
            "$", None,
            "dokumen bukan bentuk kanonik (urutan kunci, spasi, urutan nomor atau NFC)",
            "document is not in canonical form (key order, whitespace, ballot order or NFC)",
        )
    return sheet
