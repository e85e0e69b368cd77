from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "radbridge.accounts"
    label = "accounts"
    verbose_name = "Accounts, roles and access"

    def ready(self):
        from django.conf import settings

        from radbridge.core import jobs, outbox, permissions

        from . import audit_chain, rules, signals
        from .services import consumers

        permissions.register_rule("clinical.order", rules.order_rule)
        permissions.register_rule("clinical.patient", rules.patient_rule)
        jobs.register_periodic(
            "audit-sealer", audit_chain.seal_pending, settings.AUDIT_SEAL_INTERVAL_SECONDS
        )
        outbox.register_consumer(
            "accounts.invite-on-report", ["report.finalized"], consumers.invite_on_report
        )
        outbox.register_consumer(
            "accounts.follow-merge", ["patient.merged"], consumers.follow_merge
        )
        signals.connect()
