"""Persistence: SQLAlchemy models (column types from clinical/'s vocabulary), engine and sessions, query
functions, Alembic migrations.

Knows nothing of Streamlit, auth/ or services/. Query functions take the Session first; the caller owns the
transaction.
"""
