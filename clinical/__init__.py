"""The bottom layer, pure Python: the domain's words and rules.

- Words: roles (roles.py), PCOC phases (pcoc.py), alert rules (alerts.py), sign-off decisions
  (consensus.py), ESAS-r items (esas.py); db/ stores these enums as they are.
- Rules: ESAS-r scoring and severity, the alert rules, AKPS and caregiver burden, goals-of-care fields and
  validation, and the consensus (sign-off) rule.

Imports nothing of ours, nor Streamlit nor SQLAlchemy (a test checks); works on plain dataclasses.
"""
