"""What a planned step is (model.py) and the machinery that carries out its parts: running
programs (under sudo, through the Rosetta launcher), downloads, retries, file edits, the run
log and how a failure is classified. Below the step kinds (installer/kinds/), which call it,
and the recipes, which plan it; installer/runner/ runs whole plans on top."""
