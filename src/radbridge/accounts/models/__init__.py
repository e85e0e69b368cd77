"""Accounts' tables: who people are (profiles, roles, sites), what they were granted
(proxy access, consent, share codes), how they got in (invitations, one-time codes) and
how machines get in (API tokens, backup codes)."""

from .access import Consent, ProxyGrant, ShareCode
from .credentials import ApiToken, BackupCode, BackupCodeDevice
from .onboarding import Invitation, OneTimeCode
from .people import ClinicPolicy, Profile

__all__ = [
    "ApiToken",
    "BackupCode",
    "BackupCodeDevice",
    "ClinicPolicy",
    "Consent",
    "Invitation",
    "OneTimeCode",
    "Profile",
    "ProxyGrant",
    "ShareCode",
]
