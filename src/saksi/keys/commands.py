"""CLI: ``saksi keys init|revoke|show`` and ``saksi sheet sign``.

Handlers import their modules lazily so ``saksi --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser(
        "keys", help="kunci dan otoritas / keys and authorities",
        description="Kunci KPU, otoritas, perangkat TPS dan saksi / "
        "KPU, authority, TPS device and witness keys",
    )
    ksub = group.add_subparsers(dest="keys_command", metavar="COMMAND", required=True)

    p = ksub.add_parser(
        "init", help="buat hierarki kunci dan daftarkan perangkat / "
        "create the key hierarchy and enrol the devices",
        description="Buat kunci akar, otoritas kab/kota dan kecamatan, saksi, dan benih "
        "simulasi di DIR/keys, lalu tulis manifes, sertifikat dan pendaftaran ke log / "
        "create the root, kab/kota and kecamatan authority, witness keys and the simulation "
        "seed under DIR/keys, then append manifest, certificates and enrolments to the log",
    )
    p.add_argument("dir", metavar="DIR", type=Path, help="direktori pemilu / election directory")
    _passphrase_arg(p, "segel semua kunci privat / seal every private key")
    p.add_argument("--json", action="store_true", help="keluaran JSON / JSON output")
    p.set_defaults(handler=_init)

    p = ksub.add_parser(
        "revoke", help="cabut kunci / revoke a key",
        description="Cabut kunci mulai posisi log berikutnya (ditandatangani penerbitnya) / "
        "revoke a key from the next log position on (signed by its issuer)",
    )
    p.add_argument("dir", metavar="DIR", type=Path, help="direktori pemilu / election directory")
    p.add_argument("--key", required=True, metavar="KEYID|TPS",
                   help="id kunci, atau kode TPS untuk perangkat simulasinya / key id, or a TPS "
                   "code for its simulated device")
    p.add_argument("--reason", required=True, help="alasan / reason")
    p.add_argument("--by", choices=["issuer", "root"], default="issuer",
                   help="penanda tangan pencabutan (bawaan: penerbit kunci) / who signs "
                   "(default: the key's issuer)")
    _passphrase_arg(p, "frasa sandi kunci tersegel / passphrase of sealed keys")
    p.set_defaults(handler=_revoke)

    p = ksub.add_parser("show", help="tampilkan kunci publik / show public keys")
    p.add_argument("dir", metavar="DIR", type=Path, help="direktori pemilu / election directory")
    p.add_argument("--json", action="store_true", help="keluaran JSON / JSON output")
    p.set_defaults(handler=_show)


def add_sheet_sign(sheet_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sign`` to the ``sheet`` group (owned by saksi.sheets)."""
    p = sheet_sub.add_parser(
        "sign", help="tandatangani lembar / sign a sheet",
        description="Tandatangani lembar C.Hasil dengan kunci perangkat TPS (simulasi) atau PPK; "
        "amplop kanonik ke stdout / sign a C.Hasil sheet with the (simulated) TPS device key or "
        "the PPK key; canonical envelope on stdout",
    )
    p.add_argument("dir", metavar="DIR", type=Path, help="direktori pemilu / election directory")
    p.add_argument("file", metavar="FILE", help="berkas JSON, atau - untuk stdin / "
                   "JSON file, or - for stdin")
    p.add_argument("--tps", required=True, help="kode TPS 13 digit / 13-digit TPS code")
    p.add_argument("--as", dest="as_role", choices=["device", "ppk"], default="device",
                   help="penanda tangan: perangkat TPS atau PPK (koreksi) / signer: the TPS "
                   "device or the PPK (corrections)")
    p.add_argument("--witness", action="append", default=[], metavar="NAME",
                   help="saksi yang ikut menandatangani (boleh berulang) / cosigning witness "
                   "(repeatable)")
    _passphrase_arg(p, "frasa sandi kunci tersegel / passphrase of sealed keys")
    p.set_defaults(handler=_sign)


def _passphrase_arg(p: argparse.ArgumentParser, text: str) -> None:
    p.add_argument("--passphrase-file", metavar="FILE", default=None,
                   help=f"{text}; atau env SAKSI_PASSPHRASE / or env SAKSI_PASSPHRASE")


def _open_election(directory: Path) -> Any:
    """The election at ``directory`` (a seam tests replace)."""
    from saksi.election import Election  # type: ignore[attr-defined,unused-ignore]

    return Election.open(directory)


def _region_namer(election: Any) -> Any:
    def name(code: str) -> str:
        try:
            return str(election.region(code).name) or code
        except Exception:  # a name is cosmetic; never fail init over it
            return code

    return name


def _init(args: argparse.Namespace) -> int:
    from saksi.errors import StateError
    from saksi.keys.hierarchy import ElectionKeysInput, init_keys, keys_dir, log_origin
    from saksi.keys.keyfile import Sealer, passphrase_from
    from saksi.ledger.log import Log

    directory: Path = args.dir
    if keys_dir(directory).exists():
        raise StateError(
            f"kunci sudah ada di {keys_dir(directory)}; init tidak diulang",
            f"keys already exist in {keys_dir(directory)}; refusing to initialise twice",
        )
    election = _open_election(directory)
    manifest = election.manifest
    passphrase = passphrase_from(args.passphrase_file)
    sealer = Sealer(passphrase) if passphrase is not None else None
    tps_codes = [t.code for t in election.iter_tps()]
    index_sha256 = str(manifest.index_sha256)
    try:
        log = Log.open(directory)
    except StateError:
        log = Log.create(directory, origin=log_origin(index_sha256))
    with log:
        if log.size != 0:
            raise StateError(
                f"log di {directory} sudah berisi {log.size} entri; init butuh log kosong",
                f"the log in {directory} already holds {log.size} entries; init needs an "
                "empty log",
            )
        report = init_keys(
            directory,
            ElectionKeysInput(
                scope=str(manifest.region),
                index_sha256=index_sha256,
                tps_codes=tps_codes,
                region_name=_region_namer(election),
                origin=log.origin,
            ),
            log.append_many,
            sealer=sealer,
            # Processes pay off only for large elections (national: ≈ 820k TPS).
            workers=(os.cpu_count() or 1) if len(tps_codes) > 50_000 else 1,
        )
        size = log.size
    summary = {
        "keys": str(report.keys_dir),
        "root_keyid": report.root_keyid,
        "authorities": report.authorities,
        "witnesses": report.witnesses,
        "devices": report.devices,
        "log_entries": report.entries,
        "log_size": size,
        "sealed": sealer is not None,
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            f"kunci dibuat di {report.keys_dir} / keys created in {report.keys_dir}\n"
            f"  akar / root: {report.root_keyid}\n"
            f"  otoritas / authorities: {report.authorities}, saksi / witnesses: "
            f"{report.witnesses}, perangkat / devices: {report.devices}\n"
            f"  entri log / log entries: {report.entries} (ukuran / size {size})"
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from saksi.election.model import is_well_formed
    from saksi.errors import InputError, NotFoundError
    from saksi.keys import envelope as env
    from saksi.keys.envelope import TYPE_REVOCATION
    from saksi.keys.hierarchy import load_authority, load_master, load_root, read_index
    from saksi.keys.ids import Role, key_id
    from saksi.keys.keyfile import passphrase_from
    from saksi.keys.payloads import Revocation, encode_payload
    from saksi.keys.replay import log_entries, replay
    from saksi.keys.simulation import device_key
    from saksi.ledger.log import Log

    directory: Path = args.dir
    read_index(directory)  # a clear error if there are no keys
    passphrase = passphrase_from(args.passphrase_file)
    target: str = args.key
    if len(target) == 13 and is_well_formed(target):
        master = load_master(directory, passphrase)
        target = key_id(bytes(device_key(master, target).verify_key))
    elif len(target) != 64 or not all(c in "0123456789abcdef" for c in target):
        raise InputError("--key", target, "bukan id kunci atau kode TPS",
                         "neither a key id nor a TPS code")
    try:
        reason = Revocation(keyid=target, reason=args.reason)
        payload = encode_payload(reason)
    except Exception:
        raise InputError("--reason", args.reason, "alasan tidak sah (1–256 karakter)",
                         "invalid reason (1–256 characters, no control characters)") from None

    with Log.open(directory) as log:
        registry, _ = replay(log_entries(log), verify=False)
        record = registry.key(target)
        if record is None:
            raise NotFoundError("--key", target, "kunci tidak ada di log", "key not in the log")
        if args.by == "root" or record.role is not Role.DEVICE:
            signer = load_root(directory, passphrase)
        else:
            signer = load_authority(directory, Role.KABKOTA, record.scope[:4], passphrase)
        raw = env.encode(env.sign(TYPE_REVOCATION, payload, [signer]))
        verdict = registry.check_control(raw, log.size)
        if not verdict.ok:
            raise InputError("--key", target, verdict.message_id, verdict.message_en)
        [index] = log.append_many([raw])
    print(
        f"kunci {target} ({record.role.value} {record.scope}) dicabut pada indeks log {index} / "
        f"key {target} ({record.role.value} {record.scope}) revoked at log index {index}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    import msgspec

    from saksi.keys.hierarchy import iter_public, read_index

    index = read_index(args.dir)
    if args.json:
        sys.stdout.write(msgspec.json.encode(index).decode() + "\n")
        return 0
    print(f"pemilu / election: {index.scope}  indeks / index sha256: {index.election_sha256}")
    print(f"log origin: {index.log_origin}")
    for info in iter_public(index):
        print(f"  {info.role.value:<9} {info.scope:<6} {info.keyid[:16]}…  [{info.index}] "
              f"{info.name}")
    first, last = index.enrolments
    print(f"  perangkat / devices: {index.devices} (entri log / log entries {first}–{last})")
    return 0


def _read_input(file: str) -> bytes:
    from saksi.errors import InputError

    if file == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        raise InputError("FILE", file, "berkas tidak terbaca", f"cannot read file: "
                         f"{exc.strerror}") from None


def _sign(args: argparse.Namespace) -> int:
    from saksi.election.model import is_well_formed
    from saksi.errors import InputError
    from saksi.keys import envelope as env
    from saksi.keys.envelope import TYPE_SHEET
    from saksi.keys.hierarchy import load_authority, load_master, load_witness
    from saksi.keys.ids import Role
    from saksi.keys.keyfile import passphrase_from
    from saksi.keys.simulation import device_key
    from saksi.sheets.canonical import decode, encode

    directory: Path = args.dir
    tps: str = args.tps
    if len(tps) != 13 or not is_well_formed(tps):
        raise InputError("--tps", tps, "kode TPS harus 13 digit", "a TPS code has 13 digits")
    sheet = decode(_read_input(args.file))
    if sheet.tps != tps:
        raise InputError("--tps", tps, f"lembar ini untuk TPS {sheet.tps}",
                         f"this sheet is for TPS {sheet.tps}")
    _open_election(directory).tps(tps)  # NotFoundError for a TPS not in this election
    passphrase = passphrase_from(args.passphrase_file)
    if args.as_role == "ppk":
        signer = load_authority(directory, Role.KECAMATAN, tps[:6], passphrase)
    else:
        signer = device_key(load_master(directory, passphrase), tps)
    witnesses = [load_witness(directory, name, passphrase) for name in args.witness]
    if len(set(args.witness)) != len(args.witness):
        raise InputError("--witness", args.witness, "saksi disebut dua kali",
                         "a witness is named twice")
    envelope = env.sign(TYPE_SHEET, encode(sheet), [signer, *witnesses])
    out = env.encode(envelope)
    sys.stdout.buffer.write(out)
    if sys.stdout.isatty():
        sys.stdout.buffer.write(b"\n")  # the canonical bytes have none
    sys.stdout.flush()
    return 0
