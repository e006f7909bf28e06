#!/bin/bash
# Homebrew's installer as the Mac sandbox's upstream simulator serves it. It does what
# Homebrew/install install.sh does where it matters to dtu-install: it refuses to run as
# root ("Don't run this as root!"), takes NONINTERACTIVE, checks sudo with `/usr/bin/sudo -n
# -v` when non-interactive, and chooses its prefix from `/usr/bin/uname -m` alone: arm64 ->
# /opt/homebrew, anything else (an x86_64 process under Rosetta too) -> /usr/local with the
# repository in /usr/local/Homebrew. Commit: @COMMIT@.
set -u
abort() { printf "%s\n" "$@" >&2; exit 1; }
ohai() { printf "==> %s\n" "$*"; }
[[ "$(uname)" == "Darwin" ]] || abort "Homebrew is only supported on macOS and Linux."
UNAME_MACHINE="$(/usr/bin/uname -m)"
if [[ "${UNAME_MACHINE}" == "arm64" ]]; then
  HOMEBREW_PREFIX="/opt/homebrew"
  HOMEBREW_REPOSITORY="${HOMEBREW_PREFIX}"
else
  HOMEBREW_PREFIX="/usr/local"
  HOMEBREW_REPOSITORY="${HOMEBREW_PREFIX}/Homebrew"
fi
[[ "${EUID:-${UID}}" == "0" ]] && abort "Don't run this as root!"
if [[ -n "${NONINTERACTIVE-}" ]]; then
  # shellcheck disable=SC2016
  ohai 'Running in non-interactive mode because `$NONINTERACTIVE` is set.'
  /usr/bin/sudo -n -v 2>/dev/null || abort "Need sudo access on macOS (e.g. the user ${USER:-} needs to be an Administrator)!"
fi
ohai "This script will install:"
echo "${HOMEBREW_PREFIX}/bin/brew"
ohai "Downloading and installing Homebrew..."
/usr/bin/sudo -n /bin/mkdir -p "${HOMEBREW_REPOSITORY}/bin" "${HOMEBREW_PREFIX}/bin" || abort "Failed during: mkdir ${HOMEBREW_PREFIX}"
cat >"${HOMEBREW_REPOSITORY}/bin/brew" <<BREW
#!/bin/sh
case "\${1:-}" in
  --version) echo "Homebrew 4.6.20" ;;
  shellenv)
    echo "export HOMEBREW_PREFIX=\"${HOMEBREW_PREFIX}\";"
    echo "export HOMEBREW_CELLAR=\"${HOMEBREW_PREFIX}/Cellar\";"
    echo "export HOMEBREW_REPOSITORY=\"${HOMEBREW_REPOSITORY}\";"
    echo "export PATH=\"${HOMEBREW_PREFIX}/bin:${HOMEBREW_PREFIX}/sbin:\\\$PATH\";"
    ;;
  *) echo "Example usage:"; echo "  brew search TEXT|/REGEX/" ;;
esac
BREW
chmod 755 "${HOMEBREW_REPOSITORY}/bin/brew"
if [[ "${HOMEBREW_REPOSITORY}" != "${HOMEBREW_PREFIX}" ]]; then
  ln -sf "../Homebrew/bin/brew" "${HOMEBREW_PREFIX}/bin/brew"
fi
ohai "Installation successful!"
ohai "Next steps:"
echo "- Run these commands in your terminal to add Homebrew to your PATH:"
echo "    echo >> ${HOME}/.zprofile"
echo "    echo 'eval \"\$(${HOMEBREW_PREFIX}/bin/brew shellenv zsh)\"' >> ${HOME}/.zprofile"
