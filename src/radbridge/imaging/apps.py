from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "radbridge.imaging"
    label = "imaging"
    verbose_name = "Imaging"

    def ready(self):
        from django.conf import settings

        from radbridge.core import jobs, outbox, roles

        from . import associations, availability, matching, rendering, scp

        roles.register_role("dicom", scp.DicomServer.from_settings)
        jobs.register_periodic(
            "imaging-availability", availability.release_quiet_studies, interval_seconds=1.0
        )
        jobs.register_periodic(
            "imaging-renderings", rendering.render_pending, interval_seconds=1.0
        )
        jobs.register_periodic(
            "imaging-association-retention",
            lambda: associations.prune(settings.DICOM_ASSOCIATION_RETENTION_DAYS),
            interval_seconds=24 * 3600,
        )
        outbox.register_consumer(
            "imaging-patient-merges", ["patient.merged"], matching.follow_patient_merge
        )
        outbox.register_consumer(
            "imaging-rematch-orders", ["order.placed", "order.updated"], matching.rematch_for_order
        )
