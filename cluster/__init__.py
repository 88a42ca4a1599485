"""Everything Ray: engine actors, verifier pools, deploy manifests (see docs/SCALING.md)."""
