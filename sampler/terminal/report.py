"""``bestofn report DIR``: one self-contained HTML file to look at a run.

The run's settings and summary; per task the chosen solution and every sample
(verdict, deciding check, detail, tokens, tier, code); cost; and the scaling figure
when the directory holds one. Every text a model or a task wrote is HTML-escaped
(candidates are hostile: a solution holding ``</pre><script>`` is shown, never
run); the page's own script only filters rows, and reads nothing but the DOM.
Works on a ``solve`` run directory, and on a ``scale`` directory (one section per
model run in it, the figure on top) or a ``generate`` one (its ``run/`` dirs).
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sampler.storage.records import SampleRecord, TaskResult, Tier
from sampler.storage.store import MANIFEST, RESULTS, SAMPLES, load_samples, read_json_object, read_results
from sampler.terminal.summary import summarise
from tasks.errors import InputError
from tasks.paths import is_special_file

REPORT = "report.html"
FIGURE = "scaling.png"

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .5em;
vertical-align:top;text-align:left}th{background:#f4f4f4}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;max-height:30em}
.passed{color:#176b2c}.failed,.timeout,.memory{color:#a31515}.error{color:#8a6d00}
details.task{border:1px solid #e3e3e3;margin:.3em 0;padding:.2em .6em}
details.task>summary{cursor:pointer}.tag{font-size:.85em;padding:0 .4em;border-radius:3px;background:#eee}
img{max-width:100%}
"""

_SCRIPT = """
(function(){
  var box=document.getElementById('only-unsolved');
  var rows=document.querySelectorAll('details.task');
  function apply(){rows.forEach(function(r){
    r.style.display=(box.checked&&r.dataset.solved==='1')?'none':'';});
    var shown=Array.prototype.filter.call(rows,function(r){return r.style.display!=='none';}).length;
    document.getElementById('shown').textContent=shown+' of '+rows.length+' tasks shown';}
  box.addEventListener('change',apply);apply();
})();
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class RunView:
    """One run directory's records."""

    name: str
    settings: dict[str, Any]
    results: dict[str, TaskResult]
    samples: dict[str, dict[str, SampleRecord]]
    """By task, then candidate id."""


def load_run(run_dir: Path) -> RunView:
    settings: dict[str, Any] = {}
    manifest = run_dir / MANIFEST
    if manifest.is_file():
        settings = read_json_object(manifest)
    results = read_results(run_dir / RESULTS)
    samples = load_samples(run_dir / SAMPLES) if (run_dir / SAMPLES).is_file() else {}
    return RunView(run_dir.name, settings, results, samples)


def run_dirs_under(path: Path) -> list[Path]:
    """``path`` itself when it is a run directory, else the run directories in it
    (a ``scale`` directory) or in its ``run/`` (a ``generate`` directory)."""
    if (path / SAMPLES).is_file() or (path / RESULTS).is_file():
        return [path]
    found = []
    for parent in (path, path / "run"):
        if parent.is_dir():
            found += sorted(d for d in parent.iterdir() if d.is_dir() and (d / SAMPLES).is_file())
    return found


def _task_key(task_id: str) -> tuple[str, int, str]:
    """HumanEval/2 before HumanEval/10: a number by its digits' count, then its digits
    (``int()`` refused '²', a digit to ``isdigit``, and 4,301 digits: red team)."""
    head, _, tail = task_id.rpartition("/")
    if tail.isascii() and tail.isdigit():
        digits = tail.lstrip("0") or "0"
        return head, len(digits), digits
    return task_id, 0, task_id


def _summary_table(run: RunView) -> str:
    results = list(run.results.values())
    summary = summarise(list(run.results), run.results, run.samples, 1, 0.0, fixed_n=False)
    solved, disputed, cost = summary.solved, summary.disputed, summary.cost
    tokens_in, tokens_out = summary.tokens_in, summary.tokens_out
    times = sorted(r.finished_at for r in results if r.finished_at)
    rows = [
        ("tasks decided", len(results)),
        ("solved", f"{solved} ({summary.coverage:.1%})"
                   + (f", {disputed} disputed by the property check" if disputed else "")),
        ("by tier", ", ".join(f"{t}: {summary.solved_by_tier.get(t, 0)}" for t in Tier)),
        ("escalated", summary.escalated),
        ("samples", sum(len(s) for s in run.samples.values())),
        ("tokens in / out", ", ".join(f"{t}: {tokens_in.get(t, 0):,} / {tokens_out.get(t, 0):,}"
                                      for t in sorted(set(tokens_in) | set(tokens_out))) or "0"),
        ("cost", f"{cost:.6g} ({cost / max(1, solved):.3g} per solved task)"),
    ]
    if len(times) > 1:
        rows.append(("decisions spanned", f"{(times[-1] - times[0]) / 60:.1f} min"))
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    settings = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in sorted(run.settings.items()))
    return (f"<h3>Summary</h3><table>{body}</table>"
            f"<details><summary>Settings (run.json)</summary><table>{settings}</table></details>")


def _sample_rows(samples: list[SampleRecord], chosen: str | None) -> str:
    head = ("<tr><th>sample</th><th>tier</th><th>verdict</th><th>check</th><th>detail</th>"
            "<th>tokens</th><th>finish</th><th>code</th></tr>")
    rows = []
    for s in samples:
        stage = s.verifier.rsplit(":", 1)[-1]
        mark = " (chosen)" if s.candidate_id == chosen else ""
        rows.append(
            f"<tr><td>{_e(s.candidate_id + mark)}</td><td>{_e(s.tier)}</td>"
            f"<td class=\"{_e(s.status)}\">{_e(s.status)}</td><td>{_e(stage)}</td>"
            f"<td>{_e(s.detail)}</td><td>{_e(str(s.tokens))}</td><td>{_e(s.finish_reason)}</td>"
            f"<td><details><summary>code</summary><pre>{_e(s.solution)}</pre></details></td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _in_order(samples: dict[str, SampleRecord]) -> list[SampleRecord]:
    """Cheap samples by index, then strong ones."""
    return sorted(samples.values(), key=lambda r: (r.tier is not Tier.CHEAP, r.sample_index))


def _task_section(task_id: str, result: TaskResult | None, samples: list[SampleRecord]) -> str:
    solved = result is not None and result.solved
    if result is None:
        state = "<span class=\"tag\">not decided</span>"
    elif solved:
        extra = f", disputed by {result.disputed_by}" if result.disputed_by else ""
        state = (f"<span class=\"passed\">solved</span> by {_e(result.candidate_id)} "
                 f"({_e(result.tier)}{_e(extra)})")
    else:
        state = "<span class=\"failed\">unsolved</span>"
        if result is not None and result.guess is not None:
            state += " <span class=\"tag\">guess: too little evidence to call it solved</span>"
    if result is not None and result.escalated:
        state += " <span class=\"tag\">escalated</span>"
    tokens = f"{result.tokens_generated:,} tokens out, cost {result.cost:.3g}" if result else ""
    solution = (f"<h4>Solution</h4><pre>{_e(result.solution)}</pre>"
                if result is not None and result.solution is not None else "")
    if result is not None and result.guess is not None:
        solution = f"<h4>Guess (unsolved)</h4><pre>{_e(result.guess)}</pre>"
    return (f"<details class=\"task\" data-solved=\"{int(solved)}\"><summary><b>{_e(task_id)}</b>: "
            f"{state}, {len(samples)} sample(s) {_e(tokens)}</summary>{solution}"
            f"{_sample_rows(samples, result.candidate_id if result else None)}</details>")


def _run_section(run: RunView, heading: bool) -> str:
    task_ids = sorted(set(run.results) | set(run.samples), key=_task_key)
    tasks = "".join(_task_section(t, run.results.get(t), _in_order(run.samples.get(t, {}))) for t in task_ids)
    model = run.settings.get("model", run.name)
    title = f"<h2>{_e(model)}</h2>" if heading else ""
    return f"{title}{_summary_table(run)}<h3>Tasks</h3>{tasks}"


def _figure(path: Path) -> str:
    for candidate in (path / FIGURE, path.parent / FIGURE):
        if candidate.is_file():
            data = base64.b64encode(candidate.read_bytes()).decode("ascii")
            return f"<h2>Scaling</h2><img alt=\"scaling figure\" src=\"data:image/png;base64,{data}\">"
    return ""


def render(path: Path) -> str:
    runs = run_dirs_under(path)
    if not runs:
        raise InputError(f"{path}: no run here (no {RESULTS} or {SAMPLES}, nor run directories holding them)")
    views = [load_run(d) for d in runs]
    sections = "".join(_run_section(v, heading=len(views) > 1 or path != runs[0]) for v in views)
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>bestofn report: {_e(path.name)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>bestofn report: {_e(path.name)}</h1>{_figure(path)}"
            "<p><label><input type=\"checkbox\" id=\"only-unsolved\"> only tasks not solved</label> "
            f"<span id=\"shown\"></span></p>{sections}<script>{_SCRIPT}</script></body></html>\n")


def write_report(path: str | Path, out: str | Path | None = None) -> Path:
    """Render ``path``'s run(s) into ``out`` (default ``path/report.html``), atomically."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: not a directory")
    target = Path(out) if out is not None else path / REPORT
    if target.is_dir() or not target.parent.is_dir() or is_special_file(target):
        raise InputError(f"{target}: --out must be a file in an existing directory")
    if target.exists() and not _is_report(target):
        # `--out run/results.jsonl` replaced a run's results with the page (red team).
        raise InputError(f"{target} exists and is not a report this command wrote; choose another --out")
    page = render(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(page, encoding="utf-8", errors="replace")  # a lone surrogate: "?"
        os.replace(tmp, target)
    except OSError as exc:
        raise InputError(f"{target} cannot be written ({exc.strerror or exc})") from None
    return target


def _is_report(path: Path) -> bool:
    """Whether ``path`` opens as ``render``'s pages do (any HTML page starts with the doctype)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(_OPENING)) == _OPENING
    except OSError:
        return False


_OPENING = b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>bestofn report: '

