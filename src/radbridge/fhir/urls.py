"""/fhir/ routes. Order matters: operations and fixed names before the generic patterns."""

from django.urls import path, re_path

from . import api, convert

urlpatterns = [
    path("metadata", api.metadata, name="fhir-metadata"),
    path("$convert-hl7v2", convert.convert_endpoint, name="fhir-convert-hl7v2"),
    re_path(r"^\$[^/]*$", api.not_implemented),
    path("<str:type_name>/_search", api.search_by_post),
    path("<str:type_name>/_history", api.not_implemented),
    re_path(r"^(?P<type_name>[A-Za-z]+)/\$[^/]*$", api.not_implemented),
    path("<str:type_name>/<str:resource_id>/_history", api.history),
    path("<str:type_name>/<str:resource_id>/_history/<str:version_id>", api.version_read),
    re_path(r"^(?P<type_name>[A-Za-z]+)/(?P<resource_id>[^/]+)/\$[^/]*$", api.not_implemented),
    path("<str:type_name>/<str:resource_id>", api.instance),
    path("<str:type_name>", api.type_endpoint),
    path("", api.not_implemented),
    re_path(r"^.*$", api.unknown),
]
