"""Message wording: find the template for a message and render it in a sandbox.

Templates are looked up per kind, channel, language and site, falling back to any site, then
to the centre's language, then to the wording RadBridge ships. They render with Django's
template language in an engine that has only the tags and filters of `template_library`,
over a context of plain strings built here: a template can say only what this context
holds (centre, first name, links, local times), never read a model or a setting.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.utils.html import escape, linebreaks, urlize

from .defaults import default_for
from .models import MessageTemplate

MAX_SOURCE_CHARS = 10_000
MAX_SMS_CHARS = 1_600  # ten concatenated SMS segments: past that providers refuse
CACHE_SECONDS = 5.0
MODALITY_NAMES = {
    "CR": "X-ray", "DX": "X-ray", "XR": "X-ray", "CT": "CT", "MR": "MRI", "US": "ultrasound",
    "MG": "mammography", "NM": "nuclear medicine", "PT": "PET", "XA": "angiography",
    "RF": "fluoroscopy", "DXA": "bone density", "BMD": "bone density",
}
SAMPLE_CONTEXT = {
    "centre_name": "Springfield Imaging",
    "first_name": "Jane",
    "recipient_name": "Jane Doe",
    "patient_initials": "J.D.",
    "portal_url": "https://radbridge.example/portal/",
    "modality": "CT",
    "modality_name": "CT",
    "accession_number": "A123456",
    "report_status": "final",
    "priority": "stat",
    "appointment_time": "Tue 14 Jan 2026, 09:30",
    "location": "CT room 1",
    "invitation_url": "https://radbridge.example/portal/invite/abc",
    "expires_at": "Fri 17 Jan 2026, 09:30",
    "code": "123456",
    "expires_in_minutes": "10",
}


class SandboxEngine(Engine):
    default_builtins = []  # nothing but radbridge.notify.template_library


TEXT_ENGINE = SandboxEngine(
    builtins=["radbridge.notify.template_library"], autoescape=False, loaders=[], libraries={}
)
HTML_ENGINE = SandboxEngine(
    builtins=["radbridge.notify.template_library"], autoescape=True, loaders=[], libraries={}
)


class TemplateProblem(ValueError):
    """A template that cannot be used: the message names the part and what is wrong."""


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str
    html_body: str = ""
    template_id: int | None = None


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    html_body: str


@functools.lru_cache(maxsize=512)
def compile_source(source: str, html: bool = False):
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateProblem(f"the template is {len(source)} characters; at most "
                              f"{MAX_SOURCE_CHARS} are allowed")
    try:
        return (HTML_ENGINE if html else TEXT_ENGINE).from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"template syntax error: {error}") from None


def check_wording(subject: str, body: str, html_body: str = "") -> None:
    """Raise TemplateProblem naming the part that does not compile or render."""
    for part, source, html in (("subject", subject, False), ("body", body, False),
                               ("HTML body", html_body, True)):
        try:
            compile_source(source, html).render(Context(SAMPLE_CONTEXT))
        except TemplateProblem as problem:
            raise TemplateProblem(f"{part}: {problem}") from None


def render(wording: Wording, context: dict, channel: str = "sms") -> Rendered:
    plain = Context(context, autoescape=False)
    subject = " ".join(compile_source(wording.subject).render(plain).split())
    body = compile_source(wording.body).render(plain).strip()
    if channel == "sms" and len(body) > MAX_SMS_CHARS:
        body = body[: MAX_SMS_CHARS - 1] + "…"
    if wording.html_body:
        html = compile_source(wording.html_body, html=True).render(Context(context))
    else:
        html = urlize(linebreaks(escape(body)))
    return Rendered(subject, body, html if channel == "email" else "")


_cache: dict[tuple[str, str], tuple[float, list[MessageTemplate]]] = {}


def forget_cached_templates() -> None:
    _cache.clear()


def active_templates(kind: str, channel: str) -> list[MessageTemplate]:
    """The administrators' templates for a kind and channel, cached a few seconds."""
    now = time.monotonic()
    cached = _cache.get((kind, channel))
    if cached is None or now - cached[0] > CACHE_SECONDS:
        rows = list(MessageTemplate.objects.filter(kind=kind, channel=channel, active=True))
        cached = _cache[(kind, channel)] = (now, rows)
    return cached[1]


def find_wording(kind: str, channel: str, language: str, site_id: int | None) -> Wording | None:
    default_language = settings.NOTIFY_DEFAULT_LANGUAGE
    templates = active_templates(kind, channel)
    for wanted_language in dict.fromkeys((language or default_language, default_language)):
        for wanted_site in dict.fromkeys((site_id, None)):
            for row in templates:
                if row.language == wanted_language and row.site_id == wanted_site:
                    return Wording(row.subject, row.body, row.html_body, row.id)
        shipped = default_for(kind, channel, wanted_language)
        if shipped is not None:
            return Wording(*shipped)
    shipped = default_for(kind, channel, "en")
    return Wording(*shipped) if shipped else None


def local_time(value: str | datetime | None, zone) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M")


def modality_name(modality: str) -> str:
    return MODALITY_NAMES.get((modality or "").upper(), "imaging")


def initials(*names: str) -> str:
    return "".join(f"{name[0].upper()}." for name in names if name)
