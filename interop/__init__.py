"""Data exchange with other systems: FHIR export (interop.fhir). No Streamlit here."""
