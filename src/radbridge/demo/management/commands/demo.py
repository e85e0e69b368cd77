"""`radbridge demo`: start every role and fill the system through its real interfaces
(HL7 over MLLP, then images over DICOM C-STORE)."""

import asyncio
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from radbridge.core.audit import Actor, acting_as
from radbridge.core.management.commands.serve import Command as ServeCommand
from radbridge.hl7.client import MLLPClient, MLLPClientError
from radbridge.hl7.wire import parse_ack
from radbridge.imaging.scu import SendError, send

from ...centre import EARLY_STATUS_FOR, demo_messages
from ...configuration import configure_sites
from ...images import write_demo_studies
from ...logins import create_demo_logins, describe, give_demo_key, new_totp_key


class Command(ServeCommand):
    help = "Run RadBridge with a demo centre: every role, HL7 over MLLP, images over DICOM."

    def handle(self, *args, **options):
        settings.RADBRIDGE_HOME.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        self.login = self.ensure_admin()
        super().handle(*args, role=None, no_migrate=True)

    def ensure_admin(self) -> str:
        users = get_user_model()
        password = secrets.token_urlsafe(12)
        user, _ = users.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(password)
        user.save()
        return password

    async def serve(self, chosen):
        asyncio.get_running_loop().call_later(1.0, self.feed_in_background)
        await super().serve(chosen)

    def feed_in_background(self):
        asyncio.get_running_loop().run_in_executor(None, self.feed)

    def feed(self):
        with acting_as(Actor(name="cli:demo", role="cli")):
            configure_sites()
        # As in a centre: the RIS's orders, then the modalities' images, then the reports.
        messages = demo_messages()
        ordering = [text for text in messages if not is_report(text)]
        codes = self.feed_hl7(ordering)
        self.feed_images()
        codes = self.feed_hl7([text for text in messages if is_report(text)], codes)
        self.stdout.write(
            f"\nDemo centre loaded over MLLP: {len(messages)} messages ({codes}).\n")
        self.stdout.flush()
        key_hex, key_base32 = new_totp_key()
        with acting_as(Actor(name="cli:demo", role="cli")):
            logins = create_demo_logins(key_hex)
            give_demo_key("admin", key_hex)
        base = f"http://{self.local_address()}:{settings.HTTP_PORT}"
        self.stdout.write(
            f"{describe(logins, key_base32, base + '/')}\n"
            f"  Dashboard (staff, centre-admin): {base}/dashboard/\n"
            f"  Interface monitor (centre-admin): {base}/interfaces/  "
            f"{len(EARLY_STATUS_FOR)} failed HL7 messages wait for a replay: "
            f"{base}/interfaces/journal/?status=failed\n"
            f"  Reconciliation: {base}/interfaces/reconciliation/\n"
            f"  Django admin: {base}/admin/  login: admin / {self.login} (same second step)\n"
            f"  DICOMweb: {base}/dicomweb/studies\n"
            f"  Send your own DICOM: radbridge dicom send --port {settings.DICOM_PORT} FILES\n"
            f"  Send your own HL7: radbridge hl7 send --port {settings.MLLP_PORT} FILE.hl7\n"
        )
        self.stdout.flush()

    def local_address(self) -> str:
        wildcard = settings.BIND_ADDRESS in ("0.0.0.0", "::", "")
        return "127.0.0.1" if wildcard else settings.BIND_ADDRESS

    def feed_images(self):
        """Images for the orders, through the real C-STORE port, as a modality sends them."""
        with tempfile.TemporaryDirectory(prefix="radbridge-demo-") as folder:
            count = write_demo_studies(Path(folder))
            files = sorted(Path(folder).glob("*.dcm"))
            deadline = time.monotonic() + 30
            while True:  # the SCP may still be starting
                try:
                    outcomes = send(self.local_address(), settings.DICOM_PORT,
                                    settings.AE_TITLE, "DEMO_MODALITY", files, lambda _: None)
                    break
                except SendError as error:
                    if time.monotonic() > deadline:
                        self.stderr.write(f"demo images not sent: {error}")
                        return
                    time.sleep(0.2)
        codes = {}
        for outcome in outcomes:
            code = "success" if outcome.status == 0 else f"0x{outcome.status or 0:04X}"
            codes[code] = codes.get(code, 0) + 1
        self.stdout.write(f"Demo images sent over DICOM: {count} instances ({codes}).\n")

    def feed_hl7(self, messages: list[str], codes: dict | None = None) -> dict:
        """Send messages over MLLP; returns the count of each ACK code, added to `codes`."""
        codes = dict(codes or {})
        client = MLLPClient(self.local_address(), settings.MLLP_PORT, timeout=30)
        deadline = time.monotonic() + 30
        while True:  # the listener may still be starting
            try:
                client.connect()
                break
            except MLLPClientError as error:
                if time.monotonic() > deadline:
                    self.stderr.write(f"demo data not loaded: {error}")
                    return codes
                time.sleep(0.2)
        with client:
            for text in messages:
                code = parse_ack(client.send(text.encode("utf-8")).decode("utf-8"))[0]
                codes[code] = codes.get(code, 0) + 1
        return codes


def is_report(text: str) -> bool:
    return "|ORU^R01|" in text.split("\r", 1)[0]
