"""The community's data and its rules: SQLAlchemy models beside the functions that use them."""
