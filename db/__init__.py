"""Persistence: SQLAlchemy models, engine and sessions, query functions, Alembic migrations, demo seed.

Knows nothing of Streamlit. Query functions take the Session first; the caller owns the transaction.
"""
