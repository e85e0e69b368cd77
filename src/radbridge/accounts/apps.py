from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "radbridge.accounts"
    label = "accounts"
    verbose_name = "Accounts, roles and access"

    def ready(self):
        from django.conf import settings

        from radbridge.core import jobs, links, outbox, permissions

        from . import audit_chain, rules, signals
        from .services import consumers, invitations

        permissions.register_rule("clinical.order", rules.order_rule)
        permissions.register_rule("clinical.patient", rules.patient_rule)
        if settings.AUDIT_SEAL_INTERVAL_SECONDS > 0:  # 0: sealed by `radbridge audit seal`
            jobs.register_periodic(
                "audit-sealer", audit_chain.seal_pending, settings.AUDIT_SEAL_INTERVAL_SECONDS
            )
        # Results messages (notify) carry a sign-up link for patients without an account.
        links.register_patient_link(invitations.link_for_patient)
        outbox.register_consumer(
            "accounts.follow-merge", ["patient.merged"], consumers.follow_merge
        )
        signals.connect()
