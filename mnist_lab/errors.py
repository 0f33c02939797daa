"""Texts the engine hands to the user, as catalog keys with parameters, so the app can say them in
the reader's language; str() gives the English text, which the CLI and the logs use."""

from __future__ import annotations


class Message:
    """A catalog key and the values for its {placeholders}."""

    def __init__(self, key: str, /, **params):
        self.key = key
        self.params = params

    def __str__(self) -> str:
        from .i18n import t

        return t(self.key, "en", **self.params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, **{self.params!r})"

    def status_fields(self) -> dict:
        """What a run's status.json keeps of this text, so a page can translate it later."""
        return {"reason": str(self), "reason_key": self.key, "reason_params": self.params}


class LabError(Message, Exception):
    """An error the user can fix, e.g. raise DataFormatError("error.data.gz", file=name)."""

    def __init__(self, key: str, /, **params):
        Message.__init__(self, key, **params)
        Exception.__init__(self, key, params)

    __str__ = Message.__str__


def from_status(fields: dict) -> Message | str | None:
    """The reason a status or end event holds: its Message when it kept a key, else its text."""
    key, params = fields.get("reason_key"), fields.get("reason_params")
    if isinstance(key, str):
        return Message(key, **(params if isinstance(params, dict) else {}))
    return fields.get("reason")
