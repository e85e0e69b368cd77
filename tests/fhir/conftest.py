"""FHIR API fixtures: the accounts app's real rules and personas (a technologist for the
whole centre, patient accounts with their own tokens, integration accounts), real bearer
tokens, an API client that returns parsed JSON, and validation with the fhir.resources R4B
models."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Patient
from radbridge.core.audit import Actor, acting_as
from radbridge.hl7.ingest import Received, ingest_batch
from tests.personas import api_token_for, make_patient_user, make_staff, sign_in


@pytest.fixture(autouse=True)
def _acting(actor):
    """Personas are made through the accounts services, which audit what they change."""
    return actor


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


def token_for(user, *scopes: str) -> str:
    return api_token_for(user, *scopes)


@pytest.fixture
def staff_api(db, client):
    """A technologist working at every site of the centre: sees every record, signed in."""
    user = make_staff(Role.TECHNOLOGIST, all_sites=True, username="radiographer")
    return Api(sign_in(client, user))


def patient_token(client, patient_id: int, *scopes: str) -> Api:
    """The patient's own account, calling with a token of its own (a patient app)."""
    patient = Patient.objects.get(pk=patient_id)
    user = make_patient_user(patient, username=f"patient{patient_id}")
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


# Studies of the permission tests are real files, in a folder of their own (as in tests/imaging).
from tests.imaging.conftest import dicom_storage_dir  # noqa: E402, F401
