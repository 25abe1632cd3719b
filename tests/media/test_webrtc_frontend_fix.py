"""media.patches.webrtc_frontend.serve_fixed_frontend: streamlit-webrtc's frontend, served with two fixes
(one peer connection per start: ONE_CONNECTION_PER_START; no restart on "disconnected":
RIDE_OUT_DISCONNECTED), and the guards around them.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from streamlit_webrtc import component

from media.patches import webrtc_frontend


def _installed_bundle() -> str:
    return webrtc_frontend._frontend_bundle(webrtc_frontend.webrtc_frontend_dist()).read_text(
        encoding="utf-8"
    )


def _start_callback(source: str) -> str:
    """The text of start(): from its STOPPED check to its "already started" rejection."""
    begin = source.index("c.webRtcState===`STOPPED`?(")
    end = source.index("Promise.reject(Error(`WebRTC is already started`))", begin)
    return source[begin:end]


def test_the_installed_frontend_is_the_one_the_fix_was_written_for():
    assert importlib.metadata.version("streamlit-webrtc") == webrtc_frontend.WEBRTC_FRONTEND_VERSION
    original = _start_callback(_installed_bundle())
    # The bug: start() awaits the adapter import before it says SIGNALLING.
    assert original.index("await mw(") < original.index("SIGNALLING_START")


def test_the_fix_says_signalling_before_the_first_await():
    fixed = _start_callback(webrtc_frontend.fix_frontend_source(_installed_bundle()))
    assert fixed.index("SIGNALLING_START") < fixed.index("await ")
    assert fixed.count("SIGNALLING_START") == 1
    # Nothing outside start() changes.
    original, patched = _installed_bundle(), webrtc_frontend.fix_frontend_source(_installed_bundle())
    begin = original.index("c.webRtcState===`STOPPED`?(")
    assert patched[:begin] == original[:begin]
    tail = original.index("Promise.reject(Error(`WebRTC is already started`))", begin)
    assert patched.endswith(original[tail:])


def _state_handler(source: str) -> str:
    begin = source.index("addEventListener(`connectionstatechange`")
    return source[begin : source.index("f.current()}", begin)]


def test_the_fix_restarts_a_connection_only_when_it_failed_or_closed():
    original = _state_handler(_installed_bundle())
    assert "`disconnected`" in original  # the bug: a transient "disconnected" tears the connection down
    fixed = _state_handler(webrtc_frontend.fix_frontend_source(_installed_bundle()))
    assert "`disconnected`" not in fixed
    assert "c.connectionState===`failed`" in fixed and "c.connectionState===`closed`" in fixed
    assert "START_PLAYING" in fixed  # back to "connected" is still playing


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_fixed_bundle_is_valid_javascript():
    bundle = webrtc_frontend._frontend_bundle(webrtc_frontend.fixed_frontend_dir())
    result = subprocess.run(
        ["node", "--check", "--input-type=module"],
        input=bundle.read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_a_changed_bundle_is_refused():
    source = _installed_bundle()
    with pytest.raises(RuntimeError, match="expected 1"):
        webrtc_frontend.fix_frontend_source(source.replace("SIGNALLING_START`}),u.reset();", "X", 1))
    with pytest.raises(RuntimeError, match="expected 1"):
        webrtc_frontend.fix_frontend_source(source + webrtc_frontend.ONE_CONNECTION_PER_START[1][0])


def test_another_streamlit_webrtc_version_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9")
    with pytest.raises(RuntimeError, match="but 9.9.9 is installed"):
        webrtc_frontend.fixed_frontend_dir()


def test_the_fixed_frontend_is_a_full_copy_made_once():
    dist = webrtc_frontend.webrtc_frontend_dist()
    fixed = webrtc_frontend.fixed_frontend_dir()
    assert webrtc_frontend.fixed_frontend_dir() == fixed
    bundle = webrtc_frontend._frontend_bundle(dist).relative_to(dist)
    files = sorted(p.relative_to(dist) for p in dist.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(fixed) for p in fixed.rglob("*") if p.is_file())
    for name in files:
        same = (dist / name).read_bytes() == (fixed / name).read_bytes()
        assert same is (name != bundle), name


def test_webrtc_streamer_calls_the_fixed_frontend(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(component, webrtc_frontend.WEBRTC_COMPONENT_FUNC, component._component_func)
    served = webrtc_frontend.serve_fixed_frontend()
    assert webrtc_frontend.serve_fixed_frontend() is served
    assert getattr(component, webrtc_frontend.WEBRTC_COMPONENT_FUNC) is served
    assert Path(served.path) == webrtc_frontend.fixed_frontend_dir()
    assert served.name == f"media.patches.webrtc_frontend.{webrtc_frontend.FIXED_FRONTEND_NAME}"
    # webrtc_streamer looks the component up in its module on every call.
    assert webrtc_frontend.WEBRTC_COMPONENT_FUNC in component.webrtc_streamer.__code__.co_names


def test_the_copy_lives_in_a_folder_only_vesper_can_write_and_every_file_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """It came from a predictable temporary path, reused when its bundle alone matched: anyone on the
    machine could have made that folder first and served their own script to every browser."""
    assert not str(webrtc_frontend.FRONTEND_HOME).startswith(tempfile.gettempdir())
    home = tmp_path / "var" / "webrtc-frontend"  # not the portal's own: a running server may serve that
    monkeypatch.setattr(webrtc_frontend, "FRONTEND_HOME", home)
    fixed = webrtc_frontend.fixed_frontend_dir()
    assert fixed.parent == home
    info = home.stat()
    assert info.st_uid == os.getuid() and info.st_mode & 0o777 == 0o700, oct(info.st_mode)
    # Any file changed, not only the bundle, and an extra file: the copy is made again.
    page = fixed / "index.html"
    page.write_bytes(b"<script>alert('not ours')</script>")
    (fixed / "extra.js").write_text("alert('not ours')")
    again = webrtc_frontend.fixed_frontend_dir()
    assert b"not ours" not in (again / "index.html").read_bytes()
    assert not (again / "extra.js").exists()
    home.chmod(0o755)
    webrtc_frontend.fixed_frontend_dir()
    assert home.stat().st_mode & 0o777 == 0o700, "a folder opened to others is closed again"
