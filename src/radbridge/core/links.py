"""Where a message should send a person: links written into SMS and email.

The notify app writes the links but may not know about accounts (they are siblings), and
only the accounts app knows whether a patient has an account yet. So accounts registers the
function that answers here: the study's page for a patient who has an account, a fresh
sign-up link tied to the study for one who has not. Without a registration (tests of notify
alone) links go to the portal's front page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

PatientLink = Callable[[int, "int | None"], str]
_patient_link: PatientLink | None = None


def register_patient_link(function: PatientLink) -> None:
    global _patient_link
    _patient_link = function


def portal_url(path: str = "/") -> str:
    return f"{settings.PUBLIC_URL}{path}"


def patient_link(patient_id: int, order_id: int | None) -> str:
    """The link for a message to this patient about this order (or about nothing in
    particular). May create an invitation: call it inside the transaction that plans the
    message, once per recipient."""
    if _patient_link is None:
        return portal_url("/")
    return _patient_link(patient_id, order_id)


def study_url(order_id: int) -> str:
    """A study's page, for people who sign in (physicians, staff, patients with accounts)."""
    return portal_url(f"/studies/{order_id}/")
