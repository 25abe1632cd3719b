"""The PostgreSQL roles Vesper's migrations know by name.

On PostgreSQL the portal connects (DATABASE_URL) as a login role that is a member of PORTAL_ROLE, while
migrations run (MIGRATION_DATABASE_URL) as the owner of the tables. Migration 0011 grants PORTAL_ROLE what
the portal needs and no more: reading and writing the clinical tables, but on `audit_events` only SELECT
and INSERT, so someone holding the portal's credentials cannot change or remove the audit trail. The owner
and superusers still can; the audit chain is what shows that (docs/security.md). SQLite has no roles.
"""

from __future__ import annotations

# A NOLOGIN group role, cluster-wide: the portal's login role is made a member of it (docs/operations.md).
PORTAL_ROLE = "vesper_portal"
