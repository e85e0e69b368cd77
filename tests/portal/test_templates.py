"""Message templates in the portal: administrators write wording with a live preview; broken
wording gets a clear answer and is not saved; saved wording is what the next message says."""

import pytest

from radbridge.accounts.choices import Role
from radbridge.core.models import AuditEntry
from radbridge.notify import templates
from radbridge.notify.models import MessageTemplate
from tests.personas import make_staff, sign_in

pytestmark = pytest.mark.django_db
WORDING = {"kind": "images_ready", "channel": "sms", "language": "nl", "site": "",
           "subject": "", "body": "Hallo {{ first_name }}, uw beelden zijn klaar. Één bericht.",
           "html_body": "", "active": "on"}


def test_new_template_starts_from_the_shipped_wording(centre_admin_client):
    page = centre_admin_client.get("/templates/new/", {"kind": "images_ready", "channel": "sms"})
    assert page.status_code == 200
    assert "first_name" in page.content.decode()


def test_preview_renders_sample_values_as_typed(centre_admin_client):
    response = centre_admin_client.post("/templates/new/preview/", WORDING,
                                 headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "Hallo Jane, uw beelden zijn klaar. Één bericht." in page and "<html" not in page


def test_preview_names_a_syntax_error(centre_admin_client):
    response = centre_admin_client.post("/templates/new/preview/",
                                 {**WORDING, "body": "Hello {% if %}"})
    assert "body: template syntax error" in response.content.decode()


def test_saved_template_is_the_wording_used(centre_admin_client):
    response = centre_admin_client.post("/templates/new/", WORDING)
    template = MessageTemplate.objects.get(language="nl")
    assert response.status_code == 302
    wording = templates.find_wording("images_ready", "sms", "nl", None)
    assert wording.template_id == template.pk
    assert AuditEntry.objects.filter(action="notify.template.saved").exists()
    centre_admin_client.post(f"/templates/{template.pk}/",
                             {**WORDING, "body": "Dag {{ first_name }}"})
    template.refresh_from_db()
    assert template.body == "Dag {{ first_name }}"


def test_broken_wording_is_not_saved(centre_admin_client):
    response = centre_admin_client.post("/templates/new/", {**WORDING, "body": "{% load i18n %}"})
    assert response.status_code == 400
    assert "template syntax error" in response.content.decode()
    assert not MessageTemplate.objects.filter(language="nl").exists()


def test_a_second_template_for_the_same_message_is_refused_in_words(centre_admin_client):
    centre_admin_client.post("/templates/new/", WORDING)
    response = centre_admin_client.post("/templates/new/", WORDING)
    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert MessageTemplate.objects.filter(language="nl").count() == 1


def test_staff_cannot_edit_templates(client):
    sign_in(client, make_staff(Role.FRONT_DESK, all_sites=True))
    assert client.get("/templates/").status_code == 404
    assert client.post("/templates/new/", WORDING).status_code == 404
    assert not MessageTemplate.objects.filter(language="nl").exists()
