#!/usr/bin/env bash
# The real Blender program for the real-program test tier: Debian trixie's `blender` (4.3.2,
# Python 3.13) in a chroot, built once and cached outside the repository, plus Xvfb on the host.
# Usage: scripts/real_blender.sh [--print-root]   Builds what is missing; prints the chroot path.
#        scripts/real_blender.sh run [BLENDER ARGS]  Runs that Blender (on $DISPLAY if set, e.g. an Xvfb),
#                                                    with /proc /sys /dev /tmp/.X11-unix mounted for the run.
# The tests drive it from Python instead (devtools/real_blender.py), with an isolated user folder each.
# The Debian archive is the one this machine's apt sources already name (never a hard-coded host).
set -euo pipefail

ROOT=${BMD_REAL_BLENDER_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/blender_movie_director/trixie-blender}
STAMP=$ROOT/.bmd-ready

log() { echo "real-blender: $*" >&2; }

apt_host() {  # install Debian packages on the host when missing (root only)
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "please install: ${missing[*]}"; return 1; fi
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

archive_uri() {  # the first Debian archive URI in the machine's apt sources (deb822 or one-line)
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' \
        | grep -E '/debian/?$' | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | awk '{for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -E '/debian/?$' | head -n1 || true)
  fi
  [ -n "$uri" ] || { log "no Debian archive in /etc/apt/sources*"; return 1; }
  echo "$uri"
}

mounts_inside() {  # mount points under $ROOT (a run in progress, or one that was killed)
  awk -v root="$ROOT/" 'index($2 "/", root) == 1 {print $2}' /proc/self/mounts
}

fixups() {  # small things a minbase chroot lacks; cheap, so done on every call
  [ -e "$ROOT/etc/mtab" ] || ln -s /proc/self/mounts "$ROOT/etc/mtab"  # else Blender warns at start
  mkdir -p "$ROOT/tmp/.X11-unix"
}

build() {
  apt_host debootstrap xvfb x11-apps imagemagick xdotool
  local uri; uri=$(archive_uri)
  log "building Debian trixie chroot with blender in $ROOT (from $uri; a few minutes, once)"
  if [ -n "$(mounts_inside)" ]; then  # never rm -rf through a bind mount of the host's /dev or /proc
    log "still mounted inside $ROOT: $(mounts_inside | tr '\n' ' ')- unmount them first"; return 1
  fi
  rm -rf --one-file-system "$ROOT"; mkdir -p "$(dirname "$ROOT")"
  debootstrap --variant=minbase trixie "$ROOT" "$uri" >"$ROOT.debootstrap.log" 2>&1 \
    || { tail -n 20 "$ROOT.debootstrap.log" >&2; return 1; }
  mount --bind /proc "$ROOT/proc"; trap 'umount "$ROOT/proc" 2>/dev/null || true' RETURN
  chroot "$ROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    blender python3-numpy ca-certificates fonts-dejavu-core >"$ROOT.apt.log" 2>&1 \
    || { tail -n 20 "$ROOT.apt.log" >&2; return 1; }
  chroot "$ROOT" apt-get clean
  fixups
  chroot "$ROOT" blender --version | head -n1 >"$STAMP"
  log "ready: $(cat "$STAMP")"
}

MOUNTED=()
unmount_all() {
  local i
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}"; done
  MOUNTED=()
}

run() {  # chroot blender "$@" with the host's /proc /sys /dev and X socket folder, unmounted after
  trap unmount_all EXIT INT TERM
  local dir
  for dir in /proc /sys /dev /dev/pts /dev/shm /tmp/.X11-unix; do
    [ -d "$dir" ] || continue
    mkdir -p "$ROOT$dir"; mount --bind "$dir" "$ROOT$dir"; MOUNTED+=("$ROOT$dir")
  done
  chroot "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 ${DISPLAY:+DISPLAY=$DISPLAY} blender "$@"
}

if [ ! -f "$STAMP" ]; then build; else apt_host xvfb x11-apps imagemagick xdotool; fixups; fi
case "${1:-}" in
  --print-root) echo "$ROOT" ;;
  run) shift; run "$@"; exit $? ;;
esac
exit 0
