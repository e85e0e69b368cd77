"""FHIR API fixtures: simple permission rules (staff see all, a patient only self), real
bearer tokens of the accounts app, an API client that returns parsed JSON, and validation
with the fhir.resources R4B models."""

from __future__ import annotations

import json
import secrets

import pytest
from django.contrib.auth.models import Permission, User
from fhir.resources.R4B import get_fhir_model_class

from radbridge.core import permissions
from radbridge.core.audit import Actor, acting_as
from radbridge.hl7.ingest import Received, ingest_batch
from tests.personas import api_token_for

PATIENT_OF: dict[int, int] = {}  # user id -> the patient a patient account stands for


def patient_rule(rows, user, action):
    if user.is_staff:
        return rows
    if user.pk in PATIENT_OF:
        return rows.filter(pk=PATIENT_OF[user.pk])
    return rows.none()


def order_rule(rows, user, action):
    if user.is_staff:
        return rows
    if user.pk in PATIENT_OF:
        return rows.filter(patient_id=PATIENT_OF[user.pk])
    return rows.none()


@pytest.fixture(autouse=True)
def rules():
    """Rules as the accounts app will register them: staff see all, a patient only self."""
    saved = dict(permissions._rules)
    permissions.register_rule("clinical.patient", patient_rule)
    permissions.register_rule("clinical.order", order_rule)
    yield
    permissions._rules.clear()
    permissions._rules.update(saved)
    PATIENT_OF.clear()


def validate(resource: dict) -> dict:
    """Fail unless the resource (and every resource in a Bundle) is valid FHIR R4B."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []):
        validate(entry["resource"])
    return resource


class Api:
    def __init__(self, client, token: str | None = None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, params=None, **headers):
        response = self.client.get(f"/fhir/{path}", params or {}, **self.headers, **headers)
        return response.status_code, json.loads(response.content), response

    def post(self, path: str, body, content_type="application/fhir+json", **headers):
        data = json.dumps(body) if isinstance(body, dict) else body
        response = self.client.post(
            f"/fhir/{path}", data, content_type=content_type, **self.headers, **headers
        )
        return response.status_code, json.loads(response.content), response


def make_user(username: str, staff: bool = False, perms: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(username, password=secrets.token_urlsafe(12), is_staff=staff)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def token_for(user: User, *scopes: str) -> str:
    return api_token_for(user, *scopes)


@pytest.fixture
def staff_api(db, client):
    user = make_user("radiographer", staff=True)
    client.force_login(user)
    return Api(client)


def patient_token(client, patient_id: int, *scopes: str, perms: tuple[str, ...] = ()) -> Api:
    user = make_user(f"patient{patient_id}", perms=perms)
    PATIENT_OF[user.pk] = patient_id
    return Api(client, token_for(user, *(scopes or ("patient/*.read",))))


def ingest(*messages: str | bytes) -> None:
    """Through the real HL7 ingest, as the RIS would send them."""
    items = [
        Received(raw=m.encode() if isinstance(m, str) else m, channel="file", peer="test")
        for m in messages
    ]
    with acting_as(Actor(name="hl7:test", role="interface")):
        outcomes = ingest_batch(items)
    assert all(o.ack_code in ("AA", "CA") for o in outcomes), [o.ack for o in outcomes]
