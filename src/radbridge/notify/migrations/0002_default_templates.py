"""Load the wording RadBridge ships into the template table, where administrators edit it."""

from django.db import migrations


def load_defaults(apps, schema_editor):
    from radbridge.notify.defaults import DEFAULTS

    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    MessageTemplate.objects.bulk_create(
        [
            MessageTemplate(kind=str(kind), channel=str(channel), language=language,
                            subject=subject, body=body)
            for (kind, channel, language), (subject, body) in DEFAULTS.items()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]
    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
