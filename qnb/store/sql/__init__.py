"""The SQL every store shares (SQLite's and PostgreSQL's), split by concern, over the dialect
parts each store fills in (``base.py``)."""
