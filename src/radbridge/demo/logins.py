"""Demo logins for every role, made after the demo centre has arrived over MLLP (the
physician and the patient are linked to records the RIS messages created).

Staff and physicians share one demo authenticator key, printed with the logins, so a
newcomer adds one entry to their authenticator app (or computes codes with pyotp); each
also gets printed backup codes. Passwords are random per run.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from radbridge.accounts.choices import TWO_FACTOR_ROLES, Role
from radbridge.accounts.models import Profile
from radbridge.accounts.services import twofactor
from radbridge.accounts.services.users import create_account
from radbridge.clinical.data import IdentifierData
from radbridge.clinical.models import Practitioner
from radbridge.clinical.services import find_patient

DEMO_PHYSICIAN_ID = "1234567"  # Dr Robert Smith in the demo centre's messages
DEMO_PATIENT_MRN = "MRN00004"  # a patient with a final STAT report


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    backup_codes: tuple[str, ...] = ()


def demo_accounts() -> list[tuple[str, str, dict]]:
    practitioner = Practitioner.objects.filter(identifier=DEMO_PHYSICIAN_ID).first()
    patient = find_patient([IdentifierData(DEMO_PATIENT_MRN, "DEMO")])
    accounts = [
        ("centre-admin", Role.CENTRE_ADMIN, {}),
        ("radiologist", Role.RADIOLOGIST, {"all_sites": True}),
        ("front-desk", Role.FRONT_DESK, {"all_sites": True}),
    ]
    if practitioner is not None:
        accounts.append(("dr-smith", Role.PHYSICIAN, {"practitioner": practitioner,
                                                      "first_name": "Robert",
                                                      "last_name": "Smith"}))
    if patient is not None:
        accounts.append(("patient", Role.PATIENT, {"patient": patient}))
    return accounts


@transaction.atomic
def create_demo_logins(totp_key_hex: str) -> list[DemoLogin]:
    """(Re)create the demo users with fresh passwords; returns what to print."""
    logins = []
    for username, role, links in demo_accounts():
        Profile.objects.filter(user__username=username).delete()
        User.objects.filter(username=username).delete()
        password = secrets.token_urlsafe(9)
        user = create_account(username, role, password=password, **links)
        codes: tuple[str, ...] = ()
        if role in TWO_FACTOR_ROLES:
            TOTPDevice.objects.create(user=user, name="Demo authenticator", key=totp_key_hex,
                                      confirmed=True)
            codes = tuple(twofactor.new_backup_codes(user)[:3])
        logins.append(DemoLogin(role, username, password, codes))
    return logins


def give_demo_key(username: str, totp_key_hex: str) -> None:
    """The demo's superuser signs in with the same demo authenticator key."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="Demo authenticator", key=totp_key_hex,
                                  confirmed=True)


def new_totp_key() -> tuple[str, str]:
    """A random TOTP key: (hex for django-otp, base32 for authenticator apps)."""
    key = secrets.token_hex(20)
    return key, b32encode(unhexlify(key)).decode()


def describe(logins: list[DemoLogin], base32_key: str, url: str) -> str:
    lines = [f"  Portal: {url}", "  Demo logins (user / password):"]
    for login in logins:
        extra = f"  backup codes: {', '.join(login.backup_codes)}" if login.backup_codes else ""
        lines.append(f"    {Role(login.role).label:<22} {login.username} / {login.password}{extra}")
    lines.append(
        f"  Staff and physicians sign in with a second step: add the key {base32_key} to an "
        "authenticator app\n  (or: python -c \"import pyotp; print(pyotp.TOTP("
        f"'{base32_key}').now())\"), or use a backup code once."
    )
    return "\n".join(lines)
