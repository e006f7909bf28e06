#!@HOST_PYTHON@
"""The `code` command of the sandbox's VS Code (Contents/Resources/app/bin/code; the real one
is microsoft/vscode resources/darwin/bin/code.sh running out/cli.js). `--version` prints
version, commit and architecture; `--list-extensions` and `--install-extension ID [--force]`
keep extensions in ~/.vscode/extensions with the messages of microsoft/vscode
src/vs/platform/extensionManagement/common/extensionManagementCLI.ts (no marketplace here:
the extension is "downloaded" from nowhere). `--install-extension PATH.vsix` installs the file:
its identity from the package's `extension/package.json` (publisher, name, version; the
manifest VS Code reads with getManifest), "Extension '<file name>' was successfully
installed." as installVSIX prints it; a file that is not a readable .vsix fails like
VS Code ("Invalid vsix")."""

import json
import os
import sys
import zipfile

VERSION = "@VSCODE_VERSION@"
COMMIT = "@VSCODE_COMMIT@"
ARCH = "@VSCODE_ARCH@"
EXTENSION_VERSION = "2025.1.0"


def extensions_dir():
    return os.path.join(os.environ["HOME"], ".vscode", "extensions")


def installed():
    try:
        names = os.listdir(extensions_dir())
    except FileNotFoundError:
        return {}
    found = {}
    for name in names:
        manifest = os.path.join(extensions_dir(), name, "package.json")
        if os.path.exists(manifest):
            with open(manifest) as f:
                data = json.load(f)
            found[f"{data['publisher']}.{data['name']}".lower()] = data
    return found


def install_vsix(path):
    print("Installing extensions...")
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("extension/package.json"))
            members = [m for m in zf.namelist() if m.startswith("extension/")]
            publisher, name = manifest["publisher"], manifest["name"]
            version = manifest["version"]
            target = os.path.join(extensions_dir(), f"{publisher.lower()}.{name.lower()}-{version}")
            os.makedirs(target, exist_ok=True)
            for member in members:
                if member.endswith("/"):
                    continue
                dest = os.path.join(target, member[len("extension/") :])
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(zf.read(member))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        print("Invalid vsix", file=sys.stderr)
        print(f"Failed Installing Extensions: {path}", file=sys.stderr)
        return 1
    print(f"Extension '{os.path.basename(path)}' was successfully installed.")
    return 0


def main(argv):
    if argv[:1] in (["--version"], ["-v"]):
        print(f"{VERSION}\n{COMMIT}\n{ARCH}")
        return 0
    if argv[:1] == ["--list-extensions"]:
        for ident in sorted(installed()):
            data = installed()[ident]
            print(f"{data['publisher']}.{data['name']}")
        return 0
    if argv[:1] == ["--install-extension"] and len(argv) >= 2 and argv[1].endswith(".vsix"):
        return install_vsix(argv[1])
    if argv[:1] == ["--install-extension"] and len(argv) >= 2:
        ident = argv[1]
        force = "--force" in argv
        print("Installing extensions...")
        publisher, _, name = ident.partition(".")
        if not publisher or not name:
            print(
                f"Extension '{ident}' not found.\nMake sure you use the full extension ID, "
                "including the publisher, e.g.: ms-dotnettools.csharp",
                file=sys.stderr,
            )
            print(f"Failed Installing Extensions: {ident}", file=sys.stderr)
            return 1
        have = installed().get(ident.lower())
        if have and not force:
            print(
                f"Extension '{ident}' v{have['version']} is already installed. Use '--force' "
                "option to update to latest version or provide '@<version>' to install a "
                f"specific version, for example: '{ident}@1.2.3'."
            )
            return 0
        if have and have["version"] == EXTENSION_VERSION:
            print(f"Extension '{ident}' is already installed.")
            return 0
        print(f"Installing extension '{ident}'...")
        target = os.path.join(extensions_dir(), f"{ident.lower()}-{EXTENSION_VERSION}")
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, "package.json"), "w") as f:
            json.dump({"publisher": publisher, "name": name, "version": EXTENSION_VERSION}, f)
        print(f"Extension '{ident}' v{EXTENSION_VERSION} was successfully installed.")
        return 0
    return 0  # opening a window: nothing to do in the sandbox


sys.exit(main(sys.argv[1:]))
