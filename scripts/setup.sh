#!/usr/bin/env bash
# Sets up everything the demo and the tests need on a fresh Debian 12 machine (or any Linux with
# Python 3.11): the system libraries the bpy module loads, and one virtual environment per role,
# as in real life: the client (Blender's side), the Director server on gradio 5.29 (Wan2GP's pin),
# the server on gradio 6, and real Blender (bpy 4.2 LTS, 4.5 LTS and 5.0) as Python modules.
# Usage: scripts/setup.sh [venv ...]   (default: all). Re-running only redoes what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if ! "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
  echo "setup: Python 3.11 is needed (bpy wheels are cp311 only); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

apt_install() {  # only what is missing, only as root, only where apt exists
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: please install these Debian packages: ${missing[*]}" >&2
    return 0
  fi
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if command -v dpkg >/dev/null; then
  "$PYTHON" -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  # the shared libraries `import bpy` needs on a bare Debian 12 (shared/reference B2)
  apt_install libx11-6 libxrender1 libxfixes3 libxi6 libxkbcommon0 libxext6 libsm6 libice6 libgl1 libglx0 \
    libglvnd0 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0
fi

make_venv() {  # name, pip args...
  local name=$1; shift
  local dir=.venv/$name stamp=.venv/$name/.installed
  local want; want=$(printf '%s\n' "$@" | cat - $(printf '%s\n' "$@" | grep -E '\.txt$' || true) | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  echo "setup: venv $name"
  [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
  echo "$want" > "$stamp"
}

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(client server server-gradio6 blender-4.2 blender-4.5 blender-5.0)
for venv in "${wanted[@]}"; do
  case $venv in
    client)         make_venv client -r requirements/client.txt ;;
    server)         make_venv server -r requirements/server.txt ;;
    server-gradio6) make_venv server-gradio6 -r requirements/server-gradio6.txt ;;
    blender-4.2)    make_venv blender-4.2 -r requirements/client.txt bpy==4.2.23 ;;
    blender-4.5)    make_venv blender-4.5 -r requirements/client.txt bpy==4.5.15 ;;
    blender-5.0)    make_venv blender-5.0 -r requirements/client.txt bpy==5.0.1 ;;
    *) echo "setup: unknown venv $venv" >&2; exit 2 ;;
  esac
done
