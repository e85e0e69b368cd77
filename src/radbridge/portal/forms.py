"""Portal forms: parse and validate what people type; services decide the rest."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.utils import timezone

from radbridge.accounts.choices import ProxyRelationship, Role
from radbridge.accounts.permissions import role_of
from radbridge.clinical.models import Location, Organization, Practitioner

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def start_of_day(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of_day(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


class DayRangeForm(forms.Form):
    """A search form's optional "From" and "To" days (shown after its own fields)."""

    first_day = forms.DateField(label="From", widget=DATE_INPUT, required=False)
    last_day = forms.DateField(label="To", widget=DATE_INPUT, required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and first > last:
            raise forms.ValidationError("“From” must be on or before “To”: swap the dates.")
        return data

    def within_days(self, rows, field: str):
        """`rows` whose `field` falls in the days chosen, as time bounds so that the field's
        index serves the range."""
        first, last = self.cleaned_data["first_day"], self.cleaned_data["last_day"]
        if first:
            rows = rows.filter(**{f"{field}__gte": start_of_day(first)})
        if last:
            rows = rows.filter(**{f"{field}__lt": start_of_day(last + timedelta(days=1))})
        return rows


class LoginForm(AuthenticationForm):
    """Django's login form; integration accounts (API only) may not sign in here."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if role_of(user) == Role.INTEGRATION:
            raise forms.ValidationError(
                "This is an integration account: it works only with API tokens.", code="api_only"
            )


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code", max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                      "autofocus": True}),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )


class EnrolForm(forms.Form):
    token = forms.CharField(
        label="Code from your app", max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class BirthDateForm(forms.Form):
    birth_date = forms.DateField(label="Date of birth", widget=DATE_INPUT)


class SignupForm(forms.Form):
    code = forms.CharField(
        label="Code we sent to your phone", max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    username = forms.CharField(label="Choose a user name", max_length=150)
    email = forms.EmailField(label="Email", required=False)
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; not a common password.",
    )
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ: type the same one twice.")
        return data


class ExpiryForm(forms.Form):
    expires_on = forms.DateField(label="Until (inclusive)", widget=DATE_INPUT)

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date.")
        return day

    @property
    def expires_at(self) -> datetime:
        return end_of_day(self.cleaned_data["expires_on"])

    @staticmethod
    def end_of(day) -> datetime:
        return end_of_day(day)


class ShareForm(ExpiryForm):
    label = forms.CharField(label="Who is it for? (optional)", max_length=100, required=False)
    max_views = forms.IntegerField(
        label="Maximum number of views (optional)", min_value=1, max_value=1000, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + timedelta(days=14)


class ShareOpenForm(BirthDateForm):
    code = forms.CharField(label="Share code", max_length=30,
                           help_text="As the patient gave it to you, e.g. 7KQ4-MZ2P-R9TX.")
    field_order = ["code", "birth_date"]


class PhysicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        profile = user.profile
        clinic = f" ({profile.clinic})" if profile.clinic_id else ""
        return f"{user.get_full_name() or user.get_username()}{clinic}"


class ConsentForm(ExpiryForm):
    physician = PhysicianChoiceField(
        label="Physician", queryset=User.objects.filter(
            profile__role=Role.PHYSICIAN, is_active=True
        ).select_related("profile__clinic").order_by("last_name", "first_name"),
    )
    note = forms.CharField(label="Note (optional)", max_length=300, required=False)
    field_order = ["physician", "expires_on", "note"]


class ProxyForm(forms.Form):
    username = forms.CharField(
        label="Their RadBridge user name", max_length=150,
        help_text="They need a patient-portal account of their own.",
    )
    relationship = forms.ChoiceField(label="Relationship", choices=ProxyRelationship.choices)
    expires_on = forms.DateField(label="Until (optional)", widget=DATE_INPUT, required=False)

    def clean_username(self):
        user = User.objects.filter(username__iexact=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise forms.ValidationError("No account has that user name: check the spelling.")
        return user


class UserForm(forms.Form):
    """Creating or changing a user, by a centre or clinic administrator."""

    username = forms.CharField(label="User name", max_length=150)
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False)
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    practitioner = forms.ModelChoiceField(
        label="Practitioner record (physicians)", required=False,
        queryset=Practitioner.objects.order_by("family_name", "given_name"),
    )
    clinic = forms.ModelChoiceField(
        label="Clinic", required=False, queryset=Organization.objects.filter(kind="clinic"),
    )
    sites = forms.ModelMultipleChoiceField(
        label="Sites (centre staff)", required=False,
        queryset=Organization.objects.filter(kind="site"),
    )
    locations = forms.ModelMultipleChoiceField(
        label="Rooms (centre staff)", required=False, queryset=Location.objects.order_by("code"),
    )
    all_sites = forms.BooleanField(label="Works at every site", required=False)

    def __init__(self, *args, roles=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]
        if editing:
            self.fields["username"].disabled = True


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="User", max_length=200, required=False)
    patient = forms.IntegerField(label="Patient record id", required=False, min_value=1)
    action = forms.CharField(label="Action (or its start, e.g. read.)", max_length=100,
                             required=False)
    since = forms.DateField(label="From", widget=DATE_INPUT, required=False)
    until = forms.DateField(label="To (inclusive)", widget=DATE_INPUT, required=False)


class InviteForm(forms.Form):
    order = forms.ModelChoiceField(label="Study", queryset=None, required=False)

    def __init__(self, *args, orders=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders
