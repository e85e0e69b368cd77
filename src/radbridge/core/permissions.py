"""Deny by default, on the queryset: `Model.objects.restrict(user, action)`.

Every view and API narrows its queryset with `restrict()` before reading, so none can
forget the check. The rules themselves live in the `accounts` app, which registers one
function per model label ("clinical.order") from its `ready()`; core knows no roles. A
model in another app that holds PHI declares `restricted_via = ("order", "patient")`: it
is visible when any of those related objects is visible under their own rules, so one
rule for orders and one for patients cover studies, documents and appointments alike.
With no rule and no `restricted_via`, `restrict()` returns nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

Rule = Callable[[models.QuerySet, object, str], models.QuerySet]
_rules: dict[str, Rule] = {}


def register_rule(model_label: str, rule: Rule) -> None:
    """`rule(queryset, user, action)` returns the part of `queryset` the user may `action`."""
    _rules[model_label.lower()] = rule


def registered_rule(model_label: str) -> Rule | None:
    return _rules.get(model_label.lower())


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> models.QuerySet:
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        rule = _rules.get(self.model._meta.label_lower)
        if rule is not None:
            return rule(self, user, action)
        via = getattr(self.model, "restricted_via", ())
        if not via:
            return self.none()
        visible = models.Q()
        for path in via:
            related = self.model._meta.get_field(path).related_model
            allowed = related._default_manager.all().restrict(user, action).values("pk")
            visible |= models.Q(**{f"{path}__in": allowed})
        return self.filter(visible)


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
