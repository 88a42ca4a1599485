"""Best-of-N orchestration: config, backends, the loop, results, and the CLI."""
