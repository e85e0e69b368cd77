"""Making and hashing the secrets accounts hands out: tokens, share codes, one-time codes.

Long random secrets (API tokens, invitation links, share and backup codes) are stored as
their SHA-256; short numeric codes sent by SMS are keyed with the site secret (HMAC), since
a million possibilities is no protection on its own. Both are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def same(left: str, right: str) -> bool:
    return hmac.compare_digest(left, right)


def new_token(prefix: str = "rbt") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def new_code(groups: int = 3, size: int = 4) -> str:
    """A human-typable code such as 7KQ4-MZ2P-R9TX (about 15 bits per group)."""
    return "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(size)) for _ in range(groups)
    )


def normalize_code(code: str) -> str:
    """What people type: any case, with or without spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_numeric_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"
