"""`radbridge serve`: run every role (web, mllp, dicom, worker) in one process, or some of them.

The embedded default runs everything on SQLite; at scale each role runs on its own
machines against PostgreSQL (`--role mllp`, `--role web`, ...).
"""

import asyncio
import signal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from radbridge.core import health, roles


class Command(BaseCommand):
    help = "Run RadBridge: web, MLLP listener, DICOM SCP and worker (all roles by default)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--role", action="append", metavar="ROLE",
            help=f"run only this role (repeatable): {', '.join(roles.role_names())}",
        )
        parser.add_argument("--no-migrate", action="store_true",
                            help="do not apply database migrations at start")

    def handle(self, *args, role=None, no_migrate=False, **options):
        chosen = role or roles.role_names()
        unknown = sorted(set(chosen) - set(roles.role_names()))
        if unknown:
            raise CommandError(
                f"unknown role {', '.join(unknown)}: choose from {', '.join(roles.role_names())}"
            )
        settings.RADBRIDGE_HOME.mkdir(parents=True, exist_ok=True)
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        asyncio.run(self.serve(chosen))

    async def serve(self, chosen: list[str]) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        running = []
        heartbeat = health.HeartbeatThread(chosen)
        try:
            for name in chosen:
                component = roles.make(name)
                await component.start()
                running.append(component)
            heartbeat.start()
            self.stdout.write(
                f"RadBridge running: {', '.join(chosen)} (web :{settings.HTTP_PORT}, "
                f"MLLP :{settings.MLLP_PORT}, DICOM :{settings.DICOM_PORT} AE {settings.AE_TITLE}, "
                f"home {settings.RADBRIDGE_HOME})"
            )
            self.stdout.flush()
            await stopping.wait()
            self.stdout.write("RadBridge stopping: finishing in-flight work")
        finally:
            if heartbeat.is_alive():
                await loop.run_in_executor(None, heartbeat.stop)
            for component in reversed(running):
                await component.stop()
        self.stdout.write("RadBridge stopped")
