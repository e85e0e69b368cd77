"""What every portal page's layout needs: the signed-in person's role and navigation."""

from radbridge.accounts.permissions import role_of

from . import navigation


def portal(request):
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None and user.is_authenticated else None
    return {"portal_role": role, "portal_nav": navigation.items_for(role)}
