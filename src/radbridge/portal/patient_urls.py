"""The patient portal's pages and a study's images and copies, included by portal.urls
under its "portal" namespace (kept apart so the page sets of the portal merge easily)."""

from django.urls import path

from .views.download import download_study
from .views.patient import my_studies
from .views.preferences import notification_preferences
from .views.viewer import series_thumbnail, viewer_frame, viewer_page, viewer_thumbnail

urlpatterns = [
    path("my/studies/", my_studies, name="my_studies"),
    path("my/notifications/", notification_preferences, name="notification_preferences"),
    path("studies/<int:order_id>/images/", viewer_page, name="viewer"),
    path("studies/<int:order_id>/images/<int:instance_id>/frames/<int:number>/", viewer_frame,
         name="viewer_frame"),
    path("studies/<int:order_id>/images/<int:instance_id>/thumbnail/", viewer_thumbnail,
         name="viewer_thumbnail"),
    path("studies/<int:order_id>/images/series/<int:series_id>/thumbnail/", series_thumbnail,
         name="series_thumbnail"),
    path("studies/<int:order_id>/download/", download_study, name="study_download"),
]
