"""Headless Chromium (Debian's `chromium` package) driven over the Chrome DevTools Protocol, plus the local
web servers the browser tests need: a static page server (a thread in the test process) and nginx configured
like Jitsi's (a process started and stopped by PID). Not a test module.

Chromium is started with its own profile directory, `--remote-debugging-port=0` (the port is read from
DevToolsActivePort), no background networking, a dead proxy for anything but loopback and a resolver that
resolves nothing: only 127.0.0.1 is reachable. Each participant is a page in its own browser context
(separate cookies and storage, like separate browsers), all in one Chromium process to spare the 2 cores.
"""

from __future__ import annotations

import collections
import http.server
import json
import mimetypes
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from websockets.sync.client import connect as ws_connect

from conftest import HOST

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
STROPHE_DIR = Path("/usr/share/javascript/strophe")
STROPHE_JS = STROPHE_DIR / "strophe.js"
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "chromium")
NGINX_CANDIDATES = ("/usr/sbin/nginx", "nginx")


class BrowserUnavailable(RuntimeError):
    pass


def find_executable(candidates) -> str | None:
    for candidate in candidates:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int | None:
    """Stops a process this suite started (it leads its own process group): `sig`, then SIGKILL to the group."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group this process leads (renderers, workers)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


# ---------------------------------------------------------------------------------------------------------------
# Chromium + CDP
# ---------------------------------------------------------------------------------------------------------------


class CDPError(AssertionError):
    pass


class Chromium:
    """One headless Chromium process and a CDP connection to its browser target (flattened sessions)."""

    def __init__(self, workdir: Path, startup_timeout: float = 20.0):
        binary = find_executable(CHROMIUM_CANDIDATES)
        if binary is None:
            raise BrowserUnavailable("Chromium is not installed (Debian package `chromium`; Scripts/test installs it)")
        self.workdir = workdir
        self.profile = workdir / "chromium-profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        self.stderr_path = workdir / "chromium.stderr.log"
        args = [
            binary,
            "--headless=new",
            "--no-sandbox",  # root in a container: the setuid/namespace sandbox is unavailable
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--no-pings",
            "--metrics-recording-only",
            "--safebrowsing-disable-auto-update",
            "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"
            "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
            # Only loopback is reachable: other hosts go to a dead proxy and resolve to nothing.
            "--proxy-server=http://127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "about:blank",
        ]
        self.args = args
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
                                     start_new_session=True, close_fds=True)
        self.ws = None
        try:
            endpoint = self._wait_for_endpoint(startup_timeout)
            self.ws = ws_connect(endpoint, max_size=None, ping_interval=None, open_timeout=10, compression=None,
                                 **({"legacy": True} if _legacy_flag() else {}))
        except BaseException:
            self.close()
            raise
        self._ids = 0
        self._lock = threading.Lock()
        self.events: dict[str | None, collections.deque] = collections.defaultdict(lambda: collections.deque(maxlen=500))

    def _wait_for_endpoint(self, timeout: float) -> str:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrowserUnavailable(
                    f"Chromium exited ({self.proc.returncode}) before opening its DevTools port:\n{self.stderr_tail()}")
            if marker.exists():
                lines = marker.read_text().split()
                if len(lines) >= 2:
                    return f"ws://{HOST}:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise BrowserUnavailable(f"Chromium opened no DevTools port within {timeout} s:\n{self.stderr_tail()}")

    def stderr_tail(self, limit: int = 3000) -> str:
        try:
            if not self._stderr.closed:
                self._stderr.flush()
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return "(no stderr)"
        return text if len(text) <= limit else "…" + text[-limit:]

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 15.0) -> dict:
        with self._lock:
            self._ids += 1
            ident = self._ids
            message = {"id": ident, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            self.ws.send(json.dumps(message))
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CDPError(f"no answer to CDP {method} within {timeout} s")
                try:
                    data = json.loads(self.ws.recv(timeout=remaining))
                except TimeoutError:
                    continue
                if data.get("id") == ident:
                    if "error" in data:
                        raise CDPError(f"CDP {method} failed: {data['error']}")
                    return data.get("result", {})
                if "method" in data:
                    self.events[data.get("sessionId")].append(data)

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
            self.ws = None
        if self.proc.poll() is None:
            stop_process(self.proc)
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not self._stderr.closed:
            self._stderr.close()


def _legacy_flag() -> bool:
    import inspect

    return "legacy" in inspect.signature(ws_connect).parameters


class Page:
    """A page in its own browser context, running the harness (Tests/Interop/browser/harness.js)."""

    def __init__(self, browser: Chromium, name: str):
        self.browser = browser
        self.name = name
        self.context = browser.call("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
        self.target = browser.call("Target.createTarget", {"url": "about:blank", "browserContextId": self.context})["targetId"]
        self.session = browser.call("Target.attachToTarget", {"targetId": self.target, "flatten": True})["sessionId"]
        self.call("Runtime.enable")
        self.call("Page.enable")

    def call(self, method: str, params: dict | None = None, timeout: float = 15.0) -> dict:
        return self.browser.call(method, params, self.session, timeout)

    def console(self, limit: int = 30) -> str:
        lines = []
        for event in list(self.browser.events[self.session])[-200:]:
            if event["method"] == "Runtime.consoleAPICalled":
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in event["params"].get("args", []))
                lines.append(f"console.{event['params'].get('type')}: {args}")
            elif event["method"] == "Runtime.exceptionThrown":
                details = event["params"].get("exceptionDetails", {})
                lines.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
        return "\n".join(lines[-limit:])

    def open(self, url: str, timeout: float = 15.0):
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CDPError(f"{self.name}: loading {url} failed: {result['errorText']}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.evaluate("document.readyState + '|' + (typeof Strophe) + '|' + (typeof Harness)", timeout=5)
            if state == "complete|object|object":
                return
            if state.startswith("complete|"):
                raise CDPError(f"{self.name}: {url} loaded without strophe.js or the harness ({state})\n{self.console()}")
            time.sleep(0.05)
        raise CDPError(f"{self.name}: {url} did not finish loading within {timeout} s")

    def evaluate(self, expression: str, timeout: float = 15.0):
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True},
                           timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"{self.name}: {expression[:200]} threw: {text}\n{self.report()}")
        return result.get("result", {}).get("value")

    def harness(self, function: str, *args, timeout: float = 20.0):
        """Calls Harness.<function>(args...) in the page and returns its (awaited) JSON value."""
        arguments = ", ".join(json.dumps(a) for a in args)
        return self.evaluate(f"Harness.{function}({arguments})", timeout=timeout)

    def stanzas(self) -> list[str]:
        return self.evaluate("Harness.stanzas.slice()") or []

    def report(self) -> str:
        try:
            data = self.call("Runtime.evaluate", {"expression": "window.Harness ? Harness.report() : null",
                                                  "returnByValue": True}, timeout=5)
            report = data.get("result", {}).get("value")
        except Exception as error:  # the page may be gone
            report = f"(no report: {error})"
        if isinstance(report, dict):
            traffic = "\n".join(report.get("traffic", []))
            report = (f"service {report.get('service')}; statuses {report.get('statuses')}; errors {report.get('errors')}; "
                      f"sm {report.get('sm')}\n--- traffic (last 40) ---\n{traffic}")
        return f"\n--- {self.name} ---\n{report}\n--- {self.name} console ---\n{self.console()}"

    def close(self):
        try:
            self.browser.call("Target.closeTarget", {"targetId": self.target}, timeout=5)
        except Exception:
            pass
        try:
            self.browser.call("Target.disposeBrowserContext", {"browserContextId": self.context}, timeout=5)
        except Exception:
            pass


# ---------------------------------------------------------------------------------------------------------------
# Static page server (a thread) and nginx (a process)
# ---------------------------------------------------------------------------------------------------------------


class _StaticHandler(http.server.BaseHTTPRequestHandler):
    routes = {"/browser/": BROWSER_DIR, "/javascript/strophe/": STROPHE_DIR}

    def do_GET(self):  # noqa: N802
        path = self.path.split("?", 1)[0]
        for prefix, root in self.routes.items():
            if path.startswith(prefix):
                relative = path[len(prefix):] or "index.html"
                target = (root / relative).resolve()
                if root.resolve() in target.parents and target.is_file():
                    data = target.read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Type", mimetypes.guess_type(target.name)[0] or "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.write(data)
                    return
        self.send_error(404)

    def log_message(self, *args):
        pass


class PageServer:
    """Serves /browser/ (the harness) and /javascript/strophe/ (Debian's strophe.js) on 127.0.0.1."""

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), _StaticHandler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://{HOST}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="page-server", daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class Nginx:
    """Debian's nginx with browser/nginx-jitsi.conf.in, in a temporary prefix, in front of Parley's HTTP port."""

    def __init__(self, workdir: Path, parley_http: int, startup_timeout: float = 10.0):
        binary = find_executable(NGINX_CANDIDATES)
        if binary is None:
            raise BrowserUnavailable("nginx is not installed (Debian package `nginx`; Scripts/test installs it)")
        self.prefix = workdir / "nginx"
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        template = (BROWSER_DIR / "nginx-jitsi.conf.in").read_text()
        config = (template.replace("@PREFIX@", str(self.prefix)).replace("@PORT@", str(self.port))
                  .replace("@PARLEY_HTTP@", str(parley_http)).replace("@BROWSER_DIR@", str(BROWSER_DIR))
                  .replace("@USER@", "user root;" if os.geteuid() == 0 else ""))
        self.config_path = self.prefix / "nginx.conf"
        self.config_path.write_text(config)
        self.stderr_path = self.prefix / "stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        self.args = [binary, "-p", str(self.prefix), "-c", str(self.config_path), "-e", str(self.prefix / "error.log")]
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr,
                                     start_new_session=True, close_fds=True)
        deadline = time.monotonic() + startup_timeout
        while True:
            if self.proc.poll() is not None:
                log = self.describe()
                self.close()
                raise BrowserUnavailable(f"nginx exited ({self.proc.returncode}) at startup:\n{log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    log = self.describe()
                    self.close()
                    raise BrowserUnavailable(f"nginx did not listen on {self.port} within {startup_timeout} s:\n{log}")
                time.sleep(0.05)
        self.origin = f"http://{HOST}:{self.port}"

    def describe(self) -> str:
        parts = []
        for path in (self.stderr_path, self.prefix / "error.log"):
            try:
                parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-3000:]}")
            except OSError:
                pass
        return "\n".join(parts)

    def close(self) -> int | None:
        code = stop_process(self.proc, signal.SIGQUIT)
        if not self._stderr.closed:
            self._stderr.close()
        return code


def strophe_available() -> str | None:
    """None when Debian's strophe.js is there; otherwise what is missing."""
    if not STROPHE_JS.is_file():
        return f"{STROPHE_JS} is missing (Debian package libjs-strophe; Scripts/test installs it)"
    return None

