"""The Streamlit session's plumbing, drawing no screen of its own: who is signed in and for how long (gate.py,
which every page calls first), the UI's clock, and this server process's media hub (room_hub.py).

Pages and components use it; services/ and below never do.
"""
