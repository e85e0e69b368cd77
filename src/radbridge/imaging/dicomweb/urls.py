"""/dicomweb/ routes: studies, series, instances, frames; QIDO, WADO and STOW."""

from django.urls import path, register_converter

from .access import authenticated
from .qido import search_instances, search_series, search_studies
from .stow import store
from .wado import frames, metadata, rendered, retrieve, thumbnail


class UIDConverter:
    regex = r"[0-9]+(?:\.[0-9]+)*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class FrameListConverter:
    regex = r"[0-9]+(?:,[0-9]+)*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(UIDConverter, "uid")
register_converter(FrameListConverter, "frames")


@authenticated
def studies(request, study_uid=None):
    """One URL, two services: GET searches or retrieves (QIDO/WADO), POST stores (STOW)."""
    if request.method == "POST":
        return store(request, study_uid)
    if study_uid is None:
        return search_studies(request)
    return retrieve(request, study_uid)


studies.csrf_exempt = True  # STOW checks CSRF itself, for session-authenticated uploads

S = "studies/<uid:study_uid>"
SE = f"{S}/series/<uid:series_uid>"
I = f"{SE}/instances/<uid:instance_uid>"  # noqa: E741 - the DICOMweb level name

urlpatterns = [
    path("studies", studies, name="dicomweb-studies"),
    path(S, studies, name="dicomweb-study"),
    path(f"{S}/metadata", metadata),
    path(f"{S}/thumbnail", thumbnail),
    path(f"{S}/series", search_series),
    path(f"{S}/instances", search_instances),
    path(SE, retrieve),
    path(f"{SE}/metadata", metadata),
    path(f"{SE}/thumbnail", thumbnail),
    path(f"{SE}/instances", search_instances),
    path(I, retrieve),
    path(f"{I}/metadata", metadata),
    path(f"{I}/rendered", rendered),
    path(f"{I}/thumbnail", thumbnail),
    path(f"{I}/frames/<frames:frame_list>", frames),
    path(f"{I}/frames/<frames:frame_list>/rendered", rendered),
]
