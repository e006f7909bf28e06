#!/bin/sh
# dtu-install bootstrap: sets up a Mac for DTU courses.
#
#   curl -fsSL https://github.com/dtudk/dtu-install/releases/latest/download/install.sh | bash
#   curl -fsSL .../install.sh | bash -s -- run --yes      # arguments go to dtu-install
#
# What it does, in order (docs/bootstrap.md):
#   1. refuses to run as root (the installer asks for admin rights itself, per step);
#   2. finds the Mac's NATIVE architecture, also from a Terminal running under Rosetta 2;
#   3. makes sure the Xcode Command Line Tools are there (they provide /usr/bin/python3);
#   4. downloads the single-file dtu-install (a Python zipapp) over HTTPS with retries and
#      checks its sha256;
#   5. runs it with /usr/bin/python3 (natively, not under Rosetta), passing the arguments on.
# With `run --bundle DIR` (an offline bundle made by `dtu-install bundle`), step 4 takes the
# zipapp from DIR instead (checked against DIR/dtu-install.pyz.sha256): no network at all.
#
# POSIX sh: it runs the same under `bash`, `zsh` and `sh`. Settings (environment):
#   DTU_INSTALL_BASE_URL  where dtu-install.pyz and dtu-install.pyz.sha256 are published
#   DTU_INSTALL_SHA256    a pinned sha256 for the zipapp (else the published .sha256 is used)
#   DTU_INSTALL_PYTHON    the Python to run it with (default /usr/bin/python3)
#   NONINTERACTIVE=1 / CI=true   never prompt

set -eu

BASE_URL="${DTU_INSTALL_BASE_URL:-https://github.com/dtudk/dtu-install/releases/latest/download}"
SUPPORT_URL="https://pythonsupport.dtu.dk/install/"
PYZ_NAME="dtu-install.pyz"
PYTHON="${DTU_INSTALL_PYTHON:-/usr/bin/python3}"
CACHE_DIR="${HOME}/Library/Caches/dtu-install"
# Homebrew/install `install.sh`: the CLT are there when their git is (a macOS upgrade can
# leave `xcode-select -p` naming a broken install), and this placeholder file makes
# `softwareupdate -l` list them.
CLT_DIR="/Library/Developer/CommandLineTools"
CLT_PLACEHOLDER="/tmp/.com.apple.dt.CommandLineTools.installondemand.in-progress"
CLT_LIST_SECONDS=300  # how long `softwareupdate -l` may take before it is cut off
CLT_WAIT_SECONDS=1800 # how long to wait for the GUI installer of the Command Line Tools
# Where Apple offers the Command Line Tools when Software Update does not (seen on macOS 26.1,
# Homebrew/install issue 1090); Homebrew/brew `Library/Homebrew/os/mac/xcode.rb` sends people
# to the same page (APPLE_DEVELOPER_DOWNLOAD_URL).
APPLE_DOWNLOADS="https://developer.apple.com/download/all/"
DOWNLOAD_ATTEMPTS=4
# curl exit codes worth another attempt: resolve/connect failures, a transfer cut short,
# a timeout, an empty reply, send/receive errors. Anything else (a refused protocol, a 404,
# a bad certificate) fails the same way every time.
TRANSIENT_CURL_EXITS=" 6 7 18 28 52 55 56 "

# Look up tools through PATH first (so they can be replaced), then the system's own places.
PATH="${PATH}:/usr/bin:/bin:/usr/sbin:/sbin"
export PATH

say() { printf '%s\n' "$*"; }
warn() { printf 'dtu-install: %s\n' "$*" >&2; }
die() {
  warn "$*"
  warn "If you need help, see ${SUPPORT_URL}"
  exit 1
}

noninteractive() {
  case "${NONINTERACTIVE:-}${CI:-}${GITHUB_ACTIONS:-}" in
    "" | 0 | false) ;;
    *) return 0 ;;
  esac
  # `curl | bash` makes stdin the script itself; a terminal is reachable only via /dev/tty.
  ! { : </dev/tty; } 2>/dev/null
}

refuse_root() {
  if [ "$(id -u)" -eq 0 ]; then
    die "do not run this with sudo or as root: run it as yourself; it asks for your password only for the steps that need it."
  fi
}

check_macos() {
  os=$(uname -s)
  [ "$os" = "Darwin" ] || die "this installer is for macOS; this computer runs ${os}."
}

# The native architecture. A Terminal (or a shell) running under Rosetta 2 reports x86_64
# from `uname -m` on an Apple-silicon Mac; `sysctl.proc_translated` = 1 gives it away, and
# `hw.optional.arm64` = 1 says the hardware is arm64 whatever this process runs as.
# (The original scripts used `uname -m` alone and gave such Macs Intel builds.)
native_arch() {
  machine=$(uname -m)
  case "$machine" in
    arm64 | aarch64) echo arm64 ;;
    x86_64)
      if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = "1" ] ||
        [ "$(sysctl -n hw.optional.arm64 2>/dev/null || echo 0)" = "1" ]; then
        echo arm64
      else
        echo x86_64
      fi
      ;;
    *) die "unsupported processor architecture: ${machine}" ;;
  esac
}

have_clt() {
  xcode-select -p >/dev/null 2>&1 && [ -e "${CLT_DIR}/usr/bin/git" ] && [ -x "$PYTHON" ]
}

clt_by_hand() {
  warn "Get the Command Line Tools from Apple instead:"
  warn "  1. Open ${APPLE_DOWNLOADS} in a web browser and sign in with your Apple ID."
  warn "  2. Search for \"Command Line Tools\" and download the newest \"Command Line Tools for Xcode\" for your macOS."
  warn "  3. Open the downloaded .dmg file and run the installer in it."
  warn "  4. Paste the same line into Terminal again."
}

# `softwareupdate -l` into the file $1, cut off after CLT_LIST_SECONDS (it can hang for a
# long time when Apple's server does not answer). Returns 1 when it was cut off.
list_updates() {
  softwareupdate -l >"$1" 2>&1 &
  lister=$!
  (
    waited=0
    while kill -0 "$lister" 2>/dev/null; do
      if [ "$waited" -ge "$CLT_LIST_SECONDS" ]; then
        : >"$1.cut-off"
        kill "$lister" 2>/dev/null
        sleep 1
        kill -9 "$lister" 2>/dev/null
        exit 0
      fi
      sleep 1
      waited=$((waited + 1))
    done
  ) >/dev/null 2>&1 &
  watchdog=$!
  wait "$lister" || true
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
  if [ -e "$1.cut-off" ]; then
    rm -f "$1.cut-off"
    return 1
  fi
}

# The newest Command Line Tools label in the listing $1, by the `Version:` of the `Title:`
# line under each `* Label:` line; betas only when nothing else is offered. Homebrew's
# installer sorts the labels with `sort -V`, which puts Xcode 26's "Command Line Tools for
# Xcode 26.0-26.0" before "...for Xcode-16.4" (space < dash). The same program is in
# recipes/xcode-clt.yaml (a test keeps the two equal).
newest_clt_label() {
  # >>> newest Command Line Tools label (the same program is in recipes/xcode-clt.yaml) >>>
  awk '
    function newer(a, b,    x, y, n, m, i) {
      n = split(a, x, "."); m = split(b, y, ".")
      for (i = 1; i <= n || i <= m; i++)
        if (x[i] + 0 != y[i] + 0) return x[i] + 0 > y[i] + 0
      return 0
    }
    /^[ \t]*\*[ \t]*Label:/ { label = $0; sub(/^[ \t]*\*[ \t]*Label:[ \t]*/, "", label); next }
    label != "" {
      if (label ~ /Command Line Tools/ && match($0, /Version:[ \t]*[0-9][0-9.]*/)) {
        version = substr($0, RSTART, RLENGTH); sub(/^Version:[ \t]*/, "", version)
        rank = (label ~ /[Bb]eta/) ? 0 : 1
        if (best == "" || rank > best_rank || (rank == best_rank && newer(version, best_version))) {
          best = label; best_version = version; best_rank = rank
        }
      }
      label = ""
    }
    END { if (best != "") print best }
  ' "$1"
  # <<< newest Command Line Tools label <<<
}

# Headless install, as Homebrew's installer does it (Homebrew/install `install.sh`): the
# placeholder file makes `softwareupdate -l` list the Command Line Tools; install the newest.
install_clt_headless() {
  say "Installing the Xcode Command Line Tools (this takes a few minutes; your password may be asked)..."
  mkdir -p "$CACHE_DIR" || die "could not create ${CACHE_DIR}."
  listing="${CACHE_DIR}/softwareupdate-list.txt"
  sudo_cmd touch "$CLT_PLACEHOLDER"
  label=""
  cut_off=0
  if list_updates "$listing"; then
    label=$(newest_clt_label "$listing")
  else
    cut_off=1
    warn "softwareupdate -l timed out: Software Update gave no answer within ${CLT_LIST_SECONDS} s (is this Mac online?)."
  fi
  rm -f "$listing"
  # Not `status`: zsh (`curl ... | zsh`) has it as a read-only alias of `$?`.
  installed=1
  if [ -n "$label" ]; then
    say "Found: ${label}"
    if sudo_cmd softwareupdate -i "$label"; then
      sudo_cmd xcode-select --switch "$CLT_DIR" || true
      installed=0
    fi
  elif [ "$cut_off" -eq 0 ]; then
    warn "Software Update offers no Command Line Tools for this Mac."
  fi
  sudo_cmd rm -f "$CLT_PLACEHOLDER" || true
  return "$installed"
}

# The GUI installer: only with a person at the screen; wait until it has finished.
install_clt_gui() {
  say "A window asks to install the Command Line Tools: click Install, then wait here."
  say "If the window says the software is not available, follow these steps while this waits:"
  clt_by_hand 2>&1
  xcode-select --install >/dev/null 2>&1 || true
  waited=0
  until have_clt; do
    [ "$waited" -lt "$CLT_WAIT_SECONDS" ] || return 1
    sleep 5
    waited=$((waited + 5))
  done
}

sudo_cmd() {
  if noninteractive; then
    sudo -n "$@"
  else
    # The redirect is for sudo's own password prompt (stdin may be the piped script).
    # shellcheck disable=SC2024
    sudo "$@" </dev/tty
  fi
}

ensure_clt() {
  if have_clt; then
    return 0
  fi
  install_clt_headless || {
    if noninteractive; then
      clt_by_hand
      die "could not install the Xcode Command Line Tools without a person at the screen: install them from ${APPLE_DOWNLOADS} as above (or run: xcode-select --install), then run this again."
    fi
    install_clt_gui || {
      clt_by_hand
      die "the Command Line Tools were not installed: install them from ${APPLE_DOWNLOADS} as above, then run this again."
    }
  }
  if ! have_clt; then
    [ -e "${CLT_DIR}/usr/bin/git" ] || {
      clt_by_hand
      die "the Command Line Tools installation left no ${CLT_DIR}/usr/bin/git: install them from ${APPLE_DOWNLOADS} as above, then run this again."
    }
    die "the Command Line Tools are installed but ${PYTHON} does not work."
  fi
}

sha256_of() {
  if command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    sha256sum "$1" | cut -d ' ' -f 1
  fi
}

# HTTPS only (also after redirects), TLS 1.2+, curl's own retries for HTTP 429/5xx and
# timeouts, and an outer loop for what curl does not retry (a connection cut mid-file).
fetch() {
  url=$1
  out=$2
  attempt=1
  while :; do
    code=0
    http=$(curl --fail --silent --show-error --location --proto '=https' --proto-redir '=https' \
      --tlsv1.2 --connect-timeout 15 --max-time 300 --retry 3 --retry-delay 2 \
      --write-out '%{http_code}' --output "$out" "$url") || code=$?
    [ "$code" -ne 0 ] || return 0
    rm -f "$out"
    case "$TRANSIENT_CURL_EXITS" in
      *" $code "*) ;;
      *) return 1 ;;
    esac
    [ "$attempt" -lt "$DOWNLOAD_ATTEMPTS" ] || return 1
    warn "download of ${url} failed (attempt ${attempt} of ${DOWNLOAD_ATTEMPTS}); trying again"
    sleep $((attempt * 2))
    attempt=$((attempt + 1))
  done
}

# These two set variables (`want`, `pyz`) instead of printing them: called as `$(...)`, a
# `die` ends only that subshell, and bash does not apply `set -e` inside one, so a failed
# checksum download went on with an empty checksum and printed a second, misleading error.
# Why the download of $1 failed, in plain words, from curl's exit code ($code) and the
# HTTP status ($http) that fetch left behind: "check your internet connection" alone sent
# students with a full disk or a missing release looking at their Wi-Fi.
# (curl's exit codes: https://curl.se/libcurl/c/libcurl-errors.html)
download_failed() {
  case "$code" in
    6) why="the server's name could not be looked up (DNS); check your internet connection." ;;
    5 | 7 | 18 | 28 | 52 | 55 | 56) why="the connection failed or broke off; check your internet connection and try again." ;;
    22) case "$http" in
      404) why="the server has no such file (HTTP 404); the release may be missing or the address wrong." ;;
      5* | 429) why="the server is having problems (HTTP ${http}); try again in a few minutes." ;;
      *) why="the server refused it (HTTP ${http})." ;;
    esac ;;
    23) why="it could not be saved in ${CACHE_DIR}; is the disk full?" ;;
    1) why="it is not offered over HTTPS (the address, or one the server redirected to, is plain HTTP), and only HTTPS is accepted." ;;
    35 | 51 | 53 | 54 | 58 | 59 | 60 | 77 | 80 | 83 | 90 | 91) why="the secure (HTTPS) connection could not be verified; a network that intercepts web traffic (some public or company Wi-Fi) does this; try another network." ;;
    *) why="curl failed (exit ${code}); check your internet connection." ;;
  esac
  die "could not download $1: ${why}"
}

expected_sha256() {
  if [ -n "${DTU_INSTALL_SHA256:-}" ]; then
    want=$DTU_INSTALL_SHA256
    return 0
  fi
  fetch "${BASE_URL}/${PYZ_NAME}.sha256" "${CACHE_DIR}/${PYZ_NAME}.sha256.part" ||
    download_failed "${BASE_URL}/${PYZ_NAME}.sha256"
  want=$(cut -d ' ' -f 1 <"${CACHE_DIR}/${PYZ_NAME}.sha256.part")
  rm -f "${CACHE_DIR}/${PYZ_NAME}.sha256.part"
}

# Sets `pyz` to a verified zipapp; reuses the cached one when its sha256 still matches.
get_zipapp() {
  mkdir -p "$CACHE_DIR" || die "could not create ${CACHE_DIR}."
  pyz="${CACHE_DIR}/${PYZ_NAME}"
  expected_sha256
  case "$want" in
    *[!0-9a-f]* | "") die "the published checksum is not a sha256: '${want}'" ;;
  esac
  [ "${#want}" -eq 64 ] || die "the published checksum is not a sha256: '${want}'"
  if [ -f "$pyz" ] && [ "$(sha256_of "$pyz")" = "$want" ]; then
    return 0
  fi
  fetch "${BASE_URL}/${PYZ_NAME}" "${pyz}.part" ||
    download_failed "${BASE_URL}/${PYZ_NAME}"
  got=$(sha256_of "${pyz}.part")
  if [ "$got" != "$want" ]; then
    rm -f "${pyz}.part"
    die "the downloaded dtu-install is damaged (sha256 ${got}, expected ${want}); nothing was run."
  fi
  mv -f "${pyz}.part" "$pyz" || die "could not put the download in place as ${pyz}."
}

# The DIR of a `--bundle DIR` (or `--bundle=DIR`) among the arguments, or nothing.
bundle_arg() {
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --bundle) printf '%s\n' "${2:-}"; return 0 ;;
      --bundle=*) printf '%s\n' "${1#--bundle=}"; return 0 ;;
    esac
    shift
  done
}

# Sets `pyz` to the bundle's zipapp, verified against the bundle's own checksum line.
get_bundled_zipapp() {
  pyz="$1/${PYZ_NAME}"
  [ -f "$pyz" ] || die "the bundle $1 has no ${PYZ_NAME}; make it with the zipapp (python3 ${PYZ_NAME} bundle ...)."
  [ -f "${pyz}.sha256" ] || die "the bundle $1 has no ${PYZ_NAME}.sha256 to check ${PYZ_NAME} against."
  want=$(cut -d ' ' -f 1 <"${pyz}.sha256")
  got=$(sha256_of "$pyz")
  [ "$got" = "$want" ] || die "${pyz} is damaged (sha256 ${got}, the bundle says ${want}); nothing was run."
}

# Ctrl-C (or a closed Terminal window) before dtu-install starts: remove the partial
# download and say what happened, instead of stopping silently and leaving a .part file in
# the cache. 130 (128 + SIGINT) is also what dtu-install exits with when interrupted.
interrupted() {
  trap - INT TERM HUP
  rm -f "${CACHE_DIR}/${PYZ_NAME}.part" "${CACHE_DIR}/${PYZ_NAME}.sha256.part"
  warn "interrupted; nothing was started. Paste the same line again to start over."
  warn "If you need help, see ${SUPPORT_URL}"
  exit 130
}

main() {
  trap interrupted INT TERM HUP
  refuse_root
  check_macos
  arch=$(native_arch)
  translated=$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)
  if [ "$translated" = "1" ]; then
    say "This Mac: Apple silicon (arm64); this Terminal runs under Rosetta, dtu-install will not."
  else
    say "This Mac: ${arch}"
  fi
  ensure_clt
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null ||
    die "${PYTHON} is older than Python 3.9; update macOS or the Command Line Tools."
  bundle=$(bundle_arg "$@")
  if [ -n "$bundle" ]; then
    get_bundled_zipapp "$bundle"
  else
    get_zipapp
  fi
  [ "$#" -gt 0 ] || set -- run # no arguments: install the default profile
  set -- "$PYTHON" "$pyz" "$@"
  # Run the native Python: under Rosetta it would otherwise run as x86_64. Prepended to the
  # argument list, not kept in a variable expanded unquoted: zsh does not split words.
  if [ "$arch" = "arm64" ] && [ "$translated" = "1" ]; then
    set -- arch -arm64 "$@"
  fi
  if noninteractive || [ -t 0 ]; then
    exec "$@"
  fi
  # Piped from curl: give dtu-install the terminal for its questions.
  exec "$@" </dev/tty
}

main "$@"
