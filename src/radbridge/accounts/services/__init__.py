"""Accounts' verbs. Each runs in one transaction, audits what it changes and emits its events
inside it (people are messaged only through outbox events the notify app consumes)."""
