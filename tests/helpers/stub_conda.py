"""A stub `conda` for course-environment and uninstall tests: it does on disk what conda's
commands do, from their documented behaviour, without the network.

- `conda create --name N ... SPECS` makes `<prefix>/envs/N/` with `conda-meta/` and a
  `bin/python`; `conda install --name N ... SPECS` adds packages to it. Each spec's package
  becomes an importable empty module, and `python 3.12.*` the version the env's python
  reports (the stub python runs the real interpreter with `sys.version_info` set to it).
- `python -m ipykernel install --user --name N --display-name D` writes the kernel spec
  where jupyter_client puts it: `<jupyter data dir>/kernels/<n lower-cased>/kernel.json`,
  argv[0] = that python (jupyter/jupyter_client, jupyter_client/kernelspec.py).
- `conda init [--reverse] SHELLS` adds / removes the `# >>> conda initialize >>>` block
  in ~/.zshrc and ~/.bash_profile (conda/conda, conda/core/initialize.py).
`STUB_CONDA_FAIL=MESSAGE` makes every call print MESSAGE and exit 1.
Every call is appended to `<prefix>/calls.log`, one JSON argv per line.
"""

from __future__ import annotations

import sys
from pathlib import Path

CONDA = r"""#!PYTHON
import json, os, re, sys
from pathlib import Path

PREFIX = Path(__file__).resolve().parent.parent
with open(PREFIX / "calls.log", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
home = Path(os.environ["HOME"])
BEGIN, END = "# >>> conda initialize >>>", "# <<< conda initialize <<<"
if os.environ.get("STUB_CONDA_FAIL"):
    print(os.environ["STUB_CONDA_FAIL"], file=sys.stderr)
    sys.exit(1)
if args[:1] == ["init"]:
    reverse = "--reverse" in args
    for rc in (home / ".zshrc", home / ".bash_profile"):
        text = rc.read_text() if rc.exists() else ""
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", "", text, flags=re.S)
        if not reverse:
            hook = f"__conda_setup=\"$('{PREFIX}/bin/conda' 'shell.bash' 'hook')\""
            text += f"{BEGIN}\n{hook}\n{END}\n"
        rc.write_text(text)
    sys.exit(0)
if args[:1] in (["create"], ["install"]):
    name = args[args.index("--name") + 1]
    env = PREFIX / "envs" / name
    if args[0] == "create" and env.exists():
        print(f"prefix already exists: {env}", file=sys.stderr)
        sys.exit(1)
    if args[0] == "install" and not env.exists():
        print(f"EnvironmentLocationNotFound: {env}", file=sys.stderr)
        sys.exit(1)
    (env / "conda-meta").mkdir(parents=True, exist_ok=True)
    (env / "site").mkdir(exist_ok=True)
    (env / "bin").mkdir(exist_ok=True)
    skip = {"--name", "--channel"}
    specs, i = [], 1
    while i < len(args):
        if args[i] in skip:
            i += 2
            continue
        if not args[i].startswith("-"):
            specs.append(args[i])
        i += 1
    for spec in specs:
        pkg = re.split(r"[ <>=!~]", spec, maxsplit=1)[0]
        if pkg == "python":
            (env / "conda-meta" / "python-version").write_text(spec.split()[1].rstrip(".*"))
        else:
            (env / "site" / (pkg.replace("-", "_") + ".py")).write_text("")
    py = env / "bin" / "python"
    py.write_text(PYTHON_STUB)
    py.chmod(0o755)
    sys.exit(0)
print("stub conda: unsupported " + " ".join(args), file=sys.stderr)
sys.exit(2)
"""

PYTHON = r"""#!PYTHON
import json, os, sys
from pathlib import Path

ENV = Path(__file__).resolve().parent.parent
args = sys.argv[1:]
if args[:3] == ["-m", "ipykernel", "install"]:
    name = args[args.index("--name") + 1]
    display = args[args.index("--display-name") + 1]
    home = Path(os.environ["HOME"])
    data = Path(os.environ.get("JUPYTER_DATA_DIR") or home / "Library" / "Jupyter")
    spec = data / "kernels" / name.lower()
    spec.mkdir(parents=True, exist_ok=True)
    exe = str(ENV / "bin" / "python")
    argv = [exe, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": display, "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1))
    sys.exit(0)
if args[:1] == ["-c"]:
    version = (ENV / "conda-meta" / "python-version").read_text().split(".")
    sys.version_info = (int(version[0]), int(version[1]), 0, "final", 0)
    sys.path.insert(0, str(ENV / "site"))
    sys.argv = ["-c", *args[2:]]
    exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
    sys.exit(0)
sys.exit(2)
"""


def install_stub_conda(prefix: Path) -> Path:
    """`prefix/bin/conda` (a Miniforge-shaped prefix); returns the conda path."""
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    python_stub = PYTHON.replace("PYTHON", sys.executable, 1)
    conda = prefix / "bin" / "conda"
    text = CONDA.replace("PYTHON", sys.executable, 1).replace("PYTHON_STUB", repr(python_stub), 1)
    conda.write_text(text)
    conda.chmod(0o755)
    return conda


def calls(prefix: Path) -> list[list[str]]:
    import json

    log = prefix / "calls.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
