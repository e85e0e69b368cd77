"""`radbridge audit verify|export|seal`: prove the audit chain intact, export entries as CSV."""

from __future__ import annotations

import csv
import sys
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from radbridge.core.audit import Actor, acting_as, record
from radbridge.core.models import AuditEntry

from ...audit_chain import seal_pending, verify_chain
from ...audit_log import AuditFilter, csv_rows, entries


def parse_time(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{name}={text!r} is not a date: use YYYY-MM-DD or an ISO time"
        ) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Audit log: verify the hash chain, export entries as CSV, seal pending entries."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("verify", help="seal pending entries, then check the whole chain")
        commands.add_parser("seal", help="chain entries written since the last seal")
        export = commands.add_parser("export", help="write entries as CSV (newest first)")
        export.add_argument("--output", "-o", help="file to write (default: standard output)")
        export.add_argument("--actor", default="")
        export.add_argument("--patient", type=int, help="patient record id")
        export.add_argument("--action", default="", help="action or its prefix, e.g. read.")
        export.add_argument("--since", help="from this date or time (ISO)")
        export.add_argument("--until", help="before this date or time (ISO)")

    def handle(self, *args, command, **options):
        with acting_as(Actor(name="cli:audit", role="cli")):
            getattr(self, f"handle_{command}")(**options)

    def handle_seal(self, **options):
        self.stdout.write(f"sealed {seal_pending()} entries")

    def handle_verify(self, **options):
        sealed = seal_pending()
        total = AuditEntry.objects.filter(seq__isnull=False).count()
        with tqdm(total=total, unit="entries", desc="verifying", file=sys.stderr,
                  disable=not total) as bar:
            result = verify_chain(progress=bar.update)
        if result.problem is not None:
            raise CommandError(
                f"audit chain BROKEN: {result.problem.message}. {result.checked} entries "
                "before it are intact. Restore the audit table from a backup and investigate."
            )
        self.stdout.write(
            f"audit chain intact: {result.checked} entries (sealed {sealed} just now); "
            f"last #{result.last_seq} hash {result.last_hash or '-'}\n"
            "Keep that hash somewhere else: it proves later that nothing before it changed."
        )

    def handle_export(self, output=None, **options):
        selected = entries(
            AuditFilter(
                actor=options["actor"], patient_id=options["patient"], action=options["action"],
                since=parse_time(options["since"], "--since"),
                until=parse_time(options["until"], "--until"),
            )
        )
        total = selected.count()
        record(
            "audit.exported", "audit_log", "", count=total, actor_filter=options["actor"],
            patient=options["patient"], action_filter=options["action"],
        )
        stream = open(output, "w", newline="", encoding="utf-8") if output else self.stdout
        try:
            writer = csv.writer(stream)
            with tqdm(total=total, unit="entries", desc="exporting", file=sys.stderr,
                      disable=not output) as bar:
                rows = csv_rows(selected)
                writer.writerow(next(rows))  # the header
                for row in rows:
                    writer.writerow(row)
                    bar.update(1)
        finally:
            if output:
                stream.close()
        if output:
            self.stderr.write(f"wrote {total} entries to {output}")
