"""``bestofn`` with the Ray cluster mode: the sampler's CLI, given the cluster factory.

``sampler.cli`` never imports this package (imports point downward); the console
script points here so that ``--cluster`` can build engines and verifiers on Ray.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable


def main() -> int:
    import sampler.cli

    from cluster.runtime import build

    entry: Callable[..., int] = sampler.cli.main
    if "cluster_factory" not in inspect.signature(entry).parameters:
        # A sampler without the cluster hook: everything but --cluster still works.
        if any(arg == "--cluster" or arg.startswith("--cluster=") for arg in sys.argv[1:]):
            print("bestofn: error: this sampler.cli has no --cluster support yet", file=sys.stderr)
            return 2
        return entry()
    return entry(cluster_factory=build)


if __name__ == "__main__":
    sys.exit(main())
