"""The conference media hub on aiortc: rooms, participants, lobby, selective forwarding, encode-once fallback.

Nothing here imports Streamlit. The room's components (video_room.py, media_tiles.py, room_hub.py,
webrtc_hooks.py) are the only bridge to the browser side.
"""
