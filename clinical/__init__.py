"""Pure clinical logic: instruments, scoring, alert rules, goals-of-care validation, consensus rules.

Imports neither Streamlit nor SQLAlchemy (a test checks); works on plain dataclasses.
"""
