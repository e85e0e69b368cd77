"""A patient's notification preferences: validated, saved through notify, audited, and
obeyed by the planner for the next message."""

from datetime import UTC, datetime, timedelta

import pytest

from radbridge.core import outbox
from radbridge.core.models import AuditEntry
from radbridge.notify.choices import DeliveryStatus
from radbridge.notify.models import ContactPreference, Delivery
from tests.notify.conftest import (  # noqa: F401 - autouse: quiet hours off, log SMS
    make_order,
    make_patient,
    notify_settings,
    report_event,
)
from tests.personas import make_patient_user, sign_in

pytestmark = pytest.mark.django_db
URL = "/my/notifications/"
CHOICES = {"channels": "both", "language": "", "sms_number": "", "email": "",
           "quiet_hours_start": "", "quiet_hours_end": "", "time_zone": ""}


@pytest.fixture
def jane(client):
    patient = make_patient()
    sign_in(client, make_patient_user(patient))
    return patient


def save(client, **changes):
    return client.post(URL, {**CHOICES, **changes})


def planned(order):
    report_event(order)
    outbox.relay_once()
    return list(Delivery.objects.filter(patient=order.patient).order_by("channel"))


def test_page_shows_the_defaults_and_what_is_on_file(client, jane):
    response = client.get(URL)
    html = response.content.decode()
    assert "+12175550142" in html and "jane@example.org" in html
    assert response.context["form"].initial["channels"] == "both"


def test_email_only_in_french_is_what_the_planner_sends(client, jane):
    response = save(client, channels="email", language="fr")
    assert response.status_code == 302
    deliveries = planned(make_order(jane))
    assert [(d.channel, d.language) for d in deliveries] == [("email", "fr")]


def test_opting_out_suppresses_the_next_messages(client, jane):
    save(client, opted_out="on")
    deliveries = planned(make_order(jane))
    assert deliveries and all(d.status == DeliveryStatus.SUPPRESSED for d in deliveries)
    assert all(d.reason == "the recipient opted out" for d in deliveries)


def test_quiet_hours_hold_the_message_until_they_end(client, jane):
    now = datetime.now(UTC)
    save(client, quiet_hours_start=f"{(now - timedelta(hours=1)):%H:%M}",
         quiet_hours_end=f"{(now + timedelta(hours=1)):%H:%M}", time_zone="UTC")
    deliveries = planned(make_order(jane))
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert delivery.reason == "waiting for the end of the recipient's quiet hours"
        assert delivery.next_attempt_at > now + timedelta(minutes=30)


def test_a_new_mobile_number_receives_the_sms(client, jane):
    save(client, channels="sms", sms_number="+1 217 555 0177")
    (sms,) = planned(make_order(jane))
    assert sms.to_address == "+12175550177"


@pytest.mark.parametrize(("changes", "error"), [
    ({"sms_number": "not a number"}, "is not readable"),
    ({"sms_number": "+1 999 555 0100"}, "not a valid number"),
    ({"email": "jane@"}, "valid email"),
    ({"quiet_hours_start": "22:00"}, "both ends of your quiet hours"),
    ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "another time"),
    ({"time_zone": "Mars/Olympus"}, "not a time zone"),
    ({"channels": "pigeon"}, "Select a valid choice"),
    ({"language": "xx"}, "Select a valid choice"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(client, jane, changes,
                                                                      error):
    response = save(client, **changes)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ContactPreference.objects.filter(patient=jane).exists()


def test_sms_without_any_mobile_number_is_refused(client):
    patient = make_patient(phones=())
    sign_in(client, make_patient_user(patient))
    response = save(client, channels="sms")
    assert "We have no mobile number for you" in response.content.decode()


def test_saving_is_audited_with_the_fields_changed(client, jane):
    save(client, channels="email", language="fr")
    entry = AuditEntry.objects.get(action="notify.preference.update")
    assert entry.patient_id == jane.pk and entry.detail["changed"] == ["channels", "language"]


def test_other_roles_do_not_get_the_page(client):
    from radbridge.accounts.choices import Role
    from tests.personas import make_staff

    sign_in(client, make_staff(Role.RADIOLOGIST, all_sites=True))
    assert client.get(URL).status_code == 404
