#!@HOST_PYTHON@
"""The `code` command of the sandbox's VS Code (Contents/Resources/app/bin/code; the real one
is microsoft/vscode resources/darwin/bin/code.sh running out/cli.js). `--version` prints
version, commit and architecture; `--list-extensions` and `--install-extension ID [--force]`
keep extensions in ~/.vscode/extensions with the messages of microsoft/vscode
src/vs/platform/extensionManagement/common/extensionManagementCLI.ts (no marketplace here:
the extension is "downloaded" from nowhere)."""

import json
import os
import sys

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


def main(argv):
    if argv[:1] in (["--version"], ["-v"]):
        print(f"{VERSION}\n{COMMIT}\n{ARCH}")
        return 0
    if argv[:1] == ["--list-extensions"]:
        for ident in sorted(installed()):
            data = installed()[ident]
            print(f"{data['publisher']}.{data['name']}")
        return 0
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
