"""The one `radbridge` command: every subcommand is a Django management command.

`radbridge serve`, `radbridge hl7 send FILE`, `radbridge migrate`, `radbridge createuser` ...
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "radbridge.settings")
    from django.core.management import execute_from_command_line

    argv = sys.argv[1:] or ["help"]
    if argv[0] == "createuser":
        argv[0] = "createsuperuser"
    execute_from_command_line(["radbridge", *argv])


if __name__ == "__main__":
    main()
