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

`install`/`create` with a `file://` channel, or with `--offline` (or CONDA_OFFLINE=true), work
as conda does with local channels (conda/conda at 0f64223f):
- channels: `--channel` values, then the .condarc's unless `--override-channels`
  (conda/cli/helpers.py); with --offline every channel that is not `file://` gives empty
  repodata (conda/gateways/repodata/__init__.py: "Returning empty repodata"; conda/models/
  channel.py offline_keep), so a spec only such a channel has is PackagesNotFoundError;
- repodata: `<channel>/<subdir>/repodata.json` and `<channel>/noarch/repodata.json`, records
  under `packages` (.tar.bz2; this stub cannot unpack `.conda`); a channel without them is
  UnavailableInvalidChannel (conda/exceptions.py);
- each package is copied from the channel and checked against the record's size and sha256,
  a mismatch is ChecksumMismatchError with conda's text (conda/gateways/connection/download.py),
  a missing file CondaHTTPError "HTTP 404 FILE NOT FOUND" (conda/gateways/connection/adapters/
  localfs.py answers 404);
- the chosen packages (newest that fits, dependencies by name; virtual `__` packages are the
  machine's) are unpacked and linked into the prefix, `noarch: python` files from
  `site-packages/` into `lib/pythonX.Y/site-packages/`, with `conda-meta/<file stem>.json`;
- `create --name N` makes `<PREFIX>/envs/N` (an existing one is replaced, as `--yes` does).
The env's `bin/python` is the host interpreter of the linked python's version, made to live in
the prefix the way a venv does (a symlink and `pyvenv.cfg`), so that sys.executable and
site-packages are the prefix's, as with conda's own python.
"""

import hashlib
import http.client
import json
import os
import re
import shutil
import ssl
import sys
import tarfile
import urllib.error
import urllib.parse
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


# ------------------------------------------------------------------ local (file://) channels
def parse_args(args):
    opts = {"name": None, "prefix": None, "channels": [], "override": False, "specs": []}
    opts["offline"] = os.environ.get("CONDA_OFFLINE", "").lower() in ("1", "true", "yes")
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-n", "--name", "-p", "--prefix", "-c", "--channel"):
            value = args[i + 1] if i + 1 < len(args) else ""
            if arg in ("-c", "--channel"):
                opts["channels"].append(value)
            else:
                opts["name" if arg in ("-n", "--name") else "prefix"] = value
            i += 2
            continue
        if arg in ("--override-channels", "-O"):
            opts["override"] = True
        elif arg == "--offline":
            opts["offline"] = True
        elif not arg.startswith("-"):
            opts["specs"].append(arg)
        i += 1
    return opts


def condarc_channels():
    channels, inside = [], False
    for path in (os.path.join(PREFIX, ".condarc"), condarc_path()):
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            if line.startswith("channels:"):
                inside = True
            elif inside and line.strip().startswith("- "):
                channels.append(line.strip()[2:].strip())
            else:
                inside = False
    return channels or ["conda-forge"]


def wants_local(args):
    opts = parse_args(args)
    return opts["offline"] or any(c.startswith("file:") for c in opts["channels"])


def _key(version):
    parts = []
    for piece in re.split(r"[._]", version):
        for run in re.findall(r"\d+|[a-z]+", piece.lower()):
            parts.append((1, int(run)) if run.isdigit() else (0, run))
    return parts


def _fits(version, spec_version):
    if not spec_version or spec_version == "*":
        return True
    for alternative in spec_version.split("|"):
        ok = True
        for part in alternative.split(","):
            m = re.match(r"(>=|<=|==|!=|>|<|=)?(.*)", part.strip())
            op, want = m.group(1) or "", m.group(2)
            if want.endswith("*") or op == "=":
                prefix = _key(want.rstrip("*").rstrip("."))
                ok = ok and _key(version)[: len(prefix)] == prefix
                continue
            a, b = _key(version), _key(want)
            n = max(len(a), len(b))
            a, b = a + [(1, 0)] * (n - len(a)), b + [(1, 0)] * (n - len(b))
            ok = ok and {
                ">=": a >= b,
                "<=": a <= b,
                ">": a > b,
                "<": a < b,
                "!=": a != b,
            }.get(op, a == b)
        if ok:
            return True
    return False


def _spec(text):
    text = text.strip()
    m = re.match(r"([A-Za-z0-9_.+-]+)\s*(.*)", text)
    name, rest = m.group(1).lower(), m.group(2).strip()
    if rest.startswith("=") and not rest.startswith("=="):
        rest = rest[1:].split("=")[0] + "*"
    version = rest.split()[0] if rest else ""
    return name, version


def _not_found(missing, urls):
    return err(
        "PackagesNotFoundError: The following packages are not available from current channels:\n\n"
        + "".join(f"  - {m}\n" for m in missing)
        + "\nCurrent channels:\n\n"
        + "".join(f"  - {u}\n" for u in urls)
        + "\nTo search for alternate channels that may provide the conda package you're\n"
        "looking for, navigate to\n\n    https://anaconda.org\n\n"
        "and use the search bar at the top of the page.\n"
    )


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def link_python(target, version):
    short = ".".join(version.split(".")[:2])
    host = PYTHONS.get(short)
    if host is None:
        return False
    os.makedirs(os.path.join(target, "bin"), exist_ok=True)
    with open(os.path.join(target, "pyvenv.cfg"), "w") as f:
        f.write(
            f"home = {os.path.dirname(host)}\ninclude-system-site-packages = false\n"
            f"version = {version}\n"
        )
    python = os.path.join(target, "bin", "python")
    if os.path.lexists(python):
        os.unlink(python)
    os.symlink(host, python)
    os.makedirs(os.path.join(target, "lib", f"python{short}", "site-packages"), exist_ok=True)
    return True


def install_local(sub, args):
    opts = parse_args(args)
    channels = opts["channels"] if opts["override"] else opts["channels"] + condarc_channels()
    alias = os.environ.get("CONDA_CHANNEL_ALIAS", "https://conda.anaconda.org").rstrip("/")
    urls = [c if "://" in c else f"{alias}/{c}" for c in channels]
    if opts["name"]:
        target = os.path.join(PREFIX, "envs", opts["name"])
    else:
        target = opts["prefix"] or PREFIX
    print("Channels:\n" + "".join(f" - {u}\n" for u in urls) + f"Platform: {SUBDIR}")
    print("Collecting package metadata (repodata.json): ...working...", end="", flush=True)
    index = {}
    for url in urls:
        if not url.startswith("file:"):
            if opts["offline"]:
                continue  # conda: empty repodata for a remote channel when offline
            return err(f"sandbox conda: only file:// channels here, not {url}")
        root = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        for subdir in (SUBDIR, "noarch"):
            path = os.path.join(root, subdir, "repodata.json")
            try:
                with open(path) as f:
                    repodata = json.load(f)
            except (OSError, ValueError):
                print(" failed")
                return err(
                    f"UnavailableInvalidChannel: HTTP 404 FILE NOT FOUND for channel {url} "
                    f"<{url}>\n\nThe channel is not accessible or is invalid.\n"
                )
            for fn, rec in (repodata.get("packages") or {}).items():
                index.setdefault(rec["name"], []).append((rec, os.path.join(root, subdir, fn), url))
    print(" done\nSolving environment: ...working...", end="", flush=True)
    chosen, wanted, missing = {}, list(opts["specs"]), []
    while wanted:
        name, version = _spec(wanted.pop(0))
        if name.startswith("__") or name in chosen:
            continue
        fits = [c for c in index.get(name, []) if _fits(c[0]["version"], version)]
        if not fits:
            missing.append(f"{name} {version}".strip())
            continue
        fits.sort(key=lambda c: (_key(c[0]["version"]), c[0].get("build_number", 0)))
        chosen[name] = fits[-1]
        wanted.extend(fits[-1][0].get("depends", []))
    if missing:
        print(" failed")
        return _not_found(missing, urls)
    print(" done\n\nDownloading and Extracting Packages: ...working...", end="", flush=True)
    cache = os.path.join(PREFIX, "pkgs")
    os.makedirs(cache, exist_ok=True)
    for _name, (rec, source, _url) in sorted(chosen.items()):
        fn = os.path.basename(source)
        copy = os.path.join(cache, fn)
        try:
            shutil.copyfile(source, copy + ".partial")
        except FileNotFoundError:
            print(" failed")
            file_url = "file://" + urllib.parse.quote(source)
            return err(
                f"CondaHTTPError: HTTP 404 FILE NOT FOUND for url <{file_url}>\n"
                "Elapsed: -\n\nAn HTTP error occurred when trying to retrieve this URL.\n"
                "HTTP errors are often intermittent, and a simple retry will get you on your way.\n"
            )
        size, actual = os.path.getsize(copy + ".partial"), _sha256(copy + ".partial")
        problem = None
        if actual != rec.get("sha256"):
            problem = ("sha256", rec.get("sha256"), actual)
        elif size != rec.get("size"):
            problem = ("size", rec.get("size"), size)
        if problem:
            os.unlink(copy + ".partial")
            print(" failed")
            file_url = "file://" + urllib.parse.quote(source)
            return err(
                "ChecksumMismatchError: Conda detected a mismatch between the expected content "
                f"and downloaded content\nfor url '{file_url}'.\n"
                f"  download saved to: {copy}\n"
                f"  expected {problem[0]}: {problem[1]}\n  actual {problem[0]}: {problem[2]}\n"
            )
        os.replace(copy + ".partial", copy)
    print(" done\nPreparing transaction: done\nVerifying transaction: done")
    if sub == "create" and os.path.exists(target):
        shutil.rmtree(target)
    if sub == "install" and not os.path.isdir(os.path.join(target, "conda-meta")):
        return err(f"EnvironmentLocationNotFound: Not a conda environment: {target}")
    os.makedirs(os.path.join(target, "conda-meta"), exist_ok=True)
    python = chosen.get("python")
    short = ".".join(python[0]["version"].split(".")[:2]) if python else None
    if python and not link_python(target, python[0]["version"]):
        return err(f"sandbox conda: no host Python {short} to play python {python[0]['version']}")
    for name, (rec, source, url) in sorted(chosen.items()):
        with tarfile.open(os.path.join(cache, os.path.basename(source)), "r:bz2") as tar:
            linked = []
            for member in tar.getmembers():
                if not member.isfile() or member.name.startswith("info/"):
                    continue
                path = member.name
                if rec.get("noarch") == "python" and path.startswith("site-packages/"):
                    if short is None:
                        return err(f"sandbox conda: {name} is noarch: python, but no python")
                    path = f"lib/python{short}/" + path
                dest = os.path.join(target, path)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with tar.extractfile(member) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
                linked.append(path)
        stem = os.path.basename(source)[: -len(".tar.bz2")]
        with open(os.path.join(target, "conda-meta", stem + ".json"), "w") as f:
            json.dump({**rec, "channel": url, "files": linked}, f)
    print("Executing transaction: done")
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
    if argv[:1] in (["install"], ["create"]) and (argv[0] == "create" or wants_local(argv[1:])):
        return install_local(argv[0], argv[1:])
    if argv[:1] == ["install"]:
        return install(argv[1:])
    if len(argv) == 2 and argv[0].startswith("shell.") and argv[1] == "hook":
        return hook(argv[0][len("shell.") :])
    return err(f"CommandNotFoundError: No command 'conda {' '.join(argv[:1])}'.")


sys.exit(main(sys.argv[1:]))
