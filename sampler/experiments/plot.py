"""The scaling figure: coverage against samples (log k) and against generated tokens.

One curve per model run, with its bootstrap band and, dashed, its power-law fit.
Drawn with matplotlib's Agg canvas directly (no global backend or pyplot state).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sampler.experiments.powerlaw import PowerLawFit
from sampler.experiments.scaling import PassKRow


@dataclass(frozen=True)
class Curve:
    label: str
    rows: tuple[PassKRow, ...]
    fit: PowerLawFit


def plot_scaling(curves: Sequence[Curve], path: Path, *, title: str = "") -> None:
    """Write the two-panel figure to ``path`` (PNG), atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter

    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    by_k, by_tokens = figure.subplots(1, 2)
    for index, curve in enumerate(curves):
        color = f"C{index % 10}"
        ks = [r.k for r in curve.rows]
        cover = [r.pass_at_k for r in curve.rows]
        low = [r.ci_low for r in curve.rows]
        high = [r.ci_high for r in curve.rows]
        tokens = [r.mean_tokens for r in curve.rows]
        by_k.plot(ks, cover, color=color, marker="o", markersize=3, label=curve.label)
        by_k.fill_between(ks, low, high, color=color, alpha=0.2, linewidth=0)
        fitted = [curve.fit.predict(k) for k in ks]
        if curve.fit.status == "ok" and all(v is not None for v in fitted):
            by_k.plot(ks, fitted, color=color, linestyle="--", linewidth=1,
                      label=f"fit exp({curve.fit.a:.3g}·k^{curve.fit.b:.3g})")
        by_tokens.plot([max(t, 1e-9) for t in tokens], cover, color=color, marker="o",
                       markersize=3, label=curve.label)
        by_tokens.fill_between([max(t, 1e-9) for t in tokens], low, high, color=color,
                               alpha=0.2, linewidth=0)
    by_k.set_xscale("log", base=2)
    by_k.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    by_k.xaxis.set_minor_formatter(NullFormatter())
    by_k.set_xlabel("samples per task (k)")
    by_k.set_ylabel("coverage (mean pass@k)")
    by_tokens.set_xscale("log")
    by_tokens.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on a short decade range
    by_tokens.set_xlabel("generated tokens per task (k x mean tokens per sample)")
    by_tokens.set_ylabel("coverage (mean pass@k)")
    for axes in (by_k, by_tokens):
        axes.set_ylim(0, 1.02)
        axes.grid(True, which="both", alpha=0.3)
        if curves:
            axes.legend(fontsize="small", loc="lower right")
    if title:
        figure.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    figure.savefig(tmp, format="png", dpi=120)
    os.replace(tmp, path)
