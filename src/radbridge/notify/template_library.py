"""The only tags and filters message templates may use.

Message templates are written by administrators in the browser, so they run in an engine with
no default libraries: no {% load %}, {% include %}, {% extends %}, {% debug %} or {% url %},
no `safe`, nothing that reads files or settings. Just what wording needs.
"""

from django.template import Library, defaultfilters, defaulttags

register = Library()

for name in (
    "if", "for", "with", "firstof", "comment", "spaceless", "verbatim", "now", "autoescape",
    "cycle", "templatetag",
):
    register.tags[name] = defaulttags.register.tags[name]

for name in (
    "add", "capfirst", "cut", "date", "default", "default_if_none", "first", "join", "last",
    "length", "linebreaks", "linebreaksbr", "lower", "pluralize", "slice", "striptags", "time",
    "title", "truncatechars", "truncatewords", "upper", "urlencode", "wordwrap", "yesno",
):
    register.filters[name] = defaultfilters.register.filters[name]
