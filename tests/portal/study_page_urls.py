"""The portal's URLs plus stand-ins for the pages other page sets provide (image viewer,
study download), so the study page's links to them can be tested before they are merged."""

from django.http import HttpResponse
from django.urls import include, path

from radbridge.portal import urls as portal_urls


def stand_in(request, order_id: int):
    return HttpResponse("stand-in")


urlpatterns = [
    path("", include(([
        *portal_urls.urlpatterns,
        path("studies/<int:order_id>/images/", stand_in, name="viewer"),
        path("studies/<int:order_id>/download/", stand_in, name="study_download"),
    ], "portal"))),
]
