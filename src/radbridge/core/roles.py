"""The roles `radbridge serve` can run. Each app registers its own (the hl7 app: "mllp").

A role is a factory returning a component with `async start()` and `async stop()`; stop
finishes in-flight work before returning, so a SIGTERM never cuts a message in half.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Component(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


_roles: dict[str, Callable[[], Component]] = {}


def register_role(name: str, factory: Callable[[], Component]) -> None:
    _roles[name] = factory


def role_names() -> list[str]:
    return list(_roles)


def make(name: str) -> Component:
    return _roles[name]()
