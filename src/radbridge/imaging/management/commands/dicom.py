"""`radbridge dicom echo|send|stats|reconcile`: the operator's DICOM tools."""

import getpass
import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from radbridge.core.audit import Actor, acting_as

from ...matching import ReconciliationError, awaiting_reconciliation, link_study, reject_study
from ...scu import SendError, dicom_files, echo, send
from ...stats import imaging_stats


class Command(BaseCommand):
    help = "DICOM tools: echo or send to an SCP, index statistics, reconciliation."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("echo", "C-ECHO an SCP (RadBridge's own by default)"),
                           ("send", "C-STORE files or folders to an SCP, with progress")):
            command = sub.add_parser(name, help=text)
            command.add_argument("--host", default="127.0.0.1")
            command.add_argument("--port", type=int, default=settings.DICOM_PORT)
            command.add_argument("--called", default=settings.AE_TITLE, help="the SCP's AE title")
            command.add_argument("--calling", default="RADBRIDGE-CLI", help="our AE title")
            if name == "send":
                command.add_argument("paths", nargs="+", type=Path)
        sub.add_parser("stats", help="studies, instances, storage, renderings, reconciliation")
        reconcile = sub.add_parser("reconcile", help="studies no rule could link")
        steps = reconcile.add_subparsers(dest="step", required=True)
        steps.add_parser("list", help="studies awaiting a decision")
        link = steps.add_parser("link", help="link a study to an order")
        link.add_argument("study_instance_uid")
        link.add_argument("accession_number")
        link.add_argument("--reason", default="")
        reject = steps.add_parser("reject", help="reject a study (kept, visible to no one)")
        reject.add_argument("study_instance_uid")
        reject.add_argument("--reason", required=True)

    def handle(self, *args, action, **options):
        with acting_as(Actor(name=f"cli:{getpass.getuser()}", role="operator")):
            try:
                getattr(self, f"do_{action}")(**options)
            except (SendError, ReconciliationError) as error:
                raise CommandError(str(error)) from None

    def do_echo(self, host, port, called, calling, **_):
        status = echo(host, port, called, calling)
        if status != 0:
            raise CommandError(f"C-ECHO to {called}@{host}:{port} answered 0x{status:04X}")
        self.stdout.write(f"C-ECHO to {called}@{host}:{port}: success")

    def do_send(self, host, port, called, calling, paths, **_):
        files = dicom_files(paths)
        if not files:
            raise CommandError(f"no files found in {', '.join(map(str, paths))}")
        bar = tqdm(total=len(files), desc="sending", unit="file", file=sys.stderr)

        def progress(outcome):
            bar.update(1)
            if outcome.status != 0:
                code = "not sent" if outcome.status is None else f"0x{outcome.status:04X}"
                bar.write(f"{outcome.path}: {code} {outcome.comment}", file=sys.stderr)

        try:
            outcomes = send(host, port, called, calling, files, progress)
        finally:
            bar.close()
        failed = [o for o in outcomes if o.status != 0]
        self.stdout.write(f"sent {len(outcomes) - len(failed)} of {len(files)} files to "
                          f"{called}@{host}:{port}")
        if failed:
            raise CommandError(f"{len(failed)} file(s) not stored (listed above)")

    def do_stats(self, **_):
        self.stdout.write(json.dumps(imaging_stats(), indent=2, default=str))

    def do_reconcile(self, step, study_instance_uid=None, accession_number=None, reason="",
                     **_):
        if step == "link":
            study = link_study(study_instance_uid, accession_number, reason)
            self.stdout.write(f"study {study.study_instance_uid} linked to order "
                              f"{accession_number}")
        elif step == "reject":
            reject_study(study_instance_uid, reason)
            self.stdout.write(f"study {study_instance_uid} rejected")
        else:
            for study in awaiting_reconciliation()[:500]:
                self.stdout.write(
                    f"{study.study_instance_uid}  {study.created_at:%Y-%m-%d %H:%M}  "
                    f"acc={study.accession_number or '-'}  pid={study.patient_identifier or '-'}"
                    f"  {study.modalities}  {study.instance_count} images  "
                    f"{study.reconciliation}: {study.reconciliation_note}"
                )
