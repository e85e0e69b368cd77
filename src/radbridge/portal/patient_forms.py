"""Forms of the patient's own pages: notification preferences."""

from __future__ import annotations

from dataclasses import fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms

from radbridge.clinical.models import Patient
from radbridge.notify.choices import ChannelChoice
from radbridge.notify.preferences import PreferenceChoice, message_languages
from radbridge.notify.recipients import first_sms_number, normalise_email, normalise_phone

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "de": "Deutsch",
                  "it": "Italiano", "pt": "Português", "nl": "Nederlands"}


class NotificationPreferenceForm(forms.Form):
    channels = forms.ChoiceField(
        label="How should we tell you?", choices=ChannelChoice.choices,
        widget=forms.RadioSelect)
    language = forms.ChoiceField(label="Language of messages", required=False)
    sms_number = forms.CharField(
        label="Mobile number for text messages", required=False, max_length=50,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="Leave empty to use the number the centre has on file.")
    email = forms.EmailField(
        label="Email address for messages", required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Leave empty to use the address the centre has on file.")
    quiet_hours_start = forms.TimeField(
        label="Quiet hours from", required=False, widget=TIME_INPUT,
        help_text="No messages between these times (sign-in codes still arrive).")
    quiet_hours_end = forms.TimeField(label="Quiet hours until", required=False,
                                      widget=TIME_INPUT)
    time_zone = forms.CharField(
        label="Your time zone", required=False, max_length=60,
        help_text="For example Europe/Paris or America/Chicago. Empty: the centre's.")
    opted_out = forms.BooleanField(
        label="Send me no messages about my studies or appointments", required=False)

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["language"].choices = [("", "The centre's language")] + [
            (code, LANGUAGE_NAMES.get(code, code)) for code in message_languages()]

    def clean_sms_number(self):
        number = self.cleaned_data["sms_number"].strip()
        if number:
            address = normalise_phone(number)
            if not address.value:
                raise forms.ValidationError(
                    f"{address.problem.capitalize()}. Enter a mobile number, e.g. +1 217 555 0142.")
        return number

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip()
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(
                    f"{name!r} is not a time zone we know: write it like Europe/Paris.") from None
        return name

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            missing = "quiet_hours_end" if end is None else "quiet_hours_start"
            self.add_error(missing, "Give both ends of your quiet hours, or neither.")
        if start is not None and start == end:
            self.add_error("quiet_hours_end",
                           "Quiet hours must end at another time than they start.")
        if not data.get("opted_out") and not self.errors:
            self.check_reachable(data)
        return data

    def check_reachable(self, data):
        """The chosen channel needs an address: typed here or on file."""
        channels = data.get("channels")
        if channels in (ChannelChoice.SMS, ChannelChoice.BOTH):
            on_file = first_sms_number(self.patient.phones)
            if not data.get("sms_number") and not on_file.value:
                self.add_error("sms_number", "We have no mobile number for you: enter one to "
                                             "get text messages, or choose email only.")
        if channels in (ChannelChoice.EMAIL, ChannelChoice.BOTH):
            if not data.get("email") and not normalise_email(self.patient.email).value:
                self.add_error("email", "We have no email address for you: enter one to get "
                                        "emails, or choose text messages only.")

    def choice(self) -> PreferenceChoice:
        return PreferenceChoice(**{f.name: self.cleaned_data[f.name]
                                   for f in fields(PreferenceChoice)})
