"""The wording RadBridge ships: loaded into the template table, editable from there on.

SMS texts say that something is ready and where to look; they never carry report text,
names of examinations beyond the modality, or anything the patient would not want on a
lock screen. Emails may say a little more, still without clinical content.
"""

from .choices import Channel, MessageKind

SMS, EMAIL = Channel.SMS, Channel.EMAIL

# (kind, channel, language) -> (subject, body)
DEFAULTS: dict[tuple[str, str, str], tuple[str, str]] = {
    (MessageKind.IMAGES_READY, SMS, "en"): (
        "",
        "{{ centre_name }}: your {{ modality_name }} images are ready to view: {{ portal_url }}",
    ),
    (MessageKind.IMAGES_READY, EMAIL, "en"): (
        "Your {{ modality_name }} images are ready",
        "Hello {{ first_name|default:'there' }},\n\nYour {{ modality_name }} images from "
        "{{ centre_name }} are ready to view in the patient portal:\n{{ portal_url }}\n\n"
        "{{ centre_name }}",
    ),
    (MessageKind.REPORT_READY, SMS, "en"): (
        "",
        "{{ centre_name }}: your {{ modality_name }} report is complete. "
        "View it securely: {{ portal_url }}",
    ),
    (MessageKind.REPORT_READY, EMAIL, "en"): (
        "Your {{ modality_name }} report is complete",
        "Hello {{ first_name|default:'there' }},\n\nYour {{ modality_name }} report from "
        "{{ centre_name }} is complete. You can read it in the patient portal:\n"
        "{{ portal_url }}\n\n{{ centre_name }}",
    ),
    (MessageKind.REPORT_CORRECTED, SMS, "en"): (
        "",
        "{{ centre_name }}: your {{ modality_name }} report has been updated. "
        "View it securely: {{ portal_url }}",
    ),
    (MessageKind.REPORT_CORRECTED, EMAIL, "en"): (
        "Your {{ modality_name }} report has been updated",
        "Hello {{ first_name|default:'there' }},\n\nThe radiologist has updated your "
        "{{ modality_name }} report from {{ centre_name }}. The new version is in the patient "
        "portal:\n{{ portal_url }}\n\n{{ centre_name }}",
    ),
    (MessageKind.REPORT_STAT, SMS, "en"): (
        "",
        "{{ centre_name }} STAT: {{ report_status }} {{ modality }} report for accession "
        "{{ accession_number }} is available: {{ portal_url }}",
    ),
    (MessageKind.REPORT_STAT, EMAIL, "en"): (
        "STAT {{ report_status }} report: accession {{ accession_number }}",
        "Dr {{ recipient_name }},\n\nThe {{ report_status }} {{ modality }} report for your "
        "STAT request, accession {{ accession_number }} (patient initials {{ patient_initials "
        "}}), is available:\n{{ portal_url }}\n\n{{ centre_name }}",
    ),
    (MessageKind.APPOINTMENT_BOOKED, SMS, "en"): (
        "",
        "{{ centre_name }}: your appointment is booked for {{ appointment_time }}. "
        "Details: {{ portal_url }}",
    ),
    (MessageKind.APPOINTMENT_BOOKED, EMAIL, "en"): (
        "Your appointment on {{ appointment_time }}",
        "Hello {{ first_name|default:'there' }},\n\nYour appointment at {{ centre_name }} is "
        "booked for {{ appointment_time }}{% if location %} ({{ location }}){% endif %}.\n"
        "Details and preparation: {{ portal_url }}\n\n{{ centre_name }}",
    ),
    (MessageKind.APPOINTMENT_CHANGED, SMS, "en"): (
        "",
        "{{ centre_name }}: your appointment has moved to {{ appointment_time }}. "
        "Details: {{ portal_url }}",
    ),
    (MessageKind.APPOINTMENT_CHANGED, EMAIL, "en"): (
        "Your appointment has changed: {{ appointment_time }}",
        "Hello {{ first_name|default:'there' }},\n\nYour appointment at {{ centre_name }} is "
        "now on {{ appointment_time }}{% if location %} ({{ location }}){% endif %}.\n"
        "Details: {{ portal_url }}\n\n{{ centre_name }}",
    ),
    (MessageKind.APPOINTMENT_CANCELLED, SMS, "en"): (
        "",
        "{{ centre_name }}: your appointment on {{ appointment_time }} is cancelled. "
        "Call us to book again.",
    ),
    (MessageKind.APPOINTMENT_CANCELLED, EMAIL, "en"): (
        "Your appointment on {{ appointment_time }} is cancelled",
        "Hello {{ first_name|default:'there' }},\n\nYour appointment at {{ centre_name }} on "
        "{{ appointment_time }} is cancelled. Please contact us to book a new one.\n\n"
        "{{ centre_name }}",
    ),
    (MessageKind.APPOINTMENT_REMINDER, SMS, "en"): (
        "",
        "{{ centre_name }}: reminder of your appointment {{ appointment_time }}. "
        "Details: {{ portal_url }}",
    ),
    (MessageKind.APPOINTMENT_REMINDER, EMAIL, "en"): (
        "Reminder: your appointment on {{ appointment_time }}",
        "Hello {{ first_name|default:'there' }},\n\nThis is a reminder of your appointment at "
        "{{ centre_name }} on {{ appointment_time }}{% if location %} ({{ location }}){% endif "
        "%}.\nDetails and preparation: {{ portal_url }}\n\n{{ centre_name }}",
    ),
    (MessageKind.PORTAL_INVITATION, SMS, "en"): (
        "",
        "{{ centre_name }}: view your results online. Create your account (you will be asked "
        "your date of birth): {{ invitation_url }}",
    ),
    (MessageKind.PORTAL_INVITATION, EMAIL, "en"): (
        "View your results from {{ centre_name }} online",
        "Hello {{ first_name|default:'there' }},\n\n{{ centre_name }} invites you to its "
        "patient portal. Create your account with this link (you will be asked your date of "
        "birth){% if expires_at %}; it works until {{ expires_at }}{% endif %}:\n"
        "{{ invitation_url }}\n\n{{ centre_name }}",
    ),
    (MessageKind.ONE_TIME_CODE, SMS, "en"): (
        "",
        "{{ code }} is your {{ centre_name }} code. It expires in {{ expires_in_minutes }} "
        "minutes. Never share it.",
    ),
    (MessageKind.ONE_TIME_CODE, EMAIL, "en"): (
        "Your {{ centre_name }} code",
        "Your code is {{ code }}. It expires in {{ expires_in_minutes }} minutes.\n\n"
        "If you did not ask for it, ignore this message and do not share the code.",
    ),
    (MessageKind.IMAGES_READY, SMS, "fr"): (
        "",
        "{{ centre_name }} : vos images sont disponibles : {{ portal_url }}",
    ),
    (MessageKind.REPORT_READY, SMS, "fr"): (
        "",
        "{{ centre_name }} : votre compte rendu est disponible. Consultez-le en toute "
        "sécurité : {{ portal_url }}",
    ),
    (MessageKind.REPORT_READY, EMAIL, "fr"): (
        "Votre compte rendu est disponible",
        "Bonjour {{ first_name|default:'' }},\n\nVotre compte rendu de {{ centre_name }} est "
        "disponible sur le portail patient :\n{{ portal_url }}\n\n{{ centre_name }}",
    ),
    (MessageKind.APPOINTMENT_REMINDER, SMS, "fr"): (
        "",
        "{{ centre_name }} : rappel de votre rendez-vous le {{ appointment_time }}. "
        "Détails : {{ portal_url }}",
    ),
}


def default_for(kind: str, channel: str, language: str) -> tuple[str, str] | None:
    return DEFAULTS.get((kind, channel, language))
