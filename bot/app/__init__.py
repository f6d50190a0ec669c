"""The composition root: the `coordbot` command, the runner that wires platforms, workers and the
scheduler, and the scheduler that decides *when* (the only code above the domain)."""
