"""Browser tests: the real app (`streamlit run app.py`) driven in Chromium through Playwright.

Modelled on Streamlit's own e2e_playwright/conftest.py: every server is a real `streamlit run` subprocess
on a free port, waited for through /_stcore/health, and the page is waited for through the
`data-test-script-state` attribute Streamlit's frontend puts on `[data-testid="stApp"]`, never a sleep.

What is here:
- `browser` (session): Debian's Chromium (/usr/bin/chromium); Playwright's own browsers are not needed.
- `page` (per test): a fresh browser context, so no cookie or session leaks between tests.
- `app_server` (per test): a factory; each call starts a fresh server on its own copy of a migrated,
  demo-seeded SQLite database, with optional extra env and its own secrets.toml. The server's output
  goes to a file that is attached to the report when the test fails.
- `oidc_provider` (one process per session): oidc-provider-mock, a real OpenID Connect provider.
  `oidc_provider.add_user(sub, claims)` registers a user with any claims (e.g. {"roles": ["physician"]});
  `oidc_provider.authorize(page, sub)` signs that user in on the provider's authorization page.
- `oidc_app_server` (per test): a fresh server whose secrets.toml has an [auth] section for the provider.
- helpers: `wait_for_app`, `rerun_and_wait`, `sign_in`, `page_text`, `demo_password`, `care_team_patients`,
  and `find_patient_data`, which looks for patient data in the page text and in every websocket frame
  the page received (st.dataframe draws on a canvas, so its cells are never in the DOM text).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import unicodedata
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, WebSocket, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from db.engine import PROJECT_ROOT, engine_for, transaction
from db.schema import upgrade as migrate
from tests.seed_clock import seed_instant

VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
OIDC_MOCK = VENV_BIN / "oidc-provider-mock"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
HOST = "127.0.0.1"
TIMEOUT_MS = 20_000  # every Playwright wait
SERVER_START_TIMEOUT_S = 30.0
# A browser test's whole budget, setup to teardown (pytest-timeout, set below for every test in tests/e2e):
# a bound for a hung browser or server, not a speed check. Measured on 2 cores at load average 12-15
# (--durations, 7 Dec 2026): test_shared_case_view 217 s (two browsers in a video meeting, its waits up to
# 60 s each), test_checkin 95 s, test_local_sign_in 54 s. 600 s is near three times the slowest.
E2E_TIMEOUT_S = 600

# Every websocket frame each page received from a server: what the server sent, whether or not it rendered.
_WS_FRAMES: weakref.WeakKeyDictionary[Page, list[bytes]] = weakref.WeakKeyDictionary()

# Log files (and the page) to attach to the report of a failing test.
_LOGS_KEY = pytest.StashKey[list[tuple[str, Path]]]()
_PAGE_KEY = pytest.StashKey[Page]()


# region Processes


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - local test servers only
        return response.status, response.read().decode("utf-8", "replace")


def _http_put_json(url: str, body: object) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.status


class ServerProcess:
    """A subprocess in its own process group, its stdout+stderr in a file."""

    def __init__(self, name: str, args: Sequence[str], cwd: Path, env: Mapping[str, str], log_path: Path):
        self.name = name
        self.args = list(args)
        self.log_path = log_path
        self._log_file = log_path.open("w", encoding="utf-8")
        self._log_file.write(f"$ {' '.join(self.args)}\n")
        self._log_file.flush()
        self.proc = subprocess.Popen(
            self.args,
            cwd=cwd,
            env=dict(env),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so teardown reaches any children too
        )

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"<cannot read {self.log_path}: {exc}>"

    def wait_until(self, url: str, ready: Callable[[int, str], bool], timeout_s: float) -> None:
        """Poll `url` until `ready(status, body)`; fail early if the process dies, or after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        last_error = "no response"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode} before it was ready.\n{self.log()}"
                )
            try:
                status, body = _http_get(url, timeout=1.0)
                if ready(status, body):
                    return
                last_error = f"HTTP {status}: {body[:200]!r}"
            except (OSError, urllib.error.URLError) as exc:
                last_error = repr(exc)
            time.sleep(0.2)  # polling interval of a bounded readiness loop, not a wait for the UI
        raise RuntimeError(
            f"{self.name} not ready after {timeout_s:.0f}s at {url} ({last_error}).\n{self.log()}"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log_file.close()


# endregion

# region Database


def _checkpoint_sqlite(path: Path) -> None:
    """Fold the WAL back into the main file, so copying the .db file alone copies everything."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def build_seeded_db(path: Path) -> Path:
    """Create at `path` a migrated SQLite database with the demo data (demo.seed.seed_demo) at
    seed_instant(), its WAL folded in so that copying the file copies everything; returns `path`."""
    from demo.seed import seed_demo

    url = f"sqlite:///{path}"
    migrate(url)
    engine = engine_for(url)
    with transaction(engine) as session:
        seed_demo(session, seed_instant(datetime.now(UTC)))
    engine.dispose()
    _checkpoint_sqlite(path)
    return path


@pytest.fixture(scope="session")
def seeded_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the demo data (demo.seed.seed_demo) at seed_instant(); servers get
    copies of it."""
    return build_seeded_db(tmp_path_factory.mktemp("e2e-db") / "seeded.db")


@dataclass(frozen=True)
class SeededPatient:
    mrn: str
    given_name: str
    family_name: str


@pytest.fixture(scope="session")
def seeded_patients(seeded_db_template: Path) -> list[SeededPatient]:
    """Every patient the demo seed created."""
    conn = sqlite3.connect(seeded_db_template)
    try:
        rows = conn.execute("SELECT mrn, given_name, family_name FROM patients ORDER BY id").fetchall()
    finally:
        conn.close()
    assert rows, "the demo seed created no patients"
    return [SeededPatient(*row) for row in rows]


def care_team_patients(db_path: Path, username: str) -> list[SeededPatient]:
    """Patients whose care team includes the account `username`, read straight from the database."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT p.mrn, p.given_name, p.family_name FROM patients p "
            "JOIN care_team_members c ON c.patient_id = p.id "
            "JOIN users u ON u.id = c.user_id WHERE u.username = ? ORDER BY p.id",
            (username,),
        ).fetchall()
    finally:
        conn.close()
    return [SeededPatient(*row) for row in rows]


def demo_password(username: str) -> str:
    from demo.seed import DEMO_ACCOUNTS

    for account in DEMO_ACCOUNTS:
        if account.username == username:
            return str(account.password)
    raise KeyError(f"no demo account {username!r} in demo.seed.DEMO_ACCOUNTS")


# endregion

# region Streamlit app server


@dataclass
class AppServer:
    port: int
    db_path: Path
    process: ServerProcess

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def page_url(self, url_path: str = "") -> str:
        return f"{self.url}/{url_path.lstrip('/')}"


@dataclass
class AppServerFactory:
    """Starts fresh `streamlit run app.py` servers for one test and stops them all at its end. Outside
    pytest (bench/), `node` is None and the servers' logs are only in their files."""

    tmp_path: Path
    template: Path
    node: pytest.Item | None
    app_dir: Path = PROJECT_ROOT
    servers: list[AppServer] = field(default_factory=list)

    def __call__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        secrets_toml: str | None = None,
        port: int | None = None,
        extra_args: Sequence[str] = (),
    ) -> AppServer:
        """Start a server and wait until /_stcore/health says "ok".

        `secrets_toml` becomes this server's only secrets file (`--secrets.files`); by default it is empty,
        so a developer's own .streamlit/secrets.toml cannot change what the tests see. It may contain
        "{port}", replaced by the server's port.
        """
        index = len(self.servers)
        workdir = self.tmp_path / f"server{index}"
        workdir.mkdir()
        db_path = workdir / "vesper.db"
        shutil.copy(self.template, db_path)
        port = port or free_port()
        secrets_file = workdir / "secrets.toml"
        secrets_file.write_text((secrets_toml or "").replace("{port}", str(port)), encoding="utf-8")

        args = [
            str(PYTHON),
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--server.address",
            HOST,
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--secrets.files",
            str(secrets_file),
            *extra_args,
        ]
        full_env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db_path}",
            "VESPER_DEMO": "1",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        log_path = workdir / "streamlit.log"
        if self.node is not None:
            self.node.stash.setdefault(_LOGS_KEY, []).append(
                (f"streamlit server {index} (port {port})", log_path)
            )
        process = ServerProcess(f"streamlit server {index}", args, self.app_dir, full_env, log_path)
        server = AppServer(port, db_path, process)
        self.servers.append(server)
        process.wait_until(
            f"{server.url}/_stcore/health",
            lambda status, body: status == 200 and body.strip() == "ok",
            SERVER_START_TIMEOUT_S,
        )
        return server

    def stop_all(self) -> None:
        for server in self.servers:
            server.process.stop()


@pytest.fixture(scope="session")
def app_dir() -> Path:
    """Directory holding app.py; the servers run there (so .streamlit/config.toml applies)."""
    return PROJECT_ROOT


@pytest.fixture
def app_server(
    request: pytest.FixtureRequest, tmp_path: Path, seeded_db_template: Path, app_dir: Path
) -> Iterator[AppServerFactory]:
    if not (app_dir / "app.py").exists():
        pytest.fail(f"{app_dir / 'app.py'} does not exist")
    factory = AppServerFactory(tmp_path, seeded_db_template, request.node, app_dir)
    yield factory
    factory.stop_all()


# endregion

# region OIDC provider


@dataclass
class OidcProvider:
    """oidc-provider-mock: accepts any client_id/secret and any redirect URI (no registration needed)."""

    port: int
    process: ServerProcess

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def add_user(self, sub: str, claims: Mapping[str, object]) -> None:
        """Create or replace a user. Claims outside the standard scopes (e.g. "roles") always reach the
        ID token; standard ones need their scope (name: profile, email: email), which st.login asks for."""
        status = _http_put_json(f"{self.url}/users/{sub}", dict(claims))
        assert status == 204, f"PUT /users/{sub} answered {status}"

    def end_session(self, page: Page, timeout: float) -> None:
        """On the provider's end-session page (where st.logout() sends the browser): press End session,
        as a person confirming the sign-out at their hospital's provider would."""
        expect(page.get_by_role("heading", name="End Session")).to_be_visible(timeout=timeout)
        page.get_by_role("button", name="End session", exact=True).click()

    def authorize(self, page: Page, sub: str) -> None:
        """On the provider's authorization page: type the subject and press Authorize."""
        expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
        page.get_by_placeholder("sub").fill(sub)
        page.get_by_role("button", name="Authorize", exact=True).click()


def auth_secrets_toml(provider: OidcProvider, app_port: int | str = "{port}") -> str:
    """A secrets.toml with the [auth] section st.login needs, pointing at `provider`."""
    return (
        "[auth]\n"
        f'redirect_uri = "http://{HOST}:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "vesper-e2e"\n'
        'client_secret = "vesper-e2e-secret"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n'
    )


@pytest.fixture(scope="session")
def _oidc_provider_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("oidc") / "oidc-provider.log"
    process = ServerProcess(
        "oidc-provider-mock",
        [str(OIDC_MOCK), "--host", HOST, "--port", str(port)],
        PROJECT_ROOT,
        {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
        log_path,
    )
    provider = OidcProvider(port, process)
    try:
        process.wait_until(
            provider.metadata_url,
            lambda status, body: status == 200 and '"authorization_endpoint"' in body,
            SERVER_START_TIMEOUT_S,
        )
        yield provider
    finally:
        process.stop()


@pytest.fixture
def oidc_provider(request: pytest.FixtureRequest, _oidc_provider_process: OidcProvider) -> OidcProvider:
    request.node.stash.setdefault(_LOGS_KEY, []).append(
        ("oidc-provider-mock", _oidc_provider_process.process.log_path)
    )
    return _oidc_provider_process


@pytest.fixture
def oidc_app_server(app_server: AppServerFactory, oidc_provider: OidcProvider) -> AppServer:
    """A fresh app server with st.login configured for the mock provider."""
    return app_server(secrets_toml=auth_secrets_toml(oidc_provider))


# endregion

# region Browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


def launch_browser(playwright: Playwright) -> Browser:
    """Debian's headless Chromium, with a fake camera and microphone that need no permission prompt."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = launch_browser(playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    frames: list[bytes] = []
    _WS_FRAMES[page] = frames

    def record(ws: WebSocket) -> None:
        ws.on(
            "framereceived",
            lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode()),
        )

    page.on("websocket", record)
    request.node.stash[_PAGE_KEY] = page
    yield page
    context.close()


expect.set_options(timeout=TIMEOUT_MS)


_APP_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-testid="stStatusWidgetRunningIcon"]') === null;
}"""


def wait_for_app(page: Page, timeout: float = TIMEOUT_MS) -> None:
    """Wait until the script has run and finished: stApp connected, script state notRunning, no running
    icon. Before the first run the attribute reads "initial", so this cannot pass on a page that has not
    run yet."""
    page.wait_for_function(_APP_IDLE_JS, timeout=timeout)


def app_is_idle(page: Page) -> bool:
    """What wait_for_app waits for, looked at once, without waiting."""
    return bool(page.evaluate(_APP_IDLE_JS))


_ARM_RUN_WATCH_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__e2eRunSeen = false;
    if (window.__e2eRunWatch) window.__e2eRunWatch.disconnect();
    window.__e2eRunWatch = new MutationObserver(records => {
        for (const r of records) {
            if (r.oldValue !== 'notRunning' || app.getAttribute('data-test-script-state') !== 'notRunning') {
                window.__e2eRunSeen = true;
            }
        }
    });
    window.__e2eRunWatch.observe(app, {
        attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state'],
    });
}"""


# How long rerun_and_wait looks for the sign of a run before it settles for an idle app (see there).
RUN_SEEN_MS = 5_000


def rerun_and_wait(
    page: Page,
    action: Callable[[], object],
    timeout: float = TIMEOUT_MS,
    *,
    leads_to: Locator | None = None,
) -> None:
    """Do `action` (a click that makes the script rerun) once, and wait until that rerun has finished.

    With `leads_to`, what the action shows when it worked: the wait is for that, then for an idle app. A
    lost action then fails here, because what it leads to never comes.

    Without it, a MutationObserver armed before the action records the script state leaving "notRunning",
    so the idle state from before the click does not count. That state is React's, though, and when a
    short run's messages all arrive before React's next render (a busy machine), the attribute never
    changes although the run happened: so after RUN_SEEN_MS without a sign this settles for an idle app,
    and the test's next `expect` (which waits) judges the outcome.
    """
    wait_for_app(page, timeout)
    if leads_to is not None:
        action()
        expect(leads_to).to_be_visible(timeout=timeout)
        wait_for_app(page, timeout)
        return
    page.evaluate(_ARM_RUN_WATCH_JS)
    action()
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function("() => window.__e2eRunSeen === true", timeout=min(timeout, RUN_SEEN_MS))
    wait_for_app(page, timeout)


def sign_in(page: Page, username: str, password: str, *, leads_to: Locator | None = None) -> None:
    """Sign in with a local account on the sign-in form and wait for the resulting run to finish (for
    `leads_to` to show, when given; see rerun_and_wait)."""
    wait_for_app(page)
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    button = page.get_by_role("button", name="Sign in", exact=True)
    rerun_and_wait(page, button.click, leads_to=leads_to)


def home_heading(page: Page) -> Locator:
    """The Home page's heading: where every role lands after signing in."""
    return page.get_by_test_id("stMain").get_by_role("heading", name="Home", exact=True)


def evaluate_in_frames(page: Page, script: str) -> list:
    """`script` (returning a list) run in every frame of the page, the results joined: video tiles live
    in the components' iframes."""
    found: list = []
    for frame in page.frames:
        try:
            found.extend(frame.evaluate(script))
        except Exception:  # noqa: BLE001 - a frame navigating away mid-call is not a failure
            continue
    return found


def page_text(page: Page) -> str:
    """Everything the page renders as text (main area and sidebar)."""
    return page.locator("body").inner_text()


def received_from_server(page: Page) -> bytes:
    """All websocket frames the page has received so far, concatenated. Streamlit sends every element
    (text, tables, dataframes as Arrow) over the websocket, with strings as UTF-8, so this catches data
    that reached the browser even when it is not in the DOM (st.dataframe draws on a canvas)."""
    return b"\n".join(_WS_FRAMES.get(page, []))


def find_patient_data(page: Page, patients: Sequence[SeededPatient]) -> list[str]:
    """What patient data the page shows, or the server sent it: "SYN-" record numbers and seeded family
    names (case-sensitive, NFC and NFD). Empty when none.

    In the page text a name must be a whole word. On the websocket it need only not run on into a
    lower-case letter ("Chan" but not "Change"): Arrow (st.dataframe) stores a column's strings back to
    back with no separator, e.g. b"ThornburyNguy\xe1\xbb\x85nHaddad"."""
    found: list[str] = []
    text = page_text(page).encode()
    wire = received_from_server(page)
    names = sorted({p.family_name for p in patients})
    for where, data, before in (("page text", text, rb"(?<!\w)"), ("websocket frames", wire, b"")):
        if b"SYN-" in data:
            found.append(f'"SYN-" in {where}')
        for name in names:
            forms = {unicodedata.normalize(f, name).encode() for f in ("NFC", "NFD")}
            if any(re.search(before + re.escape(form) + rb"(?![a-z])", data) for form in forms):
                found.append(f"family name {name!r} in {where}")
    return found


def pages_url_paths() -> list[tuple[str, str]]:
    """(file name, URL path) of every page in pages/, with the URL path Streamlit gives it: the file
    stem without a leading number, separators and emoji (streamlit.source_util.page_icon_and_name, the
    rule st.Page and the pages/ directory both use)."""
    from streamlit.source_util import page_icon_and_name

    pages_dir = PROJECT_ROOT / "pages"
    files = sorted(
        p for p in pages_dir.glob("*.py") if not p.name.startswith(".") and p.name != "__init__.py"
    )
    return [(p.name, page_icon_and_name(p)[1]) for p in files]


# endregion

# region Timeouts

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test gets E2E_TIMEOUT_S (pytest-timeout) instead of the suite's default in
    pyproject.toml, unless it sets its own. This hook sees every collected item, so it picks its own."""
    for item in items:
        if item.path.is_relative_to(HERE) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT_S))


# endregion

# region Reporting


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        page = item.stash.get(_PAGE_KEY, None)
        if page is not None and not page.is_closed():
            try:
                text = page.evaluate("() => document.body ? document.body.innerText : ''")
                report.sections.append(("browser page", f"URL: {page.url}\n\n{text}"))
            except Exception as exc:  # noqa: BLE001 - a report must not fail
                report.sections.append(("browser page", f"<unavailable: {exc!r}>"))
        for name, path in item.stash.get(_LOGS_KEY, []):
            try:
                content = path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                content = f"<cannot read {path}: {exc}>"
            report.sections.append((name, content[-20_000:]))
    return report


# endregion


__all__ = [
    "AppServer",
    "AppServerFactory",
    "OidcProvider",
    "SeededPatient",
    "app_is_idle",
    "auth_secrets_toml",
    "build_seeded_db",
    "care_team_patients",
    "demo_password",
    "find_patient_data",
    "free_port",
    "launch_browser",
    "page_text",
    "pages_url_paths",
    "received_from_server",
    "rerun_and_wait",
    "sign_in",
    "wait_for_app",
]
