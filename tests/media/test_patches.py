"""media.patches: every registered hook installs through install_all, guarded, once however often it is
called, and refuses a version it was not checked against before it patches anything."""

from __future__ import annotations

import importlib.metadata

import pytest
from aioice import ice
from aiortc import rtcrtpreceiver, rtcrtpsender
from streamlit_webrtc import component, shutdown
from streamlit_webrtc import webrtc as webrtc_module

from media import patches
from media.patches import aioice_consent, aiortc_forwarding, webrtc_frontend


def _hooked() -> dict[str, object]:
    """What the hooks put in place, by where they put it."""
    return {
        "decoder_worker": rtcrtpreceiver.decoder_worker,
        "_send_keyframe": rtcrtpsender.RTCRtpSender._send_keyframe,
        "query_consent": ice.Connection.query_consent,
        "_handle_worker_lifecycle": getattr(component, webrtc_frontend.WEBRTC_LIFECYCLE),
        "_component_func": getattr(component, webrtc_frontend.WEBRTC_COMPONENT_FUNC),
        "page_of_worker": _page_of_worker(),
    }


def _page_of_worker() -> object:
    return shutdown.SessionShutdownObserver.__dict__[webrtc_frontend.WEBRTC_PAGE_OF_WORKER].__func__


@pytest.fixture
def webrtc_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """streamlit-webrtc's module globals put back as they are after the test."""
    for name in webrtc_frontend.WEBRTC_HOOK_TARGETS:
        monkeypatch.setattr(webrtc_module, name, getattr(webrtc_module, name))
    for name in (webrtc_frontend.WEBRTC_LIFECYCLE, webrtc_frontend.WEBRTC_COMPONENT_FUNC):
        monkeypatch.setattr(component, name, getattr(component, name))
    observer = shutdown.SessionShutdownObserver
    name = webrtc_frontend.WEBRTC_PAGE_OF_WORKER
    monkeypatch.setattr(observer, name, observer.__dict__[name])


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda patch: patch.name)
def test_each_patch_is_pinned_to_the_installed_version_and_its_guard_passes(patch: patches.Patch):
    assert importlib.metadata.version(patch.package) == patch.pinned
    patch.check()


def test_install_all_installs_every_patch_and_twice_is_harmless(webrtc_restored: None):
    patches.install_all(lambda: None)  # type: ignore[arg-type, return-value]
    assert [p.name for p in patches.PATCHES if not p.installed()] == []
    first = _hooked()
    patches.install_all(lambda: None)  # type: ignore[arg-type, return-value]
    assert _hooked() == first, "a second install_all replaced a hook"
    assert [p.name for p in patches.PATCHES if not p.installed()] == []
    # Nothing wraps its own hook: the saved originals are upstream's.
    assert aiortc_forwarding._REGISTRY.original_decoder_worker is not rtcrtpreceiver.decoder_worker
    assert aioice_consent._REGISTRY.original_query_consent is not aioice_consent.query_consent
    assert not hasattr(getattr(component, webrtc_frontend.WEBRTC_LIFECYCLE).__wrapped__, "__wrapped__")


def test_the_streamlit_webrtc_hooks_refuse_another_version_before_patching_anything(
    webrtc_restored: None, monkeypatch: pytest.MonkeyPatch
):
    original = _unhooked_webrtc(monkeypatch)
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "9.9.9" if name == "streamlit-webrtc" else real_version(name),
    )
    with pytest.raises(RuntimeError, match=r"streamlit-webrtc 0\.79\.0, but streamlit-webrtc 9\.9\.9"):
        patches.install_all(lambda: None)  # type: ignore[arg-type, return-value]
    assert _webrtc_globals() == original, "a refused hook must leave streamlit-webrtc alone"


def _webrtc_globals() -> tuple[object, ...]:
    return (
        *(getattr(webrtc_module, name) for name in webrtc_frontend.WEBRTC_HOOK_TARGETS),
        getattr(component, webrtc_frontend.WEBRTC_LIFECYCLE),
        getattr(component, webrtc_frontend.WEBRTC_COMPONENT_FUNC),
        _page_of_worker(),
    )


def _unhooked_webrtc(monkeypatch: pytest.MonkeyPatch) -> tuple[object, ...]:
    """streamlit-webrtc as if no hook had been installed (the session's hooks come back afterwards)."""

    def get_global_event_loop():  # noqa: ANN202 - stand-ins for upstream's own
        raise AssertionError("not called")

    def get_global_relay():  # noqa: ANN202
        raise AssertionError("not called")

    lifecycle = getattr(component, webrtc_frontend.WEBRTC_LIFECYCLE)
    monkeypatch.setattr(webrtc_module, "get_global_event_loop", get_global_event_loop)
    monkeypatch.setattr(webrtc_module, "get_global_relay", get_global_relay)
    monkeypatch.setattr(
        component, webrtc_frontend.WEBRTC_LIFECYCLE, getattr(lifecycle, "__wrapped__", lifecycle)
    )

    def page_of_worker(app_session: object) -> str:  # upstream's answer: the page the worker was made on
        return "the-page-hash"

    monkeypatch.setattr(
        shutdown.SessionShutdownObserver, webrtc_frontend.WEBRTC_PAGE_OF_WORKER, staticmethod(page_of_worker)
    )
    return _webrtc_globals()


def test_after_install_opening_another_page_stops_no_call(webrtc_restored: None):
    """The call bar's components are drawn above every page: streamlit-webrtc's observer must not take a page
    switch for leaving (it would stop the worker and cut the person's camera off from everyone)."""
    patches.install_all(lambda: None)  # type: ignore[arg-type, return-value]
    assert shutdown.SessionShutdownObserver._resolve_initial_page_script_hash(object()) == "", (
        "a worker is still tied to the page it was made on: switching pages would end the call"
    )
