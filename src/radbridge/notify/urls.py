"""Endpoints the SMS providers call: delivery receipts."""

from django.urls import path

from . import webhooks

app_name = "notify"
urlpatterns = [
    path("webhooks/twilio/<int:delivery_id>", webhooks.twilio_status, name="twilio-status"),
    path("webhooks/clicksend/<str:token>", webhooks.clicksend_receipt, name="clicksend-receipt"),
]
