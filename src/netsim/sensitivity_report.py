"""The report of ``netsim sensitivity``: tables, figures and a plain-language reading.

Files written into the analysis folder: ``runs.parquet`` (every design row with its parameter
values and outcomes, one row per replicate), ``morris.parquet`` and ``sobol.parquet`` (indices
per outcome and parameter), ``sobol_convergence.parquet``, the figures ``morris.png``
(mu* against sigma with bootstrap intervals), ``sobol.png`` (S1 and ST bars with 95 %
intervals) and ``sobol_convergence.png``, and ``report.md`` / ``report.html`` (the HTML embeds
the figures, so it is one self-contained file).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from netsim.compare_report import _Block, _render_html, _render_md
from netsim.results import atomic_write

if TYPE_CHECKING:
    from netsim.sensitivity import SensitivityRun

__all__ = ["morris_figure", "reading", "sobol_convergence_figure", "sobol_figure",
           "write_report"]

#: below this share of the largest mu*, a parameter "barely matters" in the reading
NEGLIGIBLE = 0.1


def _label(outcome: str) -> str:
    from netsim.analysis import outcome_info

    return outcome_info(outcome).short


def _scale(outcome: str) -> float:
    from netsim.analysis import outcome_info

    return float(outcome_info(outcome).scale)


def _unit(outcome: str) -> str:
    from netsim.analysis import outcome_info

    info = outcome_info(outcome)
    return info.diff_unit or "units"


def _words(key: str) -> str:
    from netsim.analysis import condition_label

    return f"{condition_label(key)} (`{key}`)"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label_points(ax: Any, names: list[str], x: np.ndarray, y: np.ndarray) -> None:
    """Name the first points beside them; a label that would overprint one placed before it
    (within a line's height and a label's width on the page) moves down a line until it is
    clear."""
    ax.autoscale_view()
    placed: list[tuple[float, float]] = []  # the labels' anchors on the page, in points
    to_points = ax.transData + ax.figure.dpi_scale_trans.inverted()
    for i, name in enumerate(names):
        px, py = to_points.transform((x[i], y[i])) * 72
        dy = 3.0
        while any(abs(px - qx) < 7 * max(len(name), 12) * 0.5 and abs(py + dy - qy) < 9
                  for qx, qy in placed):
            dy -= 9
        placed.append((px, py + dy))
        ax.annotate(name, (x[i], y[i]), fontsize=7, xytext=(4, dy), textcoords="offset points")


def morris_figure(run: SensitivityRun, path: Path, label_top: int = 6) -> Path:
    """mu* against sigma, one panel per outcome, bootstrap intervals as bars."""
    plt = _plt()
    n = len(run.morris)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.6), dpi=110, squeeze=False)
    for ax, (outcome, res) in zip(axes[0], run.morris.items()):
        t = res.table.drop_nulls("mu_star")
        sc = _scale(outcome)
        mu = t["mu_star"].to_numpy() * sc
        sg = t["sigma"].fill_null(0).to_numpy() * sc
        xerr = np.abs(np.vstack([mu - t["mu_star_lo"].to_numpy() * sc,
                                 t["mu_star_hi"].to_numpy() * sc - mu]))
        yerr = np.abs(np.vstack([sg - t["sigma_lo"].fill_null(0).to_numpy() * sc,
                                 t["sigma_hi"].fill_null(0).to_numpy() * sc - sg]))
        ax.errorbar(mu, sg, xerr=xerr, yerr=yerr, fmt="o", ms=4, color="#1b6ca8",
                    ecolor="#9bbad6", elinewidth=0.8, capsize=0)
        top = max(mu.max() if mu.size else 1.0, sg.max() if sg.size else 1.0)
        ax.plot([0, top], [0, top], color="#999", lw=0.8, ls="--")
        ax.text(top * 0.98, top * 0.9, "sigma = mu*", color="#777", fontsize=7, ha="right")
        if res.noise_floor > 0:
            ax.axvspan(0, res.noise_floor * sc, color="#f0e0d0", alpha=0.6, lw=0)
            ax.text(res.noise_floor * sc, 0, " replicate noise", fontsize=7, color="#a0522d",
                    va="bottom", rotation=90)
        ax.set_xlabel(f"mu* ({_unit(outcome)} per full range)")
        ax.set_ylabel(f"sigma ({_unit(outcome)})")
        ax.set_title(_label(outcome), fontsize=10)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        _label_points(ax, t["parameter"].to_list()[:label_top], mu, sg)
        ax.grid(alpha=0.3)
    fig.suptitle(f"Morris screening: {len(run.space.params)} parameters, "
                 f"{next(iter(run.morris.values())).table['n_effects'].max()} trajectories; "
                 "bars: 95 % bootstrap intervals", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def sobol_figure(run: SensitivityRun, path: Path) -> Path:
    """S1 and ST per parameter with 95 % bootstrap intervals, one panel per outcome."""
    plt = _plt()
    n = len(run.sobol)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.2), dpi=110, squeeze=False)
    for ax, (outcome, res) in zip(axes[0], run.sobol.items()):
        t = res.table
        x = np.arange(t.height)
        ax.bar(x - 0.2, t["S1"], 0.4, yerr=t["S1_conf"], capsize=3, color="#1b6ca8",
               label="first order S1")
        ax.bar(x + 0.2, t["ST"], 0.4, yerr=t["ST_conf"], capsize=3, color="#e07b39",
               label="total ST")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, [p.split(".")[-1] for p in t["parameter"]], fontsize=8, rotation=20,
                      ha="right")
        ax.set_title(_label(outcome), fontsize=10)
        ax.set_ylabel("Sobol index (share of variance)")
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(frameon=False, fontsize=8)
    space = run.sobol_space
    n_base = int(next(iter(run.sobol.values())).convergence["n"].max())
    fig.suptitle(f"Sobol indices: N = {n_base} base samples x ({len(space.params)} + 2) = "
                 f"{n_base * (len(space.params) + 2)} points; bars: 95 % bootstrap intervals",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def sobol_convergence_figure(run: SensitivityRun, path: Path) -> Path:
    """ST (solid) and S1 (dashed) against the base sample size, with intervals as bands."""
    plt = _plt()
    n = len(run.sobol)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.0), dpi=110, squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, (outcome, res) in zip(axes[0], run.sobol.items()):
        c = res.convergence
        for i, name in enumerate(res.table["parameter"].to_list()):
            rows = c.filter(pl.col("parameter") == name).sort("n")
            ns = rows["n"].to_numpy()
            st, stc = rows["ST"].to_numpy(), rows["ST_conf"].to_numpy()
            col = colours(i % 10)
            ax.plot(ns, st, "-o", ms=3, color=col, label=name.split(".")[-1])
            ax.fill_between(ns, st - stc, st + stc, color=col, alpha=0.12, lw=0)
            ax.plot(ns, rows["S1"].to_numpy(), "--", color=col, lw=0.9)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base sample size N")
        ax.set_ylabel("index (solid: ST, dashed: S1)")
        ax.set_title(_label(outcome), fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle("Convergence of the Sobol indices with the sample size (bands: 95 % intervals "
                 "of ST)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _names(keys: Sequence[str]) -> str:
    keys = [f"`{k}`" for k in keys]
    if len(keys) <= 1:
        return "".join(keys)
    return ", ".join(keys[:-1]) + " and " + keys[-1]


def reading(run: SensitivityRun) -> list[str]:
    """Plain-language sentences: which settings decide each outcome, which barely matter."""
    lines = []
    for outcome, res in run.morris.items():
        t = res.table.drop_nulls("mu_star").filter(pl.col("mu_star").is_not_nan())
        if t.height == 0:  # e.g. colleagues' adoption where every teacher is a member
            lines.append(f"**{_label(outcome)}**: not defined in these runs (no value to "
                         "screen), so no parameter can be ranked for it.")
            continue
        sc = _scale(outcome)
        best = float(t["mu_star"][0])
        above_noise = t.filter(pl.col("mu_star_lo") > res.noise_floor)
        strong = [k for k, m in zip(t["parameter"], t["mu_star"]) if m >= 0.3 * best][:5]
        weak = t.filter(pl.col("mu_star") < NEGLIGIBLE * best)["parameter"].to_list()
        unit = _unit(outcome)
        if above_noise.height == 0:
            text = (f"**{_label(outcome)}**: no parameter's effect is clearly above replicate "
                    f"noise ({res.noise_floor * sc:.2g} {unit}); more replicates or trajectories "
                    f"are needed to rank them. The largest mu* are those of {_names(strong)} "
                    f"(`{strong[0]}`: {best * sc:.3g} {unit}).")
        else:
            text = (f"**{_label(outcome)}**: over the plausible ranges, {_names(strong)} "
                    f"{'decides' if len(strong) == 1 else 'decide'} it most (moving "
                    f"`{strong[0]}` across its range changes it by about {best * sc:.3g} {unit} "
                    f"on average, mu*). {above_noise.height} of {t.height} parameters have "
                    f"effects clearly above replicate noise ({res.noise_floor * sc:.2g} {unit}).")
        if weak:
            shown = _names(weak[:6]) + (f" and {len(weak) - 6} more" if len(weak) > 6 else "")
            text += (f" {len(weak)} barely matter at these ranges (mu* below a tenth of the "
                     f"largest), e.g. {shown}.")
        nonlin = t.filter((pl.col("sigma_lo") > pl.col("mu_star")) &
                          (pl.col("mu_star") >= 0.3 * best))["parameter"].to_list()
        if nonlin:
            text += (f" For {_names(nonlin)} sigma clearly exceeds mu*: the effect depends on "
                     "the other settings (interactions or a non-linear response).")
        lines.append(text)
    for outcome, res in run.sobol.items():
        t = res.table
        s1_sum = float(np.nansum(np.clip(t["S1"].to_numpy(), 0, None)))
        if t.height == 0 or not np.isfinite(t["ST"].cast(pl.Float64).to_numpy()).any():
            lines.append(f"**{_label(outcome)}** (Sobol): not defined in these runs, so no "
                         "index can be computed for it.")
            continue
        first = t.row(0, named=True)
        widest = float(t["ST_conf"].max())
        if widest > 0.3:
            lines.append(f"**{_label(outcome)}** (Sobol, {len(t)} parameters): the intervals are "
                         f"too wide to read (up to ±{widest:.2f}); N = "
                         f"{int(res.convergence['n'].max())} base samples is too small for this "
                         "outcome's noise: use a larger --sobol-n (256 or more) or more "
                         "replicates.")
            continue
        text = (f"**{_label(outcome)}** (Sobol, {len(t)} parameters): `{first['parameter']}` "
                f"alone explains about {100 * max(first['S1'], 0):.0f} % of the variance "
                f"(S1, ±{100 * first['S1_conf']:.0f}), {100 * first['ST']:.0f} % with its "
                f"interactions (ST{'; below S1 by estimation noise' if first['ST'] < first['S1'] else ''}). "
                f"The first-order indices add up to {100 * s1_sum:.0f} %")
        text += ("; the rest comes from interactions and replicate noise." if s1_sum < 0.9
                 else ": the parameters act mostly additively.")
        conv = res.convergence
        if conv.height and conv["n"].n_unique() > 1:
            last, prev = conv["n"].max(), sorted(conv["n"].unique())[-2]
            a = conv.filter(pl.col("n") == last).sort("parameter")["ST"].to_numpy()
            b = conv.filter(pl.col("n") == prev).sort("parameter")["ST"].to_numpy()
            shift = float(np.nanmax(np.abs(a - b)))
            text += (f" Between N = {prev} and {last} the total indices moved by up to "
                     f"{shift:.2f} and the widest interval is ±{widest:.2f}: "
                     + ("the ranking is settled." if shift < 0.05 and widest < 0.1 else
                        "a larger N would narrow them."))
        lines.append(text)
    return lines


def _fmt(v: Any, scale: float = 1.0) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{float(v) * scale:.3g}"


def write_report(run: SensitivityRun, runs: pl.DataFrame, overrides: Sequence[str],
                 command: str) -> dict[str, Path]:
    """Write the tables, figures and report of ``run`` into ``run.folder``."""
    folder = run.folder
    files: dict[str, Path] = {}
    atomic_write(folder / "runs.parquet", lambda p: runs.write_parquet(p))
    files["runs"] = folder / "runs.parquet"
    if run.morris:
        table = pl.concat([r.table.with_columns(pl.lit(o).alias("outcome"),
                                                pl.lit(r.noise_floor).alias("noise_floor"))
                           for o, r in run.morris.items()])
        atomic_write(folder / "morris.parquet", lambda p: table.write_parquet(p))
        files["morris.parquet"] = folder / "morris.parquet"
        files["morris.png"] = morris_figure(run, folder / "morris.png")
    if run.sobol:
        table = pl.concat([r.table.with_columns(pl.lit(o).alias("outcome"))
                           for o, r in run.sobol.items()])
        conv = pl.concat([r.convergence.with_columns(pl.lit(o).alias("outcome"))
                          for o, r in run.sobol.items()])
        atomic_write(folder / "sobol.parquet", lambda p: table.write_parquet(p))
        atomic_write(folder / "sobol_convergence.parquet", lambda p: conv.write_parquet(p))
        files["sobol.parquet"] = folder / "sobol.parquet"
        files["sobol.png"] = sobol_figure(run, folder / "sobol.png")
        files["sobol_convergence.png"] = sobol_convergence_figure(
            run, folder / "sobol_convergence.png")
    blocks = _blocks(run, files, overrides, command)
    atomic_write(folder / "report.md", lambda p: p.write_text(_render_md(blocks)))
    atomic_write(folder / "report.html",
                 lambda p: p.write_text(_render_html(blocks, "netsim sensitivity analysis")))
    files["report.md"] = folder / "report.md"
    files["report.html"] = folder / "report.html"
    run.files = files
    return files


def _blocks(run: SensitivityRun, files: dict[str, Path], overrides: Sequence[str],
            command: str) -> list[_Block]:
    scen = " ".join(o for o in overrides if not o.startswith("hydra")) or "(preset defaults)"
    b = [_Block("h1", "Sensitivity analysis"),
         _Block("p", f"Scenario: `{scen}`. {len(run.space.params)} parameters sampled over "
                     f"their plausible ranges (`netsim params --uncertain`); {run.runs} runs in "
                     "all. Every parameter not sampled stays at the scenario's value."),
         _Block("h2", "Reading"), _Block("ul", reading(run))]
    for note in run.notes:
        b.append(_Block("note", note))
    if run.morris:
        b += [_Block("h2", "Morris screening"),
              _Block("p", "mu* is the mean absolute change of the outcome when one parameter "
                          "moves across its plausible range (2/3 of it per step, scaled to the "
                          "full range); sigma the spread of that change: a large sigma means the "
                          "effect depends on where the other parameters are. The shaded band is "
                          "what replicate noise alone would give."),
              _Block("img", ("morris.png", "mu* against sigma", files["morris.png"]))]
        for outcome, res in run.morris.items():
            sc = _scale(outcome)
            rows = [(r["parameter"], _fmt(r["mu_star"], sc),
                     f"{_fmt(r['mu_star_lo'], sc)} - {_fmt(r['mu_star_hi'], sc)}",
                     _fmt(r["mu"], sc), _fmt(r["sigma"], sc))
                    for r in res.table.head(12).iter_rows(named=True)]
            b += [_Block("p", f"**{_label(outcome)}** ({_unit(outcome)}), the 12 largest of "
                              f"{res.table.height}:"),
                  _Block("table", (("parameter", "mu*", "95 % interval", "mu", "sigma"), rows,
                                   ("l", "r", "r", "r", "r")))]
    if run.sobol:
        b += [_Block("h2", "Sobol indices"),
              _Block("p", "S1: the share of the outcome's variance over the sampled box that "
                          "one parameter explains alone; ST: alone and through interactions. "
                          "Intervals are 95 % bootstrap intervals."),
              _Block("img", ("sobol.png", "Sobol indices", files["sobol.png"])),
              _Block("img", ("sobol_convergence.png", "convergence",
                             files["sobol_convergence.png"]))]
        for outcome, res in run.sobol.items():
            rows = [(r["parameter"], f"{r['S1']:.2f} ± {r['S1_conf']:.2f}",
                     f"{r['ST']:.2f} ± {r['ST_conf']:.2f}")
                    for r in res.table.iter_rows(named=True)]
            b += [_Block("p", f"**{_label(outcome)}**:"),
                  _Block("table", (("parameter", "S1", "ST"), rows, ("l", "r", "r")))]
    b += [_Block("h2", "Parameters and ranges"),
          _Block("table", (("parameter", "range", "why this range"),
                           [(p.key, f"{lo:g} - {hi:g}", p.plausible_why or "given with --range")
                            for p, (lo, hi) in zip(run.space.params, run.space.bounds)],
                           ("l", "r", "l"))),
          _Block("note", f"Command: `{command}`. Data: runs.parquet (design rows with outcomes), "
                         "morris.parquet, sobol.parquet.")]
    return b
