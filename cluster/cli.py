"""``bestofn`` with the Ray cluster mode: the sampler's CLI, given the cluster factory.

``sampler.cli`` never imports this package (imports point downward); the console
script points here so that ``--cluster`` can build engines and verifiers on Ray.
Ray itself is imported only when a run asks for the cluster.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    import sampler.cli

    from cluster.runtime import build

    return sampler.cli.main(argv, cluster_factory=build)


def run() -> None:
    """The console script: ``main``, then out without the interpreter's teardown."""
    import sampler.cli

    sampler.cli.exit_fast(main())


if __name__ == "__main__":
    run()
