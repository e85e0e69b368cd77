"""The portal's navigation, per role: one registry that every page set adds to.

The portal issue's worklists, viewers and dashboards call `add(...)` from their own module
(imported by `portal.urls`), so the menu grows without editing the base layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from radbridge.accounts.choices import STAFF_ROLES, Role

EVERYONE = frozenset(Role.values) - {Role.INTEGRATION}
STAFF_AND_ADMIN = frozenset({*STAFF_ROLES, Role.CENTRE_ADMIN})


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int = 100


_items: list[NavItem] = []


def add(label: str, url_name: str, roles, order: int = 100) -> None:
    if any(item.url_name == url_name for item in _items):
        return
    _items.append(NavItem(label, url_name, frozenset(roles), order))
    _items.sort(key=lambda item: item.order)


def items_for(role: str | None) -> list[NavItem]:
    return [item for item in _items if role in item.roles]


add("My studies", "portal:my_studies", {Role.PATIENT}, order=10)
add("Sharing", "portal:shares", {Role.PATIENT}, order=20)
add("Consent", "portal:consents", {Role.PATIENT}, order=30)
add("Family access", "portal:proxies", {Role.PATIENT}, order=40)
add("Who viewed my records", "portal:my_access_log", {Role.PATIENT}, order=50)
add("Studies", "portal:studies", {Role.PHYSICIAN, *STAFF_AND_ADMIN}, order=10)
add("Patients", "portal:patients", STAFF_AND_ADMIN, order=20)
add("Users", "portal:users", {Role.CENTRE_ADMIN, Role.CLINIC_ADMIN}, order=80)
add("Audit log", "portal:audit", {Role.CENTRE_ADMIN}, order=90)
add("Account", "portal:account", EVERYONE, order=200)
