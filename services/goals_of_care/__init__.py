"""Goals of care: the versioned record (record.py), the conference's plan for the patient (plan.py), addenda
and the family's amendment requests (amendments.py), and the team's sign-off bound to the content it
signed (signoff.py; the consensus rule itself is clinical/consensus.py). guards.py holds what they share:
who may act on a record, one writer at a time, whether the record is final, and the refusals.
"""
