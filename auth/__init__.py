"""Who may do what: the signed-in identity, permission predicates (pages by role, patients by care team),
passwords, sign-in and lock-out, OIDC claim mapping, session time-outs, account administration, and the
audit trail (auth/audit.py: append-only, chained by a keyed hash; its keys in auth/audit_keys.py, checkpoints
of its head outside the database in auth/audit_checkpoints.py, and the check in auth/audit_verify.py).

Below services/: workflows ask here before they act. Free of Streamlit, so policy is testable as plain Python.
"""

# Installed once, for every session the portal opens: text that cannot be stored is refused at the flush.
from auth import stored_text as _stored_text  # noqa: E402, F401
