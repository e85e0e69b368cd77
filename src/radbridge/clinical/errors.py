"""Errors of clinical rules, phrased for the person who must fix the input."""


class ClinicalRuleError(ValueError):
    """Input breaks a rule of the clinical record; `field` names the offending value."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field
