"""Errors a user can cause, each carrying a one-line message meant for that user."""


class FlywheelError(Exception):
    """Base class of the errors this package raises on purpose."""


class InputError(FlywheelError, ValueError):
    """Bad input from a user: a lever name, a value, a scenario file.

    The message names the field, the allowed range and, for files, the file and line.
    """


class ModelError(FlywheelError):
    """The model file and the data tables that describe it disagree."""
