"""Validation errors by field, for the staff forms (listings, country pages)."""

from __future__ import annotations


class FieldErrors(ValueError):
    """Values are not valid; `errors` maps each field to a message fit to show staff."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
