"""Synthetic demo data: accounts, patients, check-ins, alerts and conferences for `make run`. Only synthetic
patients, ever. `python -m demo.seed` seeds an empty database; `--reseed` starts it afresh.
"""
