#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine (run as root): Debian packages, a virtual
# environment at .venv, and the pinned Python packages. A second run does nothing slow.
#   scripts/setup.sh          what the kiosk needs
#   scripts/setup.sh test     plus what the tests need
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"

APT_PACKAGES=(
  pcscd vsmartcard-vpcd libpcsclite-dev swig   # PC/SC stack + what pyscard builds with
  gcc python3-dev python3-venv                 # building pyscard; Debian's venv module
  fonts-wqy-zenhei                             # CJK font: 长辈模式 big text, receipt PNGs
  cups printer-driver-cups-pdf libcups2-dev    # A4 printer: CUPS (emulated: private cupsd + cups-pdf); pycups builds on libcups
  tmux                                         # the real-terminal test; handy over SSH
  espeak-ng sox                                # spoken prompts; WAV durations
  kitty xterm                                  # the kiosk's terminal (font size by 长辈模式)
  libjemalloc2                                 # the kiosk's allocator: flat memory 24/7 (kiosk/allocator.py)
)
# The tests also run the reference platform server on a throwaway PostgreSQL cluster, and
# screenshot the kiosk in a real terminal on a virtual X screen.
[[ $extra == test ]] && APT_PACKAGES+=(postgresql xvfb imagemagick x11-apps xauth)
# The operators' console tests drive a real headless browser through selenium.
[[ $extra == test ]] && APT_PACKAGES+=(chromium chromium-driver)
# The shipped systemd units (deploy/) are checked with systemd-analyze verify.
[[ $extra == test ]] && APT_PACKAGES+=(systemd)
# Certificates: PDFs to text and PNG (pdftotext, pdftoppm, pdfsig); their verification page
# runs in the same headless browser.
[[ $extra == test ]] && APT_PACKAGES+=(poppler-utils)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root for apt-get (or install them by hand): ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python="$candidate"; break
  fi
done
[[ -n $python ]] || { echo "setup: Python 3.11 is required" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $python" >&2
  "$python" -m venv .venv
fi

target="."
[[ $extra == test ]] && target=".[test,postgres]"
stamp=".venv/.stamp-${extra:-base}"
want="$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)"
# The test set-up includes everything the kiosk needs, so it satisfies a plain set-up too.
if [[ -z $extra && -f .venv/.stamp-test && $(cat .venv/.stamp-test) == "$want" ]]; then
  stamp=.venv/.stamp-test
fi
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: installing Python packages ($target)" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check "pip==25.3"
  .venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e "$target"
  echo "$want" > "$stamp"
fi
# Bytecode for the kiosk's own package (pip compiled the rest): the editable install ships
# none, and with PYTHONDONTWRITEBYTECODE set every start would compile it again (~20 ms).
.venv/bin/python -m compileall -q -j 0 kiosk >/dev/null
