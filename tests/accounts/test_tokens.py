"""API tokens: bearer authentication on API paths, scopes, expiry, revocation, patient
limits; created and revoked from the command line; stored hashed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from radbridge.accounts.models import ApiToken
from radbridge.accounts.services import tokens
from radbridge.accounts.services.errors import AccountsError
from radbridge.core.models import AuditEntry
from tests.personas import make_integration, make_order, make_patient_user, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.api_urls")]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_no_unknown_expired_or_revoked_token_gets_in(client):
    robot = make_integration()
    row, clear = tokens.create_token(robot, "ehr", "Patient.read")
    assert client.get("/fhir/whoami", headers=bearer("rbt_nonsense")).status_code == 401
    assert client.get("/fhir/whoami", headers={"Authorization": "Basic abc"}).status_code == 401
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get("/fhir/whoami", headers=bearer(clear))
    assert expired.status_code == 401 and expired["WWW-Authenticate"].startswith("Bearer")
    assert expired.json()["resourceType"] == "OperationOutcome"
    row2, clear2 = tokens.create_token(robot, "ehr2", "Patient.read")
    tokens.revoke_token(row2)
    assert client.get("/fhir/whoami", headers=bearer(clear2)).status_code == 401


def test_token_sets_the_user_and_scopes_on_api_paths_only(client):
    robot = make_integration()
    order = make_order()
    _, clear = tokens.create_token(robot, "ehr", "Patient.read, ServiceRequest.write")
    answer = client.get("/fhir/whoami", headers=bearer(clear)).json()
    assert answer["user"] == robot.username and answer["reads_patients"] is True
    assert answer["writes_orders"] is True and order.pk in answer["orders"]
    portal = client.get("/portal-whoami", headers=bearer(clear)).json()
    assert portal["user"] is None  # the portal ignores bearer tokens


def test_scopes_per_resource_type_and_access():
    scopes = tokens.Scopes(frozenset(tokens.parse_scopes("Patient.read *.read")))
    assert scopes.allows("Patient", "read") and scopes.allows("ImagingStudy", "read")
    assert not scopes.allows("Patient", "write")
    with pytest.raises(AccountsError, match="invalid scope patient/all"):
        tokens.parse_scopes("patient/all")


def test_patient_scoped_token_sees_only_that_patient(client):
    mine, theirs = make_order(), make_order()
    robot = make_integration()
    _, clear = tokens.create_token(robot, "phr", "*.read", patient=mine.patient)
    answer = client.get("/fhir/whoami", headers=bearer(clear)).json()
    assert answer["orders"] == [mine.pk] and theirs.pk not in answer["orders"]


def test_patient_token_is_limited_to_their_own_record():
    user = make_patient_user()
    with pytest.raises(AccountsError, match="own record"):
        tokens.create_token(user, "app", "*.read")
    tokens.create_token(user, "app", "*.read", patient=user.profile.patient)


def test_staff_accounts_get_no_tokens():
    with pytest.raises(AccountsError, match="not an integration account"):
        tokens.create_token(make_staff(), "x", "*.read")


def test_tokens_are_stored_hashed_and_audited():
    row, clear = tokens.create_token(make_integration(), "ehr", "*.read")
    assert clear not in row.token_hash and row.prefix == clear[:10]
    assert AuditEntry.objects.filter(action="api_token.created", object_id=str(row.pk)).exists()


def test_api_requests_with_a_token_need_no_csrf_token():
    from django.test import Client

    robot = make_integration()
    _, clear = tokens.create_token(robot, "ehr", "*.write")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/fhir/whoami", headers=bearer(clear)).status_code == 200


def test_token_requests_are_audited_with_the_account_role_and_token(client):
    robot = make_integration()
    row, clear = tokens.create_token(robot, "ehr", "*.read")
    client.get("/fhir/whoami", headers=bearer(clear))
    entry = AuditEntry.objects.get(action="read.whoami")
    assert entry.actor == f"user:{robot.username} token:{row.prefix}"
    assert entry.actor_role == "integration"


def test_cli_creates_lists_and_revokes_tokens(client):
    robot = make_integration()
    out = StringIO()
    call_command("accounts", "token-create", robot.username, "--name", "ehr",
                 "--scopes", "Patient.read", "--days", "30", stdout=out)
    clear = out.getvalue().strip().splitlines()[-1]
    assert client.get("/fhir/whoami", headers=bearer(clear)).status_code == 200
    listing = StringIO()
    call_command("accounts", "token-list", stdout=listing)
    assert "ehr" in listing.getvalue() and clear not in listing.getvalue()
    call_command("accounts", "token-revoke", clear[:10], stdout=StringIO())
    assert client.get("/fhir/whoami", headers=bearer(clear)).status_code == 401
    with pytest.raises(CommandError, match="invalid scope"):
        call_command("accounts", "token-create", robot.username, "--name", "x",
                     "--scopes", "everything")
