"""Every hook into another package's internals (aiortc, aioice, streamlit-webrtc, Streamlit)."""
