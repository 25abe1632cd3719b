"""Reusable Streamlit pieces. Each decides nothing about policy: access/ and clinical/ do."""
