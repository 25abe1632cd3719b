"""Streamlit UI pieces: the video room, symptom charts, goals-of-care form, sign-off panel and the rest.

Each decides nothing about policy (auth/ and services/ do) and writes no SQL.
"""
