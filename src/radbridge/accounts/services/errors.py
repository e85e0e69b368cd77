"""The one error accounts' services raise for a request they refuse: its message says what was
wrong and what to do, and is safe to show to the person who asked."""


class AccountsError(ValueError):
    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field
