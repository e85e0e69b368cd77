"""Errors of booking rules, phrased for the person choosing a slot."""


class SchedulingError(ValueError):
    """The request breaks a scheduling rule; `field` names the offending value."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


class SlotTakenError(SchedulingError):
    """Someone else holds the slot (a booking here, or an appointment from the RIS)."""

    def __init__(self, message: str = "slot taken: someone booked it first; choose another"):
        super().__init__(message, field="start")
