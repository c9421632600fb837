"""Limits on ``POST /api/v1/sheets``: who a client is, and how much it may send.

Two token-bucket limits, each kept by every worker process on its own (so a
client may get up to ``workers × rate`` through; that bounds a flood without
shared state). Buckets idle for long are forgotten so the tables stay small.

- **Per client address** — the flood guard, checked before the body is read.
  Behind carrier-grade NAT thousands of TPS phones share one public address,
  so this limit is generous and only stops a flood (docs/api.md, "Limits").
- **Per signing key** — the fair share, checked after the pre-check: a
  document whose signatures all verified is charged to its submitter (the
  first signature). Only a key's holder can spend its budget: a document
  that merely names a key id and fails verification is never charged, so
  nobody can lock a TPS out by sending junk under its key id.

The client address is the TCP peer, unless the peer is a trusted proxy
(``--trusted-proxy``): then ``X-Forwarded-For`` is read from the right, and
the client is the first address that is not itself a trusted proxy.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import msgspec

from saksi.ingest.outcome import Item, Problem

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

# A PPK (kecamatan authority) signs corrections for a whole kecamatan — about
# 110 TPS on average, over 1,000 in the largest — and sends them in bursts at
# recapitulation, so an authority key gets the budget of this many devices.
# Still bounded: one stolen authority key cannot take the sequencer alone.
AUTHORITY_SCALE = 20.0

# The submitter's key id in a canonical envelope (docs/envelope-format.md §2):
# base64 and the payload types never hold a quote, so this occurs exactly once.
_FIRST_KEYID = b'"signatures":[{"keyid":"'
_KEYID_LEN = 64


class TokenBuckets:
    def __init__(self, rate: float, burst: float, max_clients: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self._max = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, at)

    def take(self, client: str, now: float | None = None) -> float:
        """0 if the request may pass, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        t = time.monotonic() if now is None else now
        tokens = self._tokens(client, t)
        if tokens >= 1.0:
            self._store(client, tokens - 1.0, t)
            return 0.0
        self._store(client, tokens, t)
        return (1.0 - tokens) / self.rate

    def refund(self, client: str, tokens: float, now: float | None = None) -> None:
        """Give back what ``take`` took for work that was never done."""
        if self.rate <= 0 or client not in self._buckets:
            return
        t = time.monotonic() if now is None else now
        self._store(client, min(self.burst, self._tokens(client, t) + tokens), t)

    def _tokens(self, client: str, t: float) -> float:
        tokens, at = self._buckets.get(client, (self.burst, t))
        return min(self.burst, tokens + max(0.0, t - at) * self.rate)

    def _store(self, client: str, tokens: float, at: float) -> None:
        if len(self._buckets) >= self._max and client not in self._buckets:
            cutoff = at - self.burst / self.rate
            self._buckets = {c: v for c, v in self._buckets.items() if v[1] > cutoff}
            if len(self._buckets) >= self._max:
                self._buckets.clear()
        self._buckets[client] = (tokens, at)


def retry_after(seconds: float) -> str:
    return str(retry_seconds(seconds))


def retry_seconds(seconds: float) -> int:
    """Whole seconds for ``Retry-After``: rounded up, at least 1."""
    return max(1, math.ceil(seconds))


# ------------------------------------------------------------------ addresses
def parse_networks(specs: Iterable[str]) -> tuple[Network, ...]:
    """``--trusted-proxy`` values (``10.0.0.0/8``, ``2001:db8::/32``, or one
    address); ValueError naming the first that is not one."""
    nets: list[Network] = []
    for spec in specs:
        try:
            # Host bits set (10.1.2.3/8) are an easy slip: take the network.
            nets.append(ipaddress.ip_network(spec.strip(), strict=False))
        except ValueError:
            raise ValueError(spec) from None
    return tuple(nets)


def parse_address(text: str) -> Address | None:
    """One address as proxies write it (``1.2.3.4``, ``1.2.3.4:5678``,
    ``2001:db8::1``, ``[2001:db8::1]:443``); None if it is not one."""
    s = text.strip()
    port: str | None = None
    if s.startswith("["):
        s, bracket, rest = s[1:].partition("]")
        if not bracket:
            return None
        if rest:
            if not rest.startswith(":"):
                return None
            port = rest[1:]
    elif s.count(":") == 1:  # an IPv6 address has at least two
        s, _, port = s.partition(":")
    if port is not None and not (port.isascii() and port.isdigit()):
        return None
    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        return None
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return ip


# Peers and buckets repeat (a CGNAT address, a proxy): parsing with ipaddress
# costs microseconds, a cache hit a tenth of one. Keys are short strings.
_parse_peer = functools.lru_cache(maxsize=8192)(parse_address)
_CACHED_LEN = 64  # longer than any address a proxy writes ([IPv6]:port is ≤ 47)


def _trusted(ip: Address, trusted: Sequence[Network]) -> bool:
    return any(ip in net for net in trusted)


def client_address(peer: str | None, forwarded: Sequence[str],
                   trusted: Sequence[Network]) -> str:
    """The client's address: the TCP ``peer``, or — only when the peer is a
    trusted proxy — the right-most ``X-Forwarded-For`` address (``forwarded``:
    every header line) that is not itself a trusted proxy.

    Each proxy appends the address it saw, so everything left of the last
    trusted hop may be forged; a malformed entry ends the walk at the nearest
    trusted hop for the same reason (what lies beyond it cannot be told from
    forgery). When every listed hop is trusted the left-most one is taken."""
    if peer is None:
        return "-"
    hop = _parse_peer(peer)
    if hop is None:
        return peer  # not an IP peer (a Unix socket): nothing to look behind
    if not trusted or not _trusted(hop, trusted):
        return str(hop)
    for entry in reversed(",".join(forwarded).split(",")):
        ip = _parse_peer(entry) if len(entry) <= _CACHED_LEN else parse_address(entry)
        if ip is None:
            break
        hop = ip
        if not _trusted(ip, trusted):
            break
    return str(hop)


@functools.lru_cache(maxsize=8192)
def bucket_key(address: str) -> str:
    """The address's bucket: an IPv6 client by its /64, which carriers give
    each subscriber whole (one phone could otherwise rotate through 2^64
    addresses, each with a fresh bucket)."""
    ip = parse_address(address)
    if not isinstance(ip, IPv6Address):
        return address
    return str(IPv6Network((int(ip) >> 64 << 64, 64)))


# ------------------------------------------------------------------ signers
def submitter(raw: bytes) -> str | None:
    """The first signature's key id in a canonical envelope (None if absent)."""
    at = raw.rfind(_FIRST_KEYID)
    if at < 0:
        return None
    start = at + len(_FIRST_KEYID)
    keyid = raw[start:start + _KEYID_LEN]
    return keyid.decode("ascii") if len(keyid) == _KEYID_LEN else None


class RateLimited(msgspec.Struct, frozen=True, tag="rate-limited", tag_field="status"):
    """A document not sent on: its signer is over its limit. Unlike a
    refusal this is not final — resend the same bytes after ``retry_after``."""

    reasons: tuple[Problem, ...]
    leaf_hash: str
    retry_after: int  # seconds


def rate_limited(item: Item, wait: float) -> RateLimited:
    keyid = submitter(item.raw) or ""
    seconds = retry_seconds(wait)
    return RateLimited((Problem(
        "RATE-LIMITED",
        f"kunci {keyid} mengirim terlalu banyak dokumen; dokumen ini tidak dicatat — "
        f"kirim ulang setelah {seconds} detik",
        f"key {keyid} sent too many documents; this one was not logged — resend it after "
        f"{seconds} s", ("signatures",), {"signatures": keyid}),), item.leaf_hash, seconds)


@dataclass
class Admission:
    """What ``SignerLimits.admit`` decided for one request's documents."""

    waits: list[float]  # per document: 0 to send it on, else seconds to wait
    charged: dict[str, int] = field(default_factory=dict)  # key id → tokens taken

    @property
    def limited(self) -> list[int]:
        return [i for i, w in enumerate(self.waits) if w > 0]


class SignerLimits:
    """A token bucket per signing key: device keys at ``rate``/``burst``,
    authority keys (``is_authority``) at ``AUTHORITY_SCALE`` times both."""

    def __init__(self, rate: float, burst: float, is_authority: Callable[[str], bool],
                 max_keys: int = 100_000) -> None:
        self.devices = TokenBuckets(rate, burst, max_keys)
        self.authorities = TokenBuckets(rate * AUTHORITY_SCALE, burst * AUTHORITY_SCALE,
                                        max_keys)
        self._is_authority = is_authority

    def _buckets(self, keyid: str) -> TokenBuckets:
        return self.authorities if self._is_authority(keyid) else self.devices

    def admit(self, items: Sequence[Item], now: float | None = None) -> Admission:
        """Charge each verified document to its submitter, in order.

        A refused or unverified document costs nothing here (the sequencer
        refuses what it cannot verify). The same bytes twice in one request
        cost once and share one decision, as the sequencer logs them once.
        The n-th document of a key held back in this request is told to wait
        for n tokens, so resending all of them after the longest wait passes."""
        t = time.monotonic() if now is None else now
        admission = Admission([0.0] * len(items))
        decided: dict[str, float] = {}  # leaf hash → wait
        held: dict[str, int] = {}  # key id → documents held back so far
        for i, item in enumerate(items):
            if item.refusal is not None or not item.verified:
                continue
            if item.leaf_hash in decided:
                admission.waits[i] = decided[item.leaf_hash]
                continue
            keyid = submitter(item.raw)
            if keyid is None:
                continue
            buckets = self._buckets(keyid)
            wait = buckets.take(keyid, t)
            if wait > 0:
                wait += held.get(keyid, 0) / buckets.rate
                held[keyid] = held.get(keyid, 0) + 1
            elif buckets.rate > 0:
                admission.charged[keyid] = admission.charged.get(keyid, 0) + 1
            admission.waits[i] = decided[item.leaf_hash] = wait
        return admission

    def refund(self, admission: Admission, now: float | None = None) -> None:
        """Give back an admission's tokens: the documents never reached the
        sequencer (it was unavailable), and a device must not pay for that."""
        t = time.monotonic() if now is None else now
        for keyid, tokens in admission.charged.items():
            self._buckets(keyid).refund(keyid, tokens, t)
