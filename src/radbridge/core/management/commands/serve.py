"""`radbridge serve`: run every role (web, mllp, worker) in one process, or one of them.

The embedded default runs everything on SQLite; at scale each role runs on its own
machines against PostgreSQL (`--role mllp`, `--role web`, ...).
"""

import asyncio
import logging
import signal
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from radbridge.core import jobs

log = logging.getLogger("radbridge.serve")
ROLES = ("web", "mllp", "worker")


class Command(BaseCommand):
    help = "Run RadBridge: web, MLLP listener and background worker (all roles by default)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--role",
            choices=ROLES,
            action="append",
            help="run only this role (repeatable); default: all",
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="do not apply database migrations at start"
        )

    def handle(self, *args, role=None, no_migrate=False, **options):
        roles = tuple(role or ROLES)
        settings.RADBRIDGE_HOME.mkdir(parents=True, exist_ok=True)
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"RadBridge starting roles: {', '.join(roles)}")
        asyncio.run(self.serve(roles))

    async def serve(self, roles: tuple[str, ...]) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        started = []
        if "mllp" in roles:
            from radbridge.hl7.listener import MLLPListener

            listener = MLLPListener(settings.BIND_ADDRESS, settings.MLLP_PORT)
            await listener.start()
            started.append(listener)
            self.stdout.write(f"MLLP listening on {settings.BIND_ADDRESS}:{listener.port}")
        worker_stop = threading.Event()
        if "worker" in roles:
            thread = threading.Thread(
                target=jobs.run_forever, args=(worker_stop,), name="worker", daemon=True
            )
            thread.start()
            self.stdout.write("worker running")
        web = None
        if "web" in roles:
            import uvicorn

            config = uvicorn.Config(
                "radbridge.asgi:application",
                host=settings.BIND_ADDRESS,
                port=settings.HTTP_PORT,
                lifespan="off",
                log_level="warning",
            )
            web = uvicorn.Server(config)
            web.install_signal_handlers = lambda: None
            web_task = asyncio.create_task(web.serve())
            self.stdout.write(f"web on http://{settings.BIND_ADDRESS}:{settings.HTTP_PORT}/")
        self.stdout.flush()
        await stopping.wait()
        self.stdout.write("RadBridge stopping: finishing in-flight work")
        if web is not None:
            web.should_exit = True
            await web_task
        for component in started:
            await component.stop()
        worker_stop.set()
        self.stdout.write("RadBridge stopped")
