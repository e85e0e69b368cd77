"""Templates are sandboxed: administrators write wording, not code."""

import pytest

from radbridge.notify import templates
from radbridge.notify.admin import MessageTemplateForm


@pytest.mark.parametrize("source", [
    "{% load static %}{% static 'x' %}",
    "{% include 'admin/base.html' %}",
    "{% extends 'admin/base.html' %}",
    "{% debug %}",
    "{% url 'admin:index' %}",
    "{{ first_name|safe }}",
])
def test_template_cannot_reach_beyond_its_context(source):
    with pytest.raises(templates.TemplateProblem, match="body: template syntax error"):
        templates.check_wording("", source)


def test_oversized_template_is_refused_with_its_size():
    with pytest.raises(templates.TemplateProblem, match="at most 10000"):
        templates.check_wording("", "x" * 10_001)


def test_html_part_escapes_names_but_text_part_keeps_them():
    wording = templates.Wording("Hi {{ first_name }}", "Hi {{ first_name }}",
                                "<p>Hi {{ first_name }}</p>")
    rendered = templates.render(wording, {"first_name": "<b>O'Brien</b>"}, "email")
    assert rendered.body == "Hi <b>O'Brien</b>"
    assert rendered.html_body == "<p>Hi &lt;b&gt;O&#x27;Brien&lt;/b&gt;</p>"


def test_long_sms_is_cut_to_what_providers_take():
    rendered = templates.render(templates.Wording("", "{{ x }}"), {"x": "y" * 5000}, "sms")
    assert len(rendered.body) == templates.MAX_SMS_CHARS


@pytest.mark.django_db
def test_admin_form_names_the_broken_part():
    form = MessageTemplateForm(data={"kind": "report_ready", "channel": "sms", "language": "en",
                                     "subject": "ok", "body": "{% if %}", "active": True})
    assert not form.is_valid()
    assert "body: template syntax error" in str(form.errors)
