"""The patient's notification preferences: channel, language, opt-out, quiet hours.

Saved through notify's own verb (`set_patient_preference`), so the planner applies them to
the next message. The page shows the phone and email on file, so it is an audited read.
"""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from radbridge.accounts.choices import Role
from radbridge.core import audit
from radbridge.notify.preferences import preference_choice, set_patient_preference
from radbridge.notify.recipients import first_sms_number, normalise_email

from .. import navigation
from ..patient_forms import NotificationPreferenceForm
from ..phi import reads_phi
from .util import roles_only

navigation.add("Notifications", "portal:notification_preferences", {Role.PATIENT}, order=45)


@reads_phi
@roles_only(Role.PATIENT)
def notification_preferences(request):
    patient = request.user.profile.patient
    if patient is None:
        raise Http404("this account is not linked to a patient record")
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST, patient=patient)
        if form.is_valid():
            set_patient_preference(patient, form.choice())
            messages.success(request, "Your notification preferences are saved.")
            return redirect("portal:notification_preferences")
    else:
        form = NotificationPreferenceForm(initial=asdict(preference_choice(patient)),
                                          patient=patient)
    audit.record_read("contact_preferences", "patient", patient.pk, patient_id=patient.pk)
    return render(request, "portal/patient/notifications.html", {
        "form": form,
        "phone_on_file": first_sms_number(patient.phones).value,
        "email_on_file": normalise_email(patient.email).value,
    })
