"""docs/hooks.md and the registry of hooks (media.patches.PATCHES) name the same patches, with the same pins,
and no product code outside media/patches/ installs or touches a hook."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from media import patches

ROOT = Path(__file__).resolve().parents[2]
HOOKS_MD = ROOT / "docs" / "hooks.md"
ROW = re.compile(r"^\| `(?P<name>[^`]+)` \|(?P<rest>.*)\|\s*$")


def _documented() -> dict[str, str]:
    """Patch name -> the rest of its row, for every row of docs/hooks.md's table."""
    rows = {}
    for line in HOOKS_MD.read_text().splitlines():
        match = ROW.match(line)
        if match:
            assert match["name"] not in rows, f"docs/hooks.md lists {match['name']} twice"
            rows[match["name"]] = match["rest"]
    return rows


def test_every_registered_patch_is_documented_and_nothing_else():
    registered = {patch.name for patch in patches.PATCHES}
    documented = set(_documented())
    assert registered - documented == set(), "registered in media/patches but missing from docs/hooks.md"
    assert documented - registered == set(), "named in docs/hooks.md but not registered in media/patches"


def test_each_row_gives_the_patch_its_pin_and_module():
    rows = _documented()
    for patch in patches.PATCHES:
        row = rows[patch.name]
        assert f"{patch.package} {patch.pinned}" in row, f"{patch.name}: docs/hooks.md has another pin"
        assert patch.module.replace(".", "/") + ".py" in row, (
            f"{patch.name}: docs/hooks.md names another module"
        )


def test_the_registry_is_complete_and_every_entry_says_what_it_must():
    assert len({patch.name for patch in patches.PATCHES}) == len(patches.PATCHES)
    for patch in patches.PATCHES:
        assert patch.module.startswith("media.patches."), patch.name
        assert patch.target and patch.guard and patch.retire_when, patch.name
        assert re.fullmatch(r"\d+\.\d+\.\d+", patch.pinned), f"{patch.name}: a pin is one exact version"


# What the hooks replace, wrap or read in other packages: nobody but media/patches/ may name them.
HOOK_TARGETS = {
    "decoder_worker",
    "_send_keyframe",
    "query_consent",
    "get_global_event_loop",
    "get_global_relay",
    "_live_workers",
    "_handle_worker_lifecycle",
    "_reset_context",
    "_component_func",
    "component_registry",
    "decode_xsrf_token_string",
    "starlette_auth_routes",
}
INSTALLERS = {
    "install_all",
    "install",
    "install_webrtc_hooks",
    "serve_fixed_frontend",
    "install_sign_in_hooks",
}
APP = (
    "app.py",
    "pages",
    "components",
    "portal",
    "services",
    "auth",
    "db",
    "clinical",
    "media",
    "settings.py",
)


def _product_modules(entries: tuple[str, ...] = APP) -> list[Path]:
    paths: list[Path] = []
    for entry in entries:
        path = ROOT / entry
        paths.extend([path] if path.is_file() else path.rglob("*.py"))
    return [p for p in paths if "patches" not in p.relative_to(ROOT).parts and "migrations" not in p.parts]


def _names(path: Path) -> tuple[set[str], set[str]]:
    """The attribute and plain names a module uses, and the functions it calls."""
    used: set[str] = set()
    called: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.Name):
            used.add(node.id)
        if isinstance(node, ast.Call):
            func = node.func
            called.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return used, called


def test_no_hook_lives_outside_media_patches():
    # The bench's synthetic browsers (bench/_video_peers.py) are clients, not the app: they may stand in for
    # what a browser does by their own means.
    offenders = {}
    for path in _product_modules():
        used, _ = _names(path)
        if used & HOOK_TARGETS:
            offenders[str(path.relative_to(ROOT))] = sorted(used & HOOK_TARGETS)
    assert offenders == {}, f"hooks into other packages outside media/patches/: {offenders}"


def test_the_app_installs_the_hooks_in_one_place():
    callers = sorted(
        str(path.relative_to(ROOT))
        for path in _product_modules((*APP, "bench"))
        if _names(path)[1] & INSTALLERS
    )
    # bench/ is a program of its own: it starts its media as the app does. The sign-in screen's one hook
    # (install_sign_in_hooks) is installed by portal/provider_refusals.py, which app.py starts at start-up.
    assert callers == ["bench/video_room.py", "portal/provider_refusals.py", "portal/room_hub.py"], callers
    refusals = (ROOT / "portal" / "provider_refusals.py").read_text()
    assert refusals.count("patches.install_sign_in_hooks()") == 1
    source = (ROOT / "portal" / "room_hub.py").read_text()
    assert source.count("patches.install_all(") == 1
