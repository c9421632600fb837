"""Signers of simulated documents: each TPS's device and each kecamatan's PPK.

A simulated device key is derived from the election's secret simulation
master seed (``saksi.keys.simulation``); a PPK signs with the kecamatan
authority key ``saksi keys init`` created. Both read ``DIR/keys``: only a
simulation running next to the election's secrets can sign.
"""

from __future__ import annotations

from pathlib import Path

from nacl.signing import SigningKey

from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.hierarchy import load_authority, load_master
from saksi.keys.ids import Role
from saksi.keys.simulation import device_key
from saksi.sheets.canonical import encode
from saksi.sheets.model import Sheet


class SimSigner:
    """Signs sheets as the simulated device of a TPS or as its kecamatan PPK."""

    def __init__(self, directory: Path, passphrase: bytes | None = None) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase
        self._master = load_master(self.directory, passphrase)
        self._ppk: dict[str, SigningKey] = {}

    def __repr__(self) -> str:  # never show the master seed
        return f"SimSigner({str(self.directory)!r})"

    def device(self, sheet: Sheet, *, as_tps: str | None = None) -> bytes:
        """The envelope of ``sheet`` signed by its TPS's device (or ``as_tps``'s: a forgery)."""
        key = device_key(self._master, as_tps or sheet.tps)
        return env.encode(env.sign(TYPE_SHEET, encode(sheet), [key]))

    def ppk(self, sheet: Sheet) -> bytes:
        """The envelope of ``sheet`` signed by the PPK of its kecamatan (a correction)."""
        kecamatan = sheet.tps[:6]
        key = self._ppk.get(kecamatan)
        if key is None:
            key = load_authority(self.directory, Role.KECAMATAN, kecamatan, self._passphrase)
            self._ppk[kecamatan] = key
        return env.encode(env.sign(TYPE_SHEET, encode(sheet), [key]))
