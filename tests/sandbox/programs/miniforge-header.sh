#!/bin/sh
# Miniforge3 @VERSION@ (MacOSX-@ARCH@) as the Mac sandbox's upstream simulator builds it: a
# constructor-style installer (conda/constructor constructor/header.sh): options -b (batch),
# -u (update an existing installation), -p PREFIX, -f, -h; refuses an existing PREFIX without
# -u or -f; the payload follows the header, as in the real file. It installs a base
# environment with Python 3.13 (conda-forge/miniforge Miniforge3/construct.yaml: python 3.13.*)
# and a `conda` that behaves like conda where dtu-install's recipes touch it.
PREFIX="$HOME/miniforge3"
BATCH=0
FORCE=0
USAGE="
usage: $0 [options]

Installs Miniforge3 @VERSION@
-b           run install in batch mode (without manual intervention),
             it is expected the license terms (if any) are agreed upon
-f           no error if install prefix already exists
-h           print this help message and exit
-p PREFIX    install prefix, defaults to $PREFIX, must not contain spaces.
-u           update an existing installation
"
while getopts "bifhkp:su" x; do
    case "$x" in
        h) printf "%s\\n" "$USAGE"; exit 2 ;;
        b) BATCH=1 ;;
        i) BATCH=0 ;;
        f) FORCE=1 ;;
        p) PREFIX="$OPTARG" ;;
        u) FORCE=1 ;;
        k | s) ;;
        ?) printf "ERROR: did not recognize option '%s', please try -h\\n" "$x"; exit 1 ;;
    esac
done
if [ "$BATCH" = "0" ]; then
    printf "\\nWelcome to Miniforge3 @VERSION@\\n\\nIn order to continue the installation process, please review the license\\nagreement.\\nPlease, press ENTER to continue\\n>>> "
    read -r _ || exit 1
fi
case "$(uname -m)" in
    @UNAME@) ;;
    *) printf "WARNING:\\n    Your system is %s, but this installer is for @UNAME@.\\n" "$(uname -m)" >&2 ;;
esac
if [ "$FORCE" = "0" ] && [ -e "$PREFIX" ]; then
    printf "ERROR: File or directory already exists: '%s'\\n" "$PREFIX" >&2
    printf "If you want to update an existing installation, use the -u option.\\n" >&2
    exit 1
fi
if ! mkdir -p "$PREFIX"; then
    printf "ERROR: Could not create directory: '%s'.\\n" "$PREFIX" >&2
    exit 1
fi
PREFIX=$(cd "$PREFIX" && pwd)
printf "PREFIX=%s\\n" "$PREFIX"
printf "Unpacking payload ...\\n"
# The payload is the installer's last @PAYLOAD_BYTES@ bytes; a cut download changes the file
# and so its sha256, which is why the runner never runs an unverified installer.
tail -c @PAYLOAD_BYTES@ "$0" >"$PREFIX/.payload" || exit 1
rm -f "$PREFIX/.payload"
mkdir -p "$PREFIX/bin" "$PREFIX/condabin" "$PREFIX/etc/profile.d" "$PREFIX/conda-meta" \
    "$PREFIX/lib/python3.13/site-packages" || exit 1
cat >"$PREFIX/bin/python" <<PY
#!/bin/sh
PYTHONNOUSERSITE=1 PYTHONPATH="$PREFIX/lib/python3.13/site-packages" exec @PYTHON313@ "\$@"
PY
chmod 755 "$PREFIX/bin/python"
ln -sf python "$PREFIX/bin/python3"
sed -e "s|@@PREFIX@@|$PREFIX|g" >"$PREFIX/bin/conda" <<'CONDA'
@CONDA@
CONDA
chmod 755 "$PREFIX/bin/conda"
ln -sf ../bin/conda "$PREFIX/condabin/conda"
printf 'export PATH="%s/condabin:%s/bin:$PATH"\n' "$PREFIX" "$PREFIX" >"$PREFIX/etc/profile.d/conda.sh"
# write_condarc: True (construct.yaml)
printf 'channels:\n  - conda-forge\n' >"$PREFIX/.condarc"
echo "conda-@CONDA_VERSION@" >"$PREFIX/conda-meta/history"
printf "installation finished.\\n"
exit 0
@@END_HEADER@@
