"""Endpoints the SMS providers call: delivery receipts and replies (STOP, START)."""

from django.urls import path

from . import replies, webhooks

app_name = "notify"
urlpatterns = [
    path("webhooks/twilio/incoming", replies.twilio_incoming, name="twilio-incoming"),
    path("webhooks/clicksend/incoming/<str:token>", replies.clicksend_incoming,
         name="clicksend-incoming"),
    path("webhooks/twilio/<int:delivery_id>", webhooks.twilio_status, name="twilio-status"),
    path("webhooks/clicksend/<str:token>", webhooks.clicksend_receipt, name="clicksend-receipt"),
]
