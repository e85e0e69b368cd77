"""The web role's application: Django as WSGI on a small thread pool, and through its ASGI
handler only for the views that stream for minutes.

Django's ASGI handler runs every synchronous view and middleware of a process in one thread,
so a request waiting on the database held up all the others, and hopping between the event
loop and that thread cost about a millisecond per middleware; on a pool of a few threads the
waits overlap (bench/portal.py: worklist p95 from over a second to 130-170 ms). A thread
stays with its request until the last byte is sent, though, so a study download read by a
slow phone would hold one for minutes: views marked `streams_async` (their answer has an
async form under ASGI) go to the ASGI handler, where a slow reader holds no thread.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import Resolver404, resolve

STREAMS_ASYNC = "streams_async"


def streams_async(view):
    """Serve this view through Django's ASGI handler: it streams for long, asynchronously."""
    setattr(view, STREAMS_ASYNC, True)
    return view


@lru_cache(maxsize=4096)
def streams(path: str) -> bool:
    try:
        return getattr(resolve(path).func, STREAMS_ASYNC, False)
    except Resolver404:
        return False


class WebApplication:
    """ASGI application for uvicorn: each request to the WSGI pool or the ASGI handler."""

    def __init__(self, threads: int):
        from a2wsgi import WSGIMiddleware
        from django.core.asgi import get_asgi_application
        from django.core.wsgi import get_wsgi_application

        self.threaded = WSGIMiddleware(get_wsgi_application(), workers=threads)
        self.streaming = get_asgi_application()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not streams(scope["path"]):
            await self.threaded(scope, receive, send)
        else:
            await self.streaming(scope, receive, send)
