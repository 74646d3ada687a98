"""The report of ``netsim robust``: per arm the effect across plausible worlds, P(beats the
baseline), regret, the regions where the ranking flips, and a section for planners in words.

Files: ``robust.parquet`` (world x arm: parameters, weight, value, effect and its standard
error over replicates), ``arms.csv``,
``effects.png`` (each arm's effect in every world), ``flip_<k>.png`` (the worlds where arm ``k``
wins and loses over the two parameters PRIM restricts), ``report.md`` and ``report.html``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from netsim.compare_report import _Block, _render_html, _render_md
from netsim.results import atomic_write

if TYPE_CHECKING:
    from netsim.robust import RobustRun

__all__ = ["planner_text", "write_report"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _info(outcome: str) -> Any:
    from netsim.analysis import outcome_info

    return outcome_info(outcome)


def _v(x: float, outcome: str, sign: bool = False) -> str:
    info = _info(outcome)
    if x is None or not math.isfinite(x):
        return "-"
    s = f"{x * info.scale:+.3g}" if sign else f"{x * info.scale:.3g}"
    return s


def effects_figure(run: RobustRun, path: Path) -> Path:
    plt = _plt()
    info = _info(run.outcome)
    arms = run.arms[1:]
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.7 * len(arms)), dpi=110)
    w = run.worlds["weight"].cast(pl.Float64).to_numpy()
    size = 8 + 120 * w / w.max()
    rng = np.random.default_rng(0)  # vertical jitter of the dots only
    for i, (label, st) in enumerate(zip(arms, run.stats[1:])):
        e = run.effects[:, i + 1] * info.scale
        y = len(arms) - 1 - i
        ax.scatter(e, y + rng.uniform(-0.18, 0.18, e.size), s=size, alpha=0.45,
                   color="#1b6ca8", lw=0)
        ax.plot([st.effect_p05 * info.scale, st.effect_p95 * info.scale], [y - 0.3, y - 0.3],
                color="#e07b39", lw=2)
        ax.plot(st.mean_effect * info.scale, y - 0.3, "D", color="#e07b39", ms=6)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(arms))[::-1], arms, fontsize=8)
    unit = info.diff_unit or "units"
    ax.set_xlabel(f"{info.short}: arm minus baseline ({unit}); one dot per world",
                  fontsize=9)
    ax.set_title(f"Effect across plausible worlds, against {run.arms[0]}\n(orange: weighted "
                 "mean and the range of 90 % of worlds)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def flip_figure(run: RobustRun, k: int, path: Path) -> Path | None:
    st = run.stats[k]
    box = st.box
    if box is None or not st.box_explains:
        return None
    dims = (box.restricted + [j for j in range(len(run.parameters))
                              if j not in box.restricted])[:2]
    if len(dims) < 2:
        return None
    plt = _plt()
    x = np.column_stack([run.worlds[p].cast(pl.Float64).to_numpy() for p in run.parameters])
    sign = -1 if run.lower_is_better else 1
    wins = sign * run.effects[:, k] > 0
    fig, ax = plt.subplots(figsize=(5.6, 4.6), dpi=110)
    a, b = dims
    ax.scatter(x[wins, a], x[wins, b], s=14, color="#3a7d44", label="arm beats baseline")
    ax.scatter(x[~wins, a], x[~wins, b], s=14, color="#c0392b", marker="x",
               label="arm does not")
    ax.add_patch(plt.Rectangle((box.lo[a], box.lo[b]), box.hi[a] - box.lo[a],
                               box.hi[b] - box.lo[b], fill=False, lw=1.5, ls="--",
                               color="black", label="PRIM box"))
    ax.set_xlabel(run.parameters[a], fontsize=8)
    ax.set_ylabel(run.parameters[b], fontsize=8)
    ax.set_title(f"{run.arms[k]} vs {run.arms[0]}", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def planner_text(run: RobustRun) -> list[str]:
    """The planners' section: what holds across plausible worlds, in words."""
    info = _info(run.outcome)
    unit = info.diff_unit or "units"
    base = run.arms[0]
    lines = []
    ranked = sorted(run.stats, key=lambda s: s.expected_regret)
    best = ranked[0]
    lines.append(f"Across {run.worlds.height} plausible worlds ({run.source}), the most robust "
                 f"choice for {info.short} is **{best.arm}**: it has the smallest expected "
                 f"regret ({_v(best.expected_regret, run.outcome)} {unit} short of the best arm "
                 f"on average, {_v(best.worst_regret, run.outcome)} in the worst world) and is "
                 f"the best arm in {100 * best.p_best:.0f} % of worlds.")
    for st in run.stats[1:]:
        text = (f"**{st.arm}** against {base}: {_v(st.mean_effect, run.outcome, True)} {unit} "
                f"on average (from {_v(st.effect_p05, run.outcome, True)} to "
                f"{_v(st.effect_p95, run.outcome, True)} in 90 % of worlds); it does better in "
                f"{100 * st.p_beats:.0f} % of worlds.")
        if math.isfinite(st.p_clear):
            text += (f" In {100 * st.p_clear:.0f} % of worlds the difference is larger than "
                     "replicate noise (2 standard errors)"
                     + ("; the rest could go either way." if st.p_clear < 0.9 else "."))
        if st.box_explains:
            cond = " and ".join(st.box.describe())
            if st.box_is_loss:
                text += (f" It beats {base} **unless {cond}**: in that region it clearly loses "
                         f"in {100 * st.box.density:.0f} % of worlds (the region holds "
                         f"{100 * st.box.coverage:.0f} % of the worlds where it clearly loses).")
            else:
                text += (f" It beats {base} **only if {cond}**: there it clearly wins in "
                         f"{100 * st.box.density:.0f} % of worlds (the region holds "
                         f"{100 * st.box.coverage:.0f} % of its clear wins).")
        elif st.box is not None:
            text += (f" No simple region of the parameters explains where the ranking flips "
                     f"(the best PRIM box holds {100 * st.box.coverage:.0f} % of the flips).")
        elif 0 <= st.n_flips < 3:
            what = "loses to" if st.box_is_loss else "beats"
            text += (f" In {'no' if st.n_flips == 0 else 'hardly any'} world it clearly {what} "
                     f"{base} (beyond replicate noise): where the ranking flips, it is within "
                     "noise, so no region is named.")
        elif st.p_beats >= 0.95:
            text += " The ranking holds in practically every plausible world."
        elif st.p_beats <= 0.05:
            text += " It is practically never better."
        lines.append(text)
    w = run.worlds["weight"].cast(pl.Float64).to_numpy()
    ess = float(w.sum() ** 2 / np.sum(w ** 2)) if w.size and np.sum(w ** 2) > 0 else 0.0
    if w.size and ess < min(10.0, 0.5 * w.size):
        lines.append(f"The worlds' weights are concentrated (effective number of worlds "
                     f"{ess:.1f} of {w.size}; the heaviest carries {100 * w.max() / w.sum():.0f} "
                     "% of the weight): the averages and shares above are weighted and so "
                     "describe mostly a few worlds. Read the spread of the dots in the figure, "
                     "every world at its own size, before trusting them; a calibration with "
                     "more particles gives a broader ensemble.")
    return lines


def write_report(run: RobustRun, command: str) -> dict[str, Path]:
    folder = run.folder
    n_m, n_a = run.values.shape
    table = pl.DataFrame({
        "world": np.repeat(np.arange(n_m), n_a), "arm": run.arms * n_m,
        "weight": np.repeat(run.worlds["weight"].cast(pl.Float64).to_numpy(), n_a),
        "value": run.values.reshape(-1), "effect": run.effects.reshape(-1),
        "effect_se": run.effect_se.reshape(-1),
        **{p: np.repeat(run.worlds[p].to_numpy(), n_a) for p in run.parameters}})
    atomic_write(folder / "robust.parquet", lambda p: table.write_parquet(p))
    arms = pl.DataFrame([{k: v for k, v in st.__dict__.items() if k != "box"}
                         | {"flip_region": " and ".join(st.box.describe())
                            if st.box_explains else "",
                            "flip_region_coverage": st.box.coverage if st.box else None}
                         for st in run.stats])
    atomic_write(folder / "arms.csv", lambda p: arms.write_csv(p))
    files = {"robust.parquet": folder / "robust.parquet", "arms.csv": folder / "arms.csv",
             "effects.png": effects_figure(run, folder / "effects.png")}
    for k in range(1, len(run.stats)):
        f = flip_figure(run, k, folder / f"flip_{k}.png")
        if f is not None:
            files[f.name] = f
    info = _info(run.outcome)
    unit = info.diff_unit or "units"
    rows = [(st.arm + (" (baseline)" if i == 0 else ""), _v(st.mean_value, run.outcome),
             "-" if i == 0 else _v(st.mean_effect, run.outcome, True),
             "-" if i == 0 else f"{_v(st.effect_p05, run.outcome, True)} to "
                                f"{_v(st.effect_p95, run.outcome, True)}",
             "-" if i == 0 else f"{100 * st.p_beats:.0f} %",
             _v(st.expected_regret, run.outcome), _v(st.worst_regret, run.outcome),
             f"{100 * st.p_best:.0f} %")
            for i, st in enumerate(run.stats)]
    b = [_Block("h1", "Robust design comparison"),
         _Block("h2", "For planners"), _Block("ul", planner_text(run)),
         _Block("note", "A plausible world is one set of the uncertain parameters (how strongly "
                        "things work, which the field reports do not say). Every arm was run "
                        "in every world on the same random streams, so the differences are "
                        "the designs', not chance.")]
    b += [_Block("note", n) for n in run.notes]
    b += [_Block("h2", f"Arms: {info.short}"),
          _Block("table", (("arm", "mean value", "mean effect", "effect, 5-95 % of worlds",
                            "P(beats baseline)", "expected regret", "worst regret",
                            "best in"), rows, ("l", "r", "r", "r", "r", "r", "r", "r"))),
          _Block("p", f"Values and effects in {info.unit or unit}; regret: how far an arm "
                      "falls short of the best arm in the same world."),
          _Block("img", ("effects.png", "effects across worlds", files["effects.png"]))]
    for name, path in files.items():
        if name.startswith("flip_"):
            b.append(_Block("img", (name, "where the ranking flips", path)))
    b.append(_Block("note", f"Worlds: {run.source}; {run.runs} runs. Command: `{command}`."))
    atomic_write(folder / "report.md", lambda p: p.write_text(_render_md(b)))
    atomic_write(folder / "report.html",
                 lambda p: p.write_text(_render_html(b, "netsim robust comparison")))
    files["report.md"] = folder / "report.md"
    files["report.html"] = folder / "report.html"
    run.files = files
    return files
