"""`dtu-install upstream check|bump`: the pinned downloads of the recipes against what their
publishers answer now (SPEC 3, "Upstream versions", the Homebrew cask model).

pins.py finds the pins in the recipes, client.py makes every request (HTTPS, through the
mirrors), sources.py asks each kind of publisher (a recipe's `livecheck` block) for its newest
version and published checksums, check.py turns the answers into a finding per component and
architecture, rewrite.py writes a bump into the recipe file, command.py prints and exits.
"""
