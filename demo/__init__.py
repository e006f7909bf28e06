"""`make run`'s harness (docs/demo.md). Outside the installed package on purpose: a
student's install carries no demo server; `python -m demo.harness` runs it from a checkout."""
