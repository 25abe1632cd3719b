"""The workflows, one module or package each, re-checking permission (auth/) before any read or change:

- checkins.py: ESAS-r check-ins, validated and saved, and the alerts they raise;
- alerts.py: an alert's life (acknowledged, actioned) and the missed check-in sweep;
- records.py: patient lists, Home's overview and one patient's record;
- symptom_views.py: symptom trends and the team's latest scores for charts;
- meetings.py: who may join which conference, and attendance;
- shared_view.py: what the presenter is showing the conference;
- goals_of_care/: the record and its versions, the conference plan, addenda and amendments, and sign-off.

Free of Streamlit; every function takes the Session first and leaves the transaction to its caller.
"""
