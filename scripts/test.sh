#!/usr/bin/env bash
# The project's one test command: Python venv for the real RocketMQ client, swift build,
# swift test, then the real-client conformance suite (Tests/Conformance) against the built apus.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY_PACKAGES=(rocketmq==0.4.4 pytest==8.3.5 mq-http-sdk==1.0.3)

summary=()
failed=0

# step NAME COMMAND...: run, time and record one step.
step() {
    local name=$1 start=$SECONDS rc
    shift
    echo
    echo "==> $name"
    "$@"
    rc=$?
    if [ $rc -eq 0 ]; then
        summary+=("PASS  $name ($((SECONDS - start))s)")
    else
        summary+=("FAIL  $name (exit $rc, $((SECONDS - start))s)")
        failed=1
    fi
    return $rc
}

# finish: print the step summary, then the test runners' own closing lines, and exit.
finish() {
    echo
    echo "==> Summary"
    printf '  %s\n' "${summary[@]}"
    if [ $failed -eq 0 ]; then echo "ALL STEPS PASSED"; else echo "SOME STEPS FAILED"; fi
    if [ -n "${LOGS:-}" ]; then
        grep -hE "(Test run with [0-9]+ tests?|Executed [0-9]+ tests?)" "$LOGS/swift-test" 2>/dev/null | tail -n 2
        grep -hE "^=+ .*(passed|failed|error|no tests ran).* =+$" "$LOGS/pytest" 2>/dev/null | tail -n 1
    fi
    exit $failed
}

python_env() {
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$VENV"
        if ! python3 -m venv "$VENV"; then
            # Debian ships venv's ensurepip separately.
            rm -rf "$VENV"
            if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
                apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
                    && python3 -m venv "$VENV" || return 1
            else
                echo "python3 -m venv failed; install python3-venv" >&2
                return 1
            fi
        fi
    fi
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
}

# Tests/Conformance/test_metrics.py scrapes apus with a real Prometheus (Debian's package); installed like
# python3-venv when missing and root, otherwise that test skips and says why.
prometheus_tool() {
    command -v prometheus >/dev/null && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
            >/dev/null || echo "could not install prometheus; test_metrics.py's Prometheus test will skip" >&2
    else
        echo "prometheus not installed and not root; test_metrics.py's Prometheus test will skip" >&2
    fi
    return 0
}

# test_alerts.py routes Apus's alerts through a real Alertmanager (Debian's prometheus-alertmanager); without it
# that test skips, so this step never fails the run.
alertmanager_pkg() {
    if command -v prometheus-alertmanager >/dev/null; then return 0; fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            prometheus-alertmanager >/dev/null && return 0
    fi
    echo "prometheus-alertmanager is not installed and cannot be installed here: test_alerts.py's Alertmanager test will skip" >&2
    return 0
}

step "python venv (${PY_PACKAGES[*]})" python_env || finish
step "prometheus (for the /metrics conformance test)" prometheus_tool
step "prometheus-alertmanager (Debian package)" alertmanager_pkg
step "swift build" swift build || finish
APUS_BIN="$(swift build --show-bin-path)/apus"
export APUS_BIN
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

# logged NAME COMMAND...: run with output also kept in $LOGS/NAME, keeping the command's exit code.
logged() {
    local name=$1
    shift
    "$@" 2>&1 | tee "$LOGS/$name"
    return "${PIPESTATUS[0]}"
}

step "swift test" logged swift-test timeout 1800 swift test
# Failed tests keep their broker data dirs (pytest's tmp_path) for a look; passed ones do not pile up (every broker
# allocates its log 32 MiB ahead of the appender).
step "conformance (pytest, APUS_BIN=$APUS_BIN)" \
    logged pytest timeout 900 "$VENV/bin/python" -m pytest Tests/Conformance -v --tb=short -p no:cacheprovider \
        -o tmp_path_retention_policy=failed
finish
