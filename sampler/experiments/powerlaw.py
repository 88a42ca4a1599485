"""The exponentiated power law of coverage (Brown et al. 2024, "Large Language Monkeys"):
``coverage(k) ~= exp(a * k**b)``, i.e. ``log coverage = a * k**b`` (a < 0, b < 0 for a
curve that rises towards 1).

Method (numpy only): least squares on ``log coverage = a * k**b`` over the points
with coverage > 0, as in the paper, solved with Levenberg-Marquardt started from
the straight-line fit of ``log(-log c) = log(-a) + b log k`` (points with 0 < c < 1).
Edge cases: every point 0 -> status ``all-zero`` (predicts 0); every point 1 ->
``all-one`` (predicts 1); fewer than two usable points or none below 1 ->
``too-few-points`` (no prediction).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from tasks.errors import InputError

FORM = "coverage(k) = exp(a * k**b)"
EXTRAPOLATE_AT = (100, 1000, 10000)


@dataclass(frozen=True)
class PowerLawFit:
    status: str
    """``ok``, ``all-zero``, ``all-one`` or ``too-few-points``."""
    a: float | None = None
    b: float | None = None
    points: int = 0
    """Points the fit used (coverage > 0)."""
    rmse_log: float | None = None
    """Root mean square residual of log coverage over those points."""

    def predict(self, k: float) -> float | None:
        if self.status == "all-zero":
            return 0.0
        if self.status == "all-one":
            return 1.0
        if self.a is None or self.b is None:
            return None
        return min(1.0, max(0.0, math.exp(self.a * k ** self.b)))

    def to_json(self, extrapolate_at: Sequence[int] = EXTRAPOLATE_AT) -> dict[str, object]:
        return {
            "form": FORM, "status": self.status, "a": self.a, "b": self.b,
            "points": self.points, "rmse_log": self.rmse_log,
            "predictions": {str(k): self.predict(k) for k in extrapolate_at},
        }


def _initial(k: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    inner = y < 0
    if np.unique(k[inner]).size >= 2:
        slope, intercept = np.polyfit(np.log(k[inner]), np.log(-y[inner]), 1)
        return -math.exp(float(intercept)), float(slope)
    return float(y.min()), -0.5


def _cost(a: float, b: float, k: np.ndarray, y: np.ndarray) -> float:
    r = a * k ** b - y
    return float(r @ r)


def _levenberg_marquardt(k: np.ndarray, y: np.ndarray, a: float, b: float,
                         iterations: int = 500) -> tuple[float, float]:
    log_k = np.log(k)
    damping = 1e-3
    cost = _cost(a, b, k, y)
    for _ in range(iterations):
        powered = k ** b
        residual = a * powered - y
        jacobian = np.column_stack([powered, a * powered * log_k])
        hessian = jacobian.T @ jacobian
        gradient = jacobian.T @ residual
        accepted = False
        while damping < 1e12:
            lhs = hessian + damping * np.diag(np.diag(hessian) + 1e-12)
            try:
                step = np.linalg.solve(lhs, -gradient)
            except np.linalg.LinAlgError:
                damping *= 10
                continue
            new_a, new_b = a + float(step[0]), float(np.clip(b + float(step[1]), -20.0, 20.0))
            new_cost = _cost(new_a, new_b, k, y)
            if math.isfinite(new_cost) and new_cost <= cost:
                small = abs(new_a - a) <= 1e-14 * (1 + abs(a)) and abs(new_b - b) <= 1e-14 * (1 + abs(b))
                a, b, cost = new_a, new_b, new_cost
                damping = max(damping / 10, 1e-15)
                accepted = True
                if small:
                    return a, b
                break
            damping *= 10
        if not accepted:
            break
    return a, b


def fit_power_law(ks: ArrayLike, coverage: ArrayLike) -> PowerLawFit:
    """Fit ``exp(a * k**b)`` to coverage at each k (see the module docstring)."""
    k = np.asarray(ks, dtype=np.float64)
    c = np.asarray(coverage, dtype=np.float64)
    if k.shape != c.shape or k.ndim != 1 or k.size == 0:
        raise InputError("need as many coverage values as k values, at least one")
    if np.any(k < 1) or np.any((c < 0) | (c > 1)) or not np.all(np.isfinite(c)):
        raise InputError("k must be >= 1 and coverage within [0, 1]")
    usable = c > 0
    if not usable.any():
        return PowerLawFit("all-zero")
    if np.all(c[usable] == 1.0) and usable.all():
        return PowerLawFit("all-one", points=int(usable.sum()))
    k, y = k[usable], np.log(c[usable])
    if np.unique(k).size < 2 or not np.any(y < 0):
        return PowerLawFit("too-few-points", points=int(k.size))
    a, b = _levenberg_marquardt(k, y, *_initial(k, y))
    rmse = math.sqrt(_cost(a, b, k, y) / k.size)
    return PowerLawFit("ok", a, b, int(k.size), rmse)
