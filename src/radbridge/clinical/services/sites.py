"""The centre's sites (imaging sites, as Organizations) and which rooms (Locations) belong to
each: configuration an administrator keeps, which staff access by site relies on. Rooms
usually appear first in the RIS's messages (PV1-3); a person places them in a site here.
Every change is audited."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from radbridge.core import audit

from ..choices import OrganizationKind
from ..errors import ClinicalRuleError
from ..models import Location, Organization


@transaction.atomic
def save_site(name: str, identifier: str, site: Organization | None = None) -> Organization:
    """Create a site, or rename one; the identifier is the site's code (unique)."""
    name, identifier = name.strip(), identifier.strip()
    if not name or not identifier:
        raise ClinicalRuleError("a site needs a name and a code", field="site.name")
    if site is not None and site.kind != OrganizationKind.IMAGING_SITE:
        raise ClinicalRuleError(f"{site.name} is not an imaging site", field="site")
    try:
        with transaction.atomic():
            if site is None:
                site = Organization.objects.create(
                    name=name, identifier=identifier, kind=OrganizationKind.IMAGING_SITE)
                action = "clinical.site.created"
            else:
                site.name, site.identifier = name, identifier
                site.save(update_fields=["name", "identifier", "updated_at"])
                action = "clinical.site.changed"
    except IntegrityError:
        raise ClinicalRuleError(
            f"the code {identifier!r} is taken by another organization: choose another",
            field="site.identifier") from None
    audit.record(action, "organization", site.pk, name=name, identifier=identifier)
    return site


@transaction.atomic
def place_location(code: str, site: Organization | None, name: str = "") -> Location:
    """Put a room in a site (None: in no site), creating the room when new."""
    code = code.strip()
    if not code:
        raise ClinicalRuleError("a room needs a code (as the RIS sends it in PV1-3)",
                                field="location.code")
    if site is not None and site.kind != OrganizationKind.IMAGING_SITE:
        raise ClinicalRuleError(f"{site.name} is not an imaging site", field="site")
    location, _ = Location.objects.select_for_update().get_or_create(
        code=code, defaults={"name": name.strip()})
    previous = location.organization_id
    location.organization = site
    if name.strip():
        location.name = name.strip()
    location.save(update_fields=["organization", "name", "updated_at"])
    audit.record("clinical.location.placed", "location", location.pk, code=code,
                 site_id=site.pk if site else None, previous_site_id=previous)
    return location
