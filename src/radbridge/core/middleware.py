"""HTTP entry point of the actor context: every request acts as its user (or anonymous)."""

from .audit import Actor, acting_as


class AuditActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        name = f"user:{user.get_username()}" if user and user.is_authenticated else "anonymous"
        actor = Actor(
            name=name,
            source_address=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        with acting_as(actor):
            return self.get_response(request)
