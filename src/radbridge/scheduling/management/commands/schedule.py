"""`radbridge schedule add|template|close|slots|list`: set up schedules, see availability."""

import getpass
from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError

from radbridge.core.audit import Actor, acting_as

from ...availability import centre_zone, slots
from ...errors import SchedulingError
from ...models import Booking, Schedule
from ...setup import (
    WEEKDAYS,
    add_closure,
    add_schedule,
    add_templates,
    bookings_during,
    get_schedule,
    parse_weekdays,
)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date: write YYYY-MM-DD") from None


def parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a time: write HH:MM (24-hour, local)") from None


class Command(BaseCommand):
    help = "Schedules: add a resource, its weekly hours, closures; list schedules and slots."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a schedule (a scanner in a room)")
        add.add_argument("code", help="short name, e.g. ct1")
        add.add_argument("--name", default="")
        add.add_argument("--modality", required=True, help="CT, MR, US, ...")
        add.add_argument("--room", required=True, help="location code (as the RIS sends in AIL)")
        add.add_argument("--room-name", default="")
        add.add_argument("--site", default="", help="the imaging site's identifier")
        add.add_argument("--procedures", default="", help="procedure codes it performs, a,b,c")
        template = sub.add_parser("template", help="weekly opening hours cut into slots")
        template.add_argument("code")
        template.add_argument("--days", required=True, help="mon-fri, or mon,wed,sat")
        template.add_argument("--start", required=True, help="HH:MM local time")
        template.add_argument("--end", required=True, help="HH:MM local time")
        template.add_argument("--slot-minutes", type=int, required=True)
        close = sub.add_parser("close", help="close a schedule (or --all) for days")
        target = close.add_mutually_exclusive_group(required=True)
        target.add_argument("code", nargs="?")
        target.add_argument("--all", action="store_true", help="the whole centre")
        close.add_argument("--from", dest="first", required=True, help="YYYY-MM-DD")
        close.add_argument("--to", dest="last", help="YYYY-MM-DD (default: the same day)")
        close.add_argument("--reason", required=True)
        show = sub.add_parser("slots", help="a schedule's slots, free and taken")
        show.add_argument("code")
        show.add_argument("--from", dest="first", help="YYYY-MM-DD (default: today)")
        show.add_argument("--days", type=int, default=7)
        show.add_argument("--free", action="store_true", help="only free slots")
        sub.add_parser("list", help="schedules with their hours and upcoming bookings")

    def handle(self, *args, action, **options):
        with acting_as(Actor(name=f"cli:{getpass.getuser()}", role="operator")):
            try:
                getattr(self, f"do_{action}")(**options)
            except SchedulingError as error:
                raise CommandError(str(error)) from None

    def do_add(self, code, name, modality, room, room_name, site, procedures, **_):
        schedule = add_schedule(
            code, name, modality, room, room_name, site,
            [p.strip() for p in procedures.split(",") if p.strip()],
        )
        self.stdout.write(f"schedule {schedule.code}: {schedule} in {schedule.location.code}")

    def do_template(self, code, days, start, end, slot_minutes, **_):
        schedule = get_schedule(code)
        made = add_templates(
            schedule, parse_weekdays(days), parse_time(start), parse_time(end), slot_minutes
        )
        self.stdout.write(f"schedule {code}: {len(made)} weekday template(s) added")

    def do_close(self, code, all, first, last, reason, **_):
        schedule = None if all else get_schedule(code)
        start = parse_date(first)
        closure = add_closure(schedule, start, parse_date(last) if last else start, reason)
        self.stdout.write(f"{schedule.code if schedule else 'centre'}: {closure}")
        zone = centre_zone()
        for booking in bookings_during(closure):
            self.stdout.write(
                f"  still booked, to move: {booking.schedule.code} "
                f"{booking.starts_at.astimezone(zone):%Y-%m-%d %H:%M} appointment "
                f"{booking.appointment.external_id}"
            )

    def do_slots(self, code, first, days, free, **_):
        schedule = get_schedule(code)
        start = parse_date(first) if first else datetime.now(centre_zone()).date()
        if not 1 <= days <= 92:
            raise CommandError("--days is 1 to 92")
        zone = centre_zone()
        for slot in slots(schedule, start, start + timedelta(days=days - 1)):
            if free and not slot.free:
                continue
            state = "free" if slot.free else "taken"
            self.stdout.write(
                f"{slot.start.astimezone(zone):%a %Y-%m-%d %H:%M}-"
                f"{slot.end.astimezone(zone):%H:%M}  {state}"
            )

    def do_list(self, **_):
        zone = centre_zone()
        for schedule in Schedule.objects.select_related("location").prefetch_related("templates"):
            state = "" if schedule.active else " (inactive)"
            self.stdout.write(
                f"{schedule.code}  {schedule.name}  {schedule.modality}  "
                f"room {schedule.location.code}{state}"
            )
            for template in schedule.templates.all():
                self.stdout.write(
                    f"    {WEEKDAYS[template.weekday]} {template.start_time:%H:%M}-"
                    f"{template.end_time:%H:%M} every {template.slot_minutes} min"
                )
            upcoming = Booking.objects.filter(
                schedule=schedule, starts_at__gte=datetime.now(zone)
            ).count()
            self.stdout.write(f"    {upcoming} upcoming booking(s)")
