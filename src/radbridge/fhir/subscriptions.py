"""Webhook subscriptions (placeholder until the next step)."""


def register() -> None:
    return None
