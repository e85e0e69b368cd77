"""`radbridge hl7 send|replay|stats|prune|to-fhir`: the operator's HL7 tools."""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from radbridge.core.audit import Actor, acting_as

from ...client import MLLPClient, MLLPClientError
from ...converters import converter
from ...journal import failed_ids, prune, replay
from ...metrics import inbound_stats
from ...wire import HL7Error, decode_message, parse_ack, split_batch


class Command(BaseCommand):
    help = "HL7 v2 tools: send files over MLLP, replay failed messages, show statistics."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="send .hl7 files to an MLLP listener, print ACKs")
        send.add_argument("files", nargs="+", type=Path)
        send.add_argument("--host", default="127.0.0.1")
        send.add_argument("--port", type=int, default=settings.MLLP_PORT)
        send.add_argument("--timeout", type=float, default=30.0)
        again = sub.add_parser("replay", help="apply failed messages again")
        again.add_argument("ids", nargs="*", type=int, help="journal IDs (default: all failed)")
        sub.add_parser("stats", help="messages per type and status, timings, errors")
        to_fhir = sub.add_parser(
            "to-fhir", help="print an HL7 v2 file as a FHIR Bundle (stores nothing)"
        )
        to_fhir.add_argument("file", type=Path)
        old = sub.add_parser("prune", help="delete journal entries past retention")
        old.add_argument("--days", type=int, default=settings.HL7_JOURNAL_RETENTION_DAYS)

    def handle(self, *args, action, **options):
        with acting_as(Actor(name="cli:hl7", role="operator")):
            getattr(self, f"do_{action.replace('-', '_')}")(**options)

    def do_send(self, files, host, port, timeout, **_):
        failures = 0
        with MLLPClient(host, port, timeout) as client:
            for path in files:
                try:
                    decoded = decode_message(path.read_bytes())
                    messages = split_batch(decoded.text).messages
                except (OSError, HL7Error) as error:
                    raise CommandError(f"{path}: {error}") from None
                if not messages:
                    self.stderr.write(f"{path}: no MSH segment, nothing sent")
                    failures += 1
                for number, text in enumerate(messages, start=1):
                    try:
                        answer = client.send(text.encode(decoded.charset)).decode(
                            "utf-8", "replace"
                        )
                    except MLLPClientError as error:
                        raise CommandError(f"{path} message {number}: {error}") from None
                    code, control_id, ack_text = parse_ack(answer)
                    failures += code not in ("AA", "CA")
                    self.stdout.write(f"{path} [{number}] {control_id}: {code} {ack_text}")
        if failures:
            raise CommandError(f"{failures} message(s) not accepted")

    def do_replay(self, ids, **_):
        ids = ids or failed_ids()
        if not ids:
            self.stdout.write("no failed messages to replay")
            return
        results = {}
        for journal_id in tqdm(ids, desc="replaying", unit="msg", file=sys.stderr):
            results.update(replay([journal_id]))
        for journal_id, status in results.items():
            self.stdout.write(f"#{journal_id}: {status}")

    def do_to_fhir(self, file, **_):
        convert = converter("fhir")
        if convert is None:
            raise CommandError("no FHIR converter is installed (the fhir app is not enabled)")
        try:
            text, warnings = convert(file.read_bytes())
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        except HL7Error as error:
            raise CommandError(f"{file}: {error}") from None
        for warning in warnings:
            self.stderr.write(f"{file}: warning: {warning}")
        self.stdout.write(text)

    def do_stats(self, **_):
        self.stdout.write(json.dumps(inbound_stats(), indent=2, default=str))

    def do_prune(self, days, **_):
        self.stdout.write(f"deleted {prune(days)} journal entries older than {days} days")
