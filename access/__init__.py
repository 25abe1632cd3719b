"""Who may do what: roles and permissions, accounts, sign-in, sessions, audit trail.

Everything here except `components/` callers is free of Streamlit, so policy is testable as plain Python.
"""
