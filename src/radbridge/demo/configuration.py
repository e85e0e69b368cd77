"""The demo centre's configuration, as its administrator would enter it on the Sites page:
three sites and their rooms (the room codes the demo RIS sends in PV1-3)."""

from __future__ import annotations

from radbridge.clinical.models import Organization
from radbridge.clinical.services import place_location, save_site

from .centre import SITES, rooms


def configure_sites() -> None:
    """Create the sites and place their rooms; running it again changes nothing."""
    by_code = {}
    for code, name, _ in SITES:
        existing = Organization.objects.filter(identifier=code).first()
        by_code[code] = existing or save_site(name, code)
    for site_code, room_code, room_name in rooms():
        place_location(room_code, by_code[site_code], room_name)
