"""Inbound activities' handlers, one module per kind, and `dispatch`, the table from
activity type to handler. The package imports none of them: the worker loads the table
(and every handler) with the first inbox item it applies, not at start-up (issue 18)."""
