"""A scratch RadBridge for in-process benchmarks: its own home folder and, with a PostgreSQL
server, its own database (dropped afterwards, even when the benchmark fails); else SQLite.
Django is set up and migrated inside the `with`.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scratch_radbridge(label: str, pg_url: str | None) -> Iterator[None]:
    os.environ["RADBRIDGE_HOME"] = tempfile.mkdtemp(prefix=f"rb-bench-{label}-")
    name = None
    if pg_url:
        import psycopg

        name = f"rb_bench_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + "/" + name
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "radbridge.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        if name:
            connection.close()
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
