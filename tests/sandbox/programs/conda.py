#!@HOST_PYTHON@
"""conda as the Mac sandbox's Miniforge installs it (@@PREFIX@@ is the install prefix).

It behaves like conda where dtu-install's recipes and doctor touch it, with conda's own
texts (conda/conda): `--version`; `init zsh bash` writes the marked blocks of
conda/core/initialize.py `_bashrc_content` to $ZDOTDIR/.zshrc (else ~/.zshrc) and, on macOS,
~/.bash_profile, and prints `print_plan_results`' lines (`init --reverse` removes every
`conda initialize` block, `init_sh_user` with reverse=True); `shell.zsh hook` / `shell.bash hook`;
`config --set/--show` (unknown keys: CondaKeyError "unknown parameter",
conda/cli/condarc.py); `install` fetches the channel's repodata.json from
$CONDA_CHANNEL_ALIAS (conda reads CONDA_<KEY> variables as settings; default
https://conda.anaconda.org) and fails on a network error with CondaHTTPError's text
(conda/exceptions.py, conda/gateways/repodata/__init__.py).
"""

import http.client
import json
import os
import re
import ssl
import sys
import urllib.error
import urllib.request

PREFIX = "@@PREFIX@@"
VERSION = "@CONDA_VERSION@"
KNOWN_KEYS = ("channel_priority", "auto_activate_base", "channels", "solver", "channel_alias")
PYTHONS = {"3.12": "@PYTHON312@", "3.13": "@PYTHON313@"}
SUBDIR = "osx-@SUBDIR_ARCH@"


def err(text):
    sys.stderr.write(f"\n{text}\n")
    return 1


def block(shell):
    conda_exe = f"{PREFIX}/bin/conda"
    return (
        "# >>> conda initialize >>>\n"
        "# !! Contents within this block are managed by 'conda init' !!\n"
        f"__conda_setup=\"$('{conda_exe}' 'shell.{shell}' 'hook' 2> /dev/null)\"\n"
        "if [ $? -eq 0 ]; then\n"
        '    eval "$__conda_setup"\n'
        "else\n"
        f'    if [ -f "{PREFIX}/etc/profile.d/conda.sh" ]; then\n'
        f'        . "{PREFIX}/etc/profile.d/conda.sh"\n'
        "    else\n"
        f'        export PATH="{PREFIX}/bin:$PATH"\n'
        "    fi\n"
        "fi\n"
        "unset __conda_setup\n"
        "# <<< conda initialize <<<\n"
    )


def init(shells, reverse=False):
    home = os.environ["HOME"]
    targets = []
    for shell in shells:
        if shell == "zsh":
            base = os.environ.get("ZDOTDIR") or home
            targets.append((os.path.join(base, ".zshrc"), "zsh"))
        elif shell == "bash":
            targets.append((os.path.join(home, ".bash_profile"), "bash"))
        else:
            return err(f"CondaValueError: Invalid shell: {shell}")
    lines = []
    changed = False
    for path, shell in targets:
        try:
            with open(path) as f:
                content = f.read()
        except FileNotFoundError:
            content = ""
        pattern = re.compile(
            r"^# >>> conda initialize >>>\n.*?# <<< conda initialize <<<\n?", re.M | re.S
        )
        if reverse:  # init_sh_user: every conda initialize block goes, whoever wrote it
            new = re.sub(
                r"^\s*# >>> conda initialize >>>\n[\s\S]*?# <<< conda initialize <<<\n?",
                "",
                content,
                flags=re.M | re.S,
            )
        else:
            new = (
                pattern.sub(block(shell), content)
                if pattern.search(content)
                else content + "\n" + block(shell)
            )
        if new != content:
            with open(path, "w") as f:
                f.write(new)
            changed = True
            lines.append(f"{'modified':<14}{path}")
        else:
            lines.append(f"{'no change':<14}{path}")
    print("\n".join(lines))
    print(
        "\n==> For changes to take effect, close and re-open your current shell. <==\n"
        if changed
        else "No action taken."
    )
    return 0


def condarc_path():
    return os.path.join(os.environ["HOME"], ".condarc")


def read_condarc():
    values = {}
    try:
        with open(condarc_path()) as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep and not line.startswith(" "):
                    values[key.strip()] = value.strip()
    except FileNotFoundError:
        pass
    return values


def config(args):
    if args[:1] == ["--set"] and len(args) == 3:
        key, value = args[1], args[2]
        if key not in KNOWN_KEYS:
            return err(f"CondaKeyError: '{key}': unknown parameter")
        values = read_condarc()
        values[key] = value
        with open(condarc_path(), "w") as f:
            f.writelines(f"{k}: {v}\n" for k, v in values.items())
        return 0
    if args[:1] == ["--show"]:
        unknown = [k for k in args[1:] if k not in KNOWN_KEYS]
        if unknown:
            return err(
                "ArgumentError: Invalid configuration parameters: \n"
                + "".join(f"  - {k}\n" for k in unknown)
            )
        values = read_condarc()
        for key in args[1:]:
            print(f"{key}: {values.get(key, 'None')}")
        return 0
    return err("ArgumentError: conda config: give --set KEY VALUE or --show KEY")


def repodata_url():
    alias = os.environ.get("CONDA_CHANNEL_ALIAS", "https://conda.anaconda.org").rstrip("/")
    return f"{alias}/conda-forge/{SUBDIR}/repodata.json"


def fetch_repodata():
    url = repodata_url()
    context = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE") or None)
    try:
        with urllib.request.urlopen(url, timeout=20, context=context) as answer:
            json.loads(answer.read())
        return None
    except urllib.error.HTTPError as exc:
        status, reason = exc.code, exc.reason
    except (OSError, ValueError, http.client.HTTPException):
        # No answer, a connection cut mid-file, garbage: conda wraps them all in
        # CondaHTTPError with status 000.
        status, reason = "000", "CONNECTION FAILED"
    channel = url.rsplit("/", 1)[0]
    return (
        f"CondaHTTPError: HTTP {status} {reason} for url <{url}>\n"
        "Elapsed: -\n\n"
        "An HTTP error occurred when trying to retrieve this URL.\n"
        "HTTP errors are often intermittent, and a simple retry will get you on your way.\n"
        f"'{channel}'\n"
    )


def install(args):
    specs = [a for a in args if not a.startswith("-")]
    print(
        "Channels:\n - conda-forge\nPlatform: "
        + SUBDIR
        + "\nCollecting package metadata (repodata.json): ...working...",
        flush=True,
    )
    problem = fetch_repodata()
    if problem:
        print(" failed")
        return err(problem)
    print(" done\nSolving environment: ...working... done")
    python = "3.13"
    packages = []
    for spec in specs:
        name, _, version = spec.partition("=")
        if name == "python":
            python = version.rstrip("*").rstrip(".") or python
            if python not in PYTHONS:
                return err(
                    "PackagesNotFoundError: The following packages are not available from "
                    f"current channels:\n\n  - python={version}\n"
                )
        else:
            packages.append(name)
    site = f"{PREFIX}/lib/python{python}/site-packages"
    os.makedirs(site, exist_ok=True)
    for name in packages:
        os.makedirs(os.path.join(site, name), exist_ok=True)
        with open(os.path.join(site, name, "__init__.py"), "w") as f:
            f.write(f'"""{name}, as the sandbox\'s conda installs it."""\n')
    wrapper = f"{PREFIX}/bin/python"
    with open(wrapper + ".new", "w") as f:
        f.write(f'#!/bin/sh\nPYTHONNOUSERSITE=1 PYTHONPATH="{site}" exec {PYTHONS[python]} "$@"\n')
    os.chmod(wrapper + ".new", 0o755)
    os.replace(wrapper + ".new", wrapper)
    print(
        "\nDownloading and Extracting Packages: ...working... done\n"
        "Preparing transaction: done\nVerifying transaction: done\nExecuting transaction: done"
    )
    return 0


def hook(shell):
    print(f'export PATH="{PREFIX}/condabin:{PREFIX}/bin:$PATH"')
    print(f'export CONDA_PREFIX="{PREFIX}" CONDA_DEFAULT_ENV=base CONDA_SHLVL=1')
    return 0


def main(argv):
    if argv[:1] in (["--version"], ["-V"]):
        print(f"conda {VERSION}")
        return 0
    if argv[:1] == ["init"]:
        shells = [a for a in argv[1:] if a != "--reverse"]
        return init(shells or ["bash"], reverse="--reverse" in argv[1:])
    if argv[:1] == ["config"]:
        return config(argv[1:])
    if argv[:1] == ["install"]:
        return install(argv[1:])
    if len(argv) == 2 and argv[0].startswith("shell.") and argv[1] == "hook":
        return hook(argv[0][len("shell.") :])
    return err(f"CommandNotFoundError: No command 'conda {' '.join(argv[:1])}'.")


sys.exit(main(sys.argv[1:]))
