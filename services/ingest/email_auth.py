"""Whether an inbound e-mail's From address is vouched for: a valid DKIM signature (dkimpy)
by the address's own domain or a parent of it (DMARC's relaxed alignment). Anyone can
write any From; only the domain's owner can sign for it.

DNS lookups go through `TxtLookup`, so tests (and air-gapped deployments) answer from a
local table instead of the internet; the default is dkimpy's own resolver (dnspython).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import dkim

from schemas.verification import DKIM, UNVERIFIED

log = logging.getLogger(__name__)

# dkimpy's `dnsfunc`: the TXT record of a name ("sel._domainkey.example.com.") or None.
TxtLookup = Callable[..., bytes | None]
MAX_SIGNATURES = 5  # each costs a DNS lookup: a message with hundreds must not stall us


def txt_table(records: Mapping[str, str]) -> TxtLookup:
    """A resolver answering from `records` (name without the trailing dot -> TXT)."""

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        key = (name.decode() if isinstance(name, bytes) else name).rstrip(".").lower()
        found = records.get(key)
        return found.encode() if found is not None else None

    return lookup


def aligned(signing_domain: str, address: str) -> bool:
    """DMARC relaxed alignment, conservatively: the signer is the From domain or a parent."""
    domain = address.rpartition("@")[2].lower().rstrip(".")
    signer = signing_domain.lower().rstrip(".")
    return bool(signer) and (domain == signer or domain.endswith("." + signer))


def dkim_verification(raw: bytes, address: str | None, lookup: TxtLookup | None = None) -> str:
    """DKIM when one of the message's first signatures is valid, covers From and is aligned
    with `address`; else unverified. Never raises: a malformed signature vouches for nobody."""
    if not address:
        return UNVERIFIED
    kwargs = {"dnsfunc": lookup} if lookup is not None else {}
    try:
        checker = dkim.DKIM(raw, logger=log)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
        for idx in range(min(count, MAX_SIGNATURES)):
            if not checker.verify(idx=idx, **kwargs):
                continue
            signer = (checker.domain or b"").decode("ascii", "replace")
            if b"from" in checker.include_headers and aligned(signer, address):
                return DKIM
    except Exception as exc:
        log.info("DKIM signature not checked: %s", type(exc).__name__)
    return UNVERIFIED
