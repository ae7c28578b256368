"""Proof Key for Code Exchange (:rfc:`7636`), ``S256`` only."""

from __future__ import annotations

import hashlib
import hmac
import re

from .keys import b64url

#: The only supported ``code_challenge_method``; ``plain`` is refused.
METHOD = "S256"

# 43 to 128 characters of the unreserved set (RFC 7636 §4.1 and §4.2).
_VALUE_RE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def is_valid_challenge(challenge: str) -> bool:
    """Whether ``challenge`` is well-formed (an S256 challenge is 43 characters)."""
    return bool(_VALUE_RE.fullmatch(challenge))


def challenge_for(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))``."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def verify(verifier: str, challenge: str) -> bool:
    """Whether ``verifier`` is well-formed and matches ``challenge``."""
    if not _VALUE_RE.fullmatch(verifier):
        return False
    return hmac.compare_digest(challenge_for(verifier), challenge)
