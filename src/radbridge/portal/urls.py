"""Portal URLs (namespace "portal"). Later page sets add their own lines here."""

from django.urls import include, path

from .views import (
    account,
    audit,
    auth,
    grants,
    ordering,
    records,
    scheduling,
    sharing,
    signup,
    study,
    users,
)

app_name = "portal"
urlpatterns = [
    path("", records.home, name="home"),
    path("", include("radbridge.portal.patient_urls")),
    # Signing in
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("login/code/", auth.two_factor, name="two_factor"),
    path("account/two-factor/", auth.enrol, name="enrol"),
    path("account/two-factor/backup-codes/", auth.backup_codes, name="backup_codes"),
    path("account/two-factor/remove/", account.remove_two_factor, name="two_factor_remove"),
    path("password/reset/", auth.password_reset, name="password_reset"),
    path("password/reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth.password_reset_confirm,
         name="password_reset_confirm"),
    path("password/reset/done/", auth.password_reset_complete, name="password_reset_complete"),
    path("account/password/", auth.password_change, name="password_change"),
    path("account/", account.account, name="account"),
    # Patients
    path("signup/<str:token>/", signup.signup_start, name="signup"),
    path("signup/<str:token>/account/", signup.signup_finish, name="signup_finish"),
    path("my/sharing/", sharing.shares, name="shares"),
    path("my/sharing/<int:share_id>/revoke/", sharing.revoke_share, name="share_revoke"),
    path("my/consent/", grants.consents, name="consents"),
    path("my/family/", grants.proxies, name="proxies"),
    path("my/access-log/", audit.my_access_log, name="my_access_log"),
    path("book/", scheduling.book_start, name="book"),
    path("book/slots/", scheduling.book_slots, name="book_slots"),
    path("book/confirm/", scheduling.book_confirm, name="book_confirm"),
    path("my/appointments/", scheduling.my_appointments, name="my_appointments"),
    path("my/appointments/<int:appointment_id>/", scheduling.appointment, name="appointment"),
    path("my/appointments/<int:appointment_id>/cancel/", scheduling.cancel_appointment,
         name="appointment_cancel"),
    # Share-code recipients
    path("share/", sharing.share_open, name="share_open"),
    path("share/<int:share_id>/", sharing.share_view, name="share_view"),
    # Clinical records
    path("studies/", records.studies, name="studies"),
    path("studies/<int:order_id>/", study.study, name="study"),
    path("studies/<int:order_id>/report.pdf", study.report_pdf, name="study_report_pdf"),
    path("studies/<int:order_id>/report.hl7", study.report_hl7, name="study_report_hl7"),
    path("orders/", ordering.my_orders, name="my_orders"),
    path("orders/rows/", ordering.my_orders_rows, name="my_orders_rows"),
    path("orders/new/", ordering.new_order, name="order_new"),
    path("orders/upload/", ordering.upload_order, name="order_upload"),
    path("patients/", records.patients, name="patients"),
    path("patients/<int:patient_id>/", records.patient, name="patient"),
    path("patients/<int:patient_id>/invite/", signup.invite, name="invite"),
    path("patients/<int:patient_id>/consent/", grants.record_consent, name="consent_record"),
    path("patients/<int:patient_id>/proxy/", grants.record_proxy, name="proxy_record"),
    path("patients/<int:patient_id>/viewers/", audit.patient_viewers, name="patient_viewers"),
    path("consent/<int:consent_id>/revoke/", grants.revoke_consent, name="consent_revoke"),
    path("proxy/<int:grant_id>/revoke/", grants.revoke_proxy, name="proxy_revoke"),
    # Administration
    path("users/", users.users, name="users"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<int:user_id>/", users.user_edit, name="user"),
    path("users/<int:user_id>/<slug:action>/", users.user_action, name="user_action"),
    path("clinics/<int:clinic_id>/policy/", users.clinic_policy, name="clinic_policy"),
    path("audit/", audit.audit_log, name="audit"),
]
