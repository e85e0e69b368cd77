"""A stand-in API under /fhir/ for testing the token middleware before the FHIR app exists:
it answers with who the request is and which orders it may see."""

from django.http import JsonResponse
from django.urls import include, path

from radbridge.clinical.models import Order
from radbridge.core import audit


def whoami(request):
    scopes = request.auth_scopes
    audit.record_read("whoami")
    return JsonResponse({
        "user": request.user.get_username() if request.user.is_authenticated else None,
        "reads_patients": scopes.allows("Patient", "read") if scopes else None,
        "writes_orders": scopes.allows("ServiceRequest", "write") if scopes else None,
        "orders": sorted(Order.objects.restrict(request.user).values_list("pk", flat=True)),
    })


urlpatterns = [
    path("fhir/whoami", whoami),
    path("portal-whoami", whoami),
    path("", include("radbridge.urls")),
]
