"""Domain errors raised by services (which never import DRF); the API maps them to 4xx."""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    status_code = 400
    code = "invalid"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Unavailable(DomainError):
    """The request is fine but the organization lacks what it needs (e.g. no model yet)."""

    status_code = 409
    code = "unavailable"
