# Sourced by the Scripts: installs what a fresh Debian machine lacks, once, without asking.
# Only Debian packages and PyPI are reachable here; nothing else is downloaded.

_apt_updated=0
apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "Installing Debian packages: ${missing[*]}" >&2
    if [ $_apt_updated -eq 0 ]; then
        $sudo apt-get update -qq >&2 || true
        _apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

ensure_build_deps() {
    command -v swift >/dev/null 2>&1 || { [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"; }
    command -v swift >/dev/null 2>&1 || { echo "Swift 6.3 is required (swift not on PATH)" >&2; exit 1; }
    apt_install libexpat1-dev libssl-dev libsqlite3-dev pkg-config
    # Lua 5.4 for `parley import prosody` (Sources/CLua): what the build needs is pkg-config's lua5.4 with its
    # headers, whichever package provides them.
    if ! pkg-config --exists lua5.4 || [ ! -f "$(pkg-config --variable=includedir lua5.4)/lua5.4/lua.h" ]; then
        apt_install liblua5.4-dev
    fi
}

pip_install() {
    # $1 = import name, $2.. = pip requirement(s)
    local module="$1"; shift
    python3 -c "import $module" 2>/dev/null && return 0
    echo "Installing from PyPI: $*" >&2
    python3 -m pip install --quiet --disable-pip-version-check "$@" >&2 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@" >&2
}

ensure_test_deps() {
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-pip
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    pip_install pytest "pytest>=7"
    pip_install pytest_timeout "pytest-timeout>=2"
    pip_install slixmpp "slixmpp==1.17.0"
    # Web-transport and browser interop tests (Tests/Interop/test_{bosh,websocket,stream_management,browser}.py):
    # Debian's headless Chromium driven over the DevTools Protocol, Debian's strophe.js, nginx as Jitsi deploys it.
    apt_install chromium libjs-strophe nginx
    # TURN credentials (Tests/Interop/test_turn_credentials.py): coturn's turnserver, turnutils_uclient and
    # turnutils_peer check what Parley hands out (XEP-0215).
    apt_install coturn
    # Shards (Tests/Interop/test_shards.py): Debian's HAProxy pins rooms to Parley processes as meet.jit.si's does.
    apt_install haproxy
    pip_install websockets "websockets>=13"
    # Migration from Prosody (Tests/Interop/test_prosody_import.py): Debian's prosodyctl registers the accounts
    # that `parley import prosody` imports (no Prosody server is started by the tests).
    apt_install prosody
    # JWT login (Tests/Interop/test_jwt.py): tokens made by PyJWT.
    pip_install jwt "PyJWT>=2"
    # Metrics (Tests/Interop/test_operations.py): /metrics is read with prometheus_client's own text parser.
    pip_install prometheus_client "prometheus-client>=0.17"
    # The JVM example for Jicofo developers (Tests/JVM, Docs/Testing-Jicofo.md): javac and java of JDK 17, no Maven.
    apt_install openjdk-17-jdk-headless
}
