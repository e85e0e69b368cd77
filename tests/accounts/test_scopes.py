"""API token scopes: the short form and SMART on FHIR's v1 and v2 forms."""

import pytest

from radbridge.accounts.services.errors import AccountsError
from radbridge.accounts.services.tokens import Scopes, parse_scopes, scope_allows


@pytest.mark.parametrize(
    ("scope", "resource_type", "action", "allowed"),
    [
        ("patient/*.read", "DiagnosticReport", "read", True),
        ("patient/*.read", "Patient", "write", False),
        ("user/Patient.*", "Patient", "write", True),
        ("user/Patient.*", "Appointment", "read", False),
        ("system/*.*", "ServiceRequest", "write", True),
        ("patient/Observation.rs", "Observation", "read", True),
        ("patient/Patient.cud", "Patient", "read", False),
        ("patient/Patient.cud", "Patient", "write", True),
        ("launch/patient", "Patient", "read", False),
        ("openid", "Patient", "read", False),
        ("admin/*.*", "Patient", "read", False),
    ],
)
def test_smart_scopes(scope, resource_type, action, allowed):
    assert scope_allows(scope, resource_type, action) is allowed


def test_write_does_not_imply_read():
    scopes = Scopes(frozenset(parse_scopes("Patient.write")))
    assert scopes.allows("Patient", "write") and not scopes.allows("Patient", "read")


def test_smart_scopes_are_accepted_when_a_token_is_made():
    assert parse_scopes("system/Patient.read patient/*.rs") == [
        "patient/*.rs", "system/Patient.read"]


@pytest.mark.parametrize("bad", ["launch/patient", "openid", "Patient", "admin/*.*"])
def test_scopes_that_name_no_resource_access_are_refused(bad):
    with pytest.raises(AccountsError, match="invalid scope"):
        parse_scopes(bad)
