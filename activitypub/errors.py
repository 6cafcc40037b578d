"""Errors raised by the wire layer."""

from __future__ import annotations


class InvalidDocument(Exception):
    """A document does not have the shape ActivityPub requires; the message says why."""


class SignatureError(Exception):
    """An HTTP signature is missing, malformed or does not verify."""


class DigestMismatch(SignatureError):
    """The body's digest does not match its Digest header."""
