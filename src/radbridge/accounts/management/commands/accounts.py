"""`radbridge accounts ...`: create users with a role, invite patients, manage API tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from radbridge.clinical.data import IdentifierData
from radbridge.clinical.models import Location, Order, Organization, Practitioner
from radbridge.clinical.services import find_patient
from radbridge.core.audit import Actor, acting_as

from ...choices import InvitationSource, Role
from ...models import ApiToken
from ...services import invitations, tokens, users
from ...services.errors import AccountsError


def patient_by_identifier(value: str, authority: str):
    patient = find_patient([IdentifierData(value=value, assigning_authority=authority)])
    if patient is None:
        raise CommandError(
            f"no patient has identifier {value!r}"
            + (f" (authority {authority!r})" if authority else "")
            + ": check the MRN, or give --authority"
        )
    return patient


def one(model, what: str, **lookup):
    found = model.objects.filter(**lookup).first()
    if found is None:
        raise CommandError(f"no {what} matches {lookup}: check the identifier")
    return found


class Command(BaseCommand):
    help = "Accounts: create users, invite patients, create/list/revoke API tokens."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="create a user with a role")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--email", default="")
        create.add_argument("--practitioner", help="practitioner ID the RIS uses (physicians)")
        create.add_argument("--clinic", help="clinic organisation identifier")
        create.add_argument("--site", action="append", default=[], help="site identifier")
        create.add_argument("--location", action="append", default=[], help="room code")
        create.add_argument("--all-sites", action="store_true")
        create.add_argument("--patient", help="patient identifier (MRN), for patient accounts")
        create.add_argument("--authority", default="", help="the identifier's authority")

        invite = commands.add_parser("invite", help="invite a patient to the portal")
        invite.add_argument("--patient", required=True, help="patient identifier (MRN)")
        invite.add_argument("--authority", default="")
        invite.add_argument("--accession", help="the study the invitation is about")
        invite.add_argument("--base-url", default="", help="portal address for the link")

        token = commands.add_parser("token-create", help="create an API token (shown once)")
        token.add_argument("username")
        token.add_argument("--name", required=True)
        token.add_argument("--scopes", required=True, help="e.g. 'Patient.read,*.read'")
        token.add_argument("--days", type=int, default=90)
        token.add_argument("--patient", help="limit the token to this patient (MRN)")
        token.add_argument("--authority", default="")

        revoke = commands.add_parser("token-revoke", help="revoke a token by id or prefix")
        revoke.add_argument("token")
        listing = commands.add_parser("token-list", help="list tokens (never their values)")
        listing.add_argument("username", nargs="?")

    def handle(self, *args, command, **options):
        with acting_as(Actor(name="cli:accounts", role="cli")):
            try:
                getattr(self, "handle_" + command.replace("-", "_"))(**options)
            except AccountsError as error:
                raise CommandError(str(error)) from None

    def handle_create(self, username, role, email, **options):
        links = {
            "practitioner": options["practitioner"]
            and one(Practitioner, "practitioner", identifier=options["practitioner"]),
            "clinic": options["clinic"]
            and one(Organization, "clinic", identifier=options["clinic"], kind="clinic"),
            "patient": options["patient"]
            and patient_by_identifier(options["patient"], options["authority"]),
            "sites": [one(Organization, "site", identifier=s, kind="site")
                      for s in options["site"]],
            "locations": [one(Location, "room", code=c) for c in options["location"]],
        }
        user = users.create_account(
            username, role, email=email, all_sites=options["all_sites"],
            **{k: v or None for k, v in links.items() if k not in ("sites", "locations")},
            sites=links["sites"], locations=links["locations"],
        )
        self.stdout.write(
            f"created {user.username} ({Role(role).label}); set a password with "
            f"`radbridge changepassword {user.username}` or the portal's password reset"
        )

    def handle_invite(self, patient, authority, accession, base_url, **options):
        record = patient_by_identifier(patient, authority)
        order = one(Order, "order", accession_number=accession) if accession else None
        invitation, _ = invitations.invite_patient(
            record, order, source=InvitationSource.CLI, base_url=base_url
        )
        where = " and ".join(x for x in (invitation.to_phone, invitation.to_email) if x)
        self.stdout.write(
            f"invitation {invitation.pk} for {record} queued to {where}, valid until "
            f"{invitation.expires_at:%Y-%m-%d}"
        )

    def handle_token_create(self, username, name, scopes, days, patient, authority, **options):
        user = one(User, "user", username=username)
        record = patient_by_identifier(patient, authority) if patient else None
        token, clear = tokens.create_token(user, name, scopes, days=days, patient=record)
        self.stdout.write(
            f"token {token.pk} for {username} ({', '.join(token.scopes)}), expires "
            f"{token.expires_at:%Y-%m-%d}. Copy it now, it is not shown again:\n{clear}"
        )

    def handle_token_revoke(self, token, **options):
        found = ApiToken.objects.filter(pk=int(token)) if token.isdigit() else (
            ApiToken.objects.filter(prefix=token[:10])
        )
        if found.count() != 1:
            raise CommandError(f"no single token matches {token!r}: see `radbridge accounts "
                               "token-list`")
        tokens.revoke_token(found.get())
        self.stdout.write(f"token {found.get().pk} revoked")

    def handle_token_list(self, username=None, **options):
        rows = ApiToken.objects.select_related("user").order_by("user__username", "pk")
        if username:
            rows = rows.filter(user__username=username)
        for token in rows:
            state = "active" if token.is_active else ("revoked" if token.revoked_at else "expired")
            self.stdout.write(
                f"{token.pk}\t{token.user.username}\t{token.name}\t{token.prefix}…\t"
                f"{','.join(token.scopes)}\t{state}\texpires {token.expires_at:%Y-%m-%d}"
            )
