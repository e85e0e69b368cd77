"""URL map. The portal, FHIR and DICOMweb mount here as their apps arrive."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("notify/", include("radbridge.notify.urls")),
    path("fhir/", include("radbridge.fhir.urls")),
    path("dicomweb/", include("radbridge.imaging.dicomweb.urls")),
    path("", include("radbridge.portal.urls")),
]
