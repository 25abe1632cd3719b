"""The conference media hub on aiortc: rooms, participants, lobby, selective forwarding, encode-once fallback.

Nothing here but media/patches/ touches Streamlit. The room's components (video_room.py, media_tiles.py)
and portal/room_hub.py are the only bridge to the browser side.
"""
