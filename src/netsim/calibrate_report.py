"""The report of ``netsim calibrate``: posterior plots, which pattern constrains which
parameter, posterior predictive checks and a plain-language reading.

**Which pattern constrains which parameter.** For target ``k`` and parameter ``j``, the
Kolmogorov-Smirnov distance between the values of ``j`` among the prior sample's sets that meet
``k`` and among all of them (generation 0 is a space-filling sample of the prior): 0 = the
pattern says nothing about the parameter, 1 = it pins it to a region. Marked when the two-sample
KS test rejects equality at the 1 % level.

**Posterior predictive check.** The (weighted) share of ensemble members whose runs reproduce
each pattern, next to the share in the prior sample.

**Patterns that cannot be met together.** Pairs of targets each met by some prior sets but
never by the same one.

Files: ``posterior.png`` (marginals), ``pairs.png`` (pairwise), ``constraints.png``,
``predictive.png``, ``constraints.parquet``, ``predictive.parquet``, ``report.md`` and
``report.html`` (self-contained).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from netsim.compare_report import _Block, _render_html, _render_md
from netsim.results import atomic_write

if TYPE_CHECKING:
    from netsim.calibrate import CalibrationRun

__all__ = ["constraints", "predictive", "reading", "write_report"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _met(run: CalibrationRun, stats: np.ndarray) -> np.ndarray:
    from netsim.approx_bayes import outside

    lo = np.array([t.lo for t in run.targets])
    hi = np.array([t.hi for t in run.targets])
    return outside(stats, lo, hi) == 0


def constraints(run: CalibrationRun) -> pl.DataFrame:
    """KS distance (and p-value) per target and parameter, from the prior sample."""
    from scipy.stats import ks_2samp

    theta, met = run.result.prior_theta, _met(run, run.result.prior_stats)
    rows = []
    for k, t in enumerate(run.targets):
        sub = met[:, k]
        for j, p in enumerate(run.space.params):
            if 2 <= sub.sum() < sub.size:
                ks = ks_2samp(theta[sub, j], theta[:, j])
                d, pv = float(ks.statistic), float(ks.pvalue)
            else:
                d, pv = float("nan"), float("nan")
            rows.append({"target": t.name, "parameter": p.key, "ks": d, "p_value": pv,
                         "n_met": int(sub.sum())})
    return pl.DataFrame(rows)


def predictive(run: CalibrationRun) -> pl.DataFrame:
    """Per target: the share of prior sets and of ensemble members (weighted) meeting it."""
    prior = _met(run, run.result.prior_stats)
    post = _met(run, run.result.stats)
    w = run.result.weights
    rows = []
    for k, t in enumerate(run.targets):
        rows.append({"target": t.name, "region": t.region_text(),
                     "prior_share": float(prior[:, k].mean()),
                     "ensemble_share": float(np.sum(w * post[:, k])) if w.size else 0.0,
                     "ensemble_median": float(np.nanmedian(run.result.stats[:, k]))
                     if w.size else float("nan"),
                     "prior_median": float(np.nanmedian(run.result.prior_stats[:, k]))})
    rows.append({"target": "(all together)", "region": "",
                 "prior_share": float(prior.all(axis=1).mean()),
                 "ensemble_share": float(np.sum(w * post.all(axis=1))) if w.size else 0.0,
                 "ensemble_median": float("nan"), "prior_median": float("nan")})
    return pl.DataFrame(rows)


def _incompatible(run: CalibrationRun) -> list[tuple[str, str, float, float]]:
    """Pairs of targets each met by some simulated set (the prior sample or the last
    population) but never by the same one."""
    met = np.vstack([_met(run, run.result.prior_stats), _met(run, run.result.stats)])
    prior = _met(run, run.result.prior_stats)
    out = []
    for a in range(len(run.targets)):
        for b in range(a + 1, len(run.targets)):
            if met[:, a].any() and met[:, b].any() and not (met[:, a] & met[:, b]).any():
                out.append((run.targets[a].name, run.targets[b].name, float(prior[:, a].mean()),
                            float(prior[:, b].mean())))
    return out


def _shrinkage(run: CalibrationRun) -> list[tuple[str, float]]:
    """Parameters by how much the ensemble narrowed them (1 - posterior sd / prior sd)."""
    w = run.result.weights
    out = []
    for j, (p, (lo, hi)) in enumerate(zip(run.space.params, run.space.bounds)):
        x = run.result.theta[:, j]
        if not w.size:
            continue
        m = np.sum(w * x)
        sd = float(np.sqrt(np.sum(w * (x - m) ** 2)))
        prior_sd = (hi - lo) / np.sqrt(12)
        out.append((p.key, 1 - sd / prior_sd))
    return sorted(out, key=lambda kv: -kv[1])


def posterior_figure(run: CalibrationRun, path: Path, keys: Sequence[str]) -> Path:
    plt = _plt()
    n = len(keys)
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.6 * rows), dpi=110,
                             squeeze=False)
    names = run.space.names
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, key in zip(axes.flat, keys):
        j = names.index(key)
        lo, hi = run.space.bounds[j]
        bins = np.linspace(lo, hi, 16)
        ax.hist(run.result.prior_theta[:, j], bins=bins, density=True, color="#cccccc",
                label="prior sample")
        if run.result.weights.size:
            ax.hist(run.result.theta[:, j], bins=bins, weights=run.result.weights, density=True,
                    color="#1b6ca8", alpha=0.75, label="ensemble")
        ax.set_title(key, fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=7, frameon=False)
    fig.suptitle("Marginal posteriors (blue, weighted) against the prior sample (grey)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def pairs_figure(run: CalibrationRun, path: Path, keys: Sequence[str]) -> Path:
    plt = _plt()
    n = len(keys)
    names = run.space.names
    fig, axes = plt.subplots(n, n, figsize=(2.4 * n, 2.4 * n), dpi=110, squeeze=False)
    w = run.result.weights
    size = 6 + 300 * w / (w.max() if w.size else 1)
    for a, ka in enumerate(keys):
        for b, kb in enumerate(keys):
            ax = axes[a][b]
            ja, jb = names.index(ka), names.index(kb)
            if a == b:
                ax.hist(run.result.theta[:, ja], bins=np.linspace(*run.space.bounds[ja], 13),
                        weights=w, color="#1b6ca8")
                ax.set_yticks([])
            else:
                ax.scatter(run.result.prior_theta[:, jb], run.result.prior_theta[:, ja], s=2,
                           color="#cccccc")
                ax.scatter(run.result.theta[:, jb], run.result.theta[:, ja], s=size,
                           color="#1b6ca8", alpha=0.5, lw=0)
                ax.set_xlim(run.space.bounds[jb])
                ax.set_ylim(run.space.bounds[ja])
            ax.tick_params(labelsize=6)
            if a == n - 1:
                ax.set_xlabel(kb, fontsize=7)
            if b == 0:
                ax.set_ylabel(ka, fontsize=7)
    fig.suptitle("Pairwise posterior (blue: members, size = weight; grey: prior sample)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def constraint_figure(table: pl.DataFrame, path: Path, keys: Sequence[str],
                      targets: Sequence[str]) -> Path:
    plt = _plt()
    grid = np.full((len(targets), len(keys)), np.nan)
    sig = np.zeros_like(grid, dtype=bool)
    for r in table.iter_rows(named=True):
        if r["parameter"] in keys:
            i, j = targets.index(r["target"]), list(keys).index(r["parameter"])
            grid[i, j] = r["ks"]
            sig[i, j] = r["p_value"] < 0.01 if r["p_value"] == r["p_value"] else False
    fig, ax = plt.subplots(figsize=(max(6.5, 2.5 + 0.55 * len(keys)), 1.6 + 0.4 * len(targets)),
                           dpi=110)
    im = ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(0.3, float(np.nanmax(grid))
                                                          if np.isfinite(grid).any() else 0.3))
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}" + ("*" if sig[i, j] else ""), ha="center",
                        va="center", fontsize=6,
                        color="white" if grid[i, j] > 0.25 else "black")
    ax.set_xticks(range(len(keys)), [k.split(".")[-1] for k in keys], rotation=60, ha="right",
                  fontsize=7)
    blank = [t + (" (met by all or none)" if not np.isfinite(grid[i]).any() else "")
             for i, t in enumerate(targets)]
    ax.set_yticks(range(len(targets)), blank, fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.7, label="KS distance")
    ax.set_title("Which pattern constrains which parameter (* : p < 0.01)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def predictive_figure(table: pl.DataFrame, path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 0.5 + 0.38 * table.height), dpi=110)
    y = np.arange(table.height)[::-1]
    ax.barh(y + 0.2, table["prior_share"] * 100, 0.4, color="#bbbbbb", label="prior sample")
    ax.barh(y - 0.2, table["ensemble_share"] * 100, 0.4, color="#1b6ca8", label="ensemble")
    ax.set_yticks(y, table["target"].to_list(), fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("parameter sets that reproduce the pattern (%)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Posterior predictive check", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def reading(run: CalibrationRun, pred: pl.DataFrame, cons: pl.DataFrame) -> list[str]:
    """Plain-language sentences about the calibration."""
    res = run.result
    lines = []
    n_prior = res.prior_theta.shape[0]
    prior_all = int(_met(run, res.prior_stats).all(axis=1).sum())
    # the ensemble is the last generation that accepted any set: a generation that accepted
    # none ends the run without replacing it
    kept = [i for i, g in enumerate(res.generations) if g.accepted > 0]
    source = res.generations[kept[-1]] if kept else None
    n_members = res.theta.shape[0]
    met_weight = float(np.sum(res.weights * _met(run, res.stats).all(axis=1))) \
        if res.weights.size else 0.0
    lines.append(f"{prior_all} of {n_prior} parameter sets of the space-filling prior sample "
                 f"reproduce all {len(run.targets)} patterns together; after "
                 f"{kept[-1] if kept else 0} SMC generation{'' if kept and kept[-1] == 1 else 's'}"
                 f" the ensemble has {n_members} member{'' if n_members == 1 else 's'} "
                 f"(effective size {res.ess:.0f}), {run.met_all} of which meet every target"
                 + (f" (together {100 * met_weight:.2g} % of the weight)"
                    if run.met_all and res.weights.size else "")
                 + (f" (final tolerance {source.epsilon:.3g})." if source else "."))
    empty = [i for i, g in enumerate(res.generations) if g.accepted == 0 and i > 0]
    if empty:
        g = res.generations[empty[0]]
        lines.append(f"Generation {empty[0]} accepted none of its {g.proposed} candidates at "
                     f"tolerance {g.epsilon:.3g}, so the run stopped there and the ensemble is "
                     f"generation {empty[0] - 1}'s: the SMC could not get closer to the targets "
                     "with this many particles.")
    if run.met_all == 0:
        lines.append("**No parameter set met every pattern: the posterior is empty at "
                     "tolerance 0.** The ensemble holds the closest sets; read it as the best "
                     "the model can do, not as plausible worlds.")
    elif res.ess < 10:
        lines.append(f"The ensemble is degenerate (effective size {res.ess:.1f}): a few sets "
                     "carry the weight; run more particles before trusting its spread.")
    hard = pred.filter(pl.col("target") != "(all together)").sort("prior_share")
    for r in hard.head(3).iter_rows(named=True):
        lines.append(f"`{r['target']}` ({r['region']}) is met by {100 * r['prior_share']:.0f} % "
                     f"of the prior sample and {100 * r['ensemble_share']:.0f} % of the ensemble "
                     f"(prior median {r['prior_median']:.3g}).")
    for a, b, sa, sb in _incompatible(run):
        lines.append(f"**`{a}` and `{b}` could not be met together**: each is met by some sets "
                     f"({100 * sa:.0f} % and {100 * sb:.0f} % of the prior sample), never by the "
                     f"same one of the {n_prior + res.theta.shape[0]} run (prior sample and last "
                     "population).")
    never = [t.name for t, s in zip(run.targets, _met(run, res.prior_stats).T) if not s.any()]
    if never:
        lines.append(f"Never met by any of the {n_prior} prior sets: "
                     f"{', '.join(f'`{n}`' for n in never)}. Within the plausible ranges these "
                     "patterns are rare or out of the model's reach; "
                     + ("a sample this small cannot tell which (a larger one, more particles, "
                        "would)." if n_prior < 500 else
                        f"none in {n_prior} sets puts them below about {300 / n_prior:.2g} % of "
                        "the box (95 % upper bound, the rule of three)."))
    strong = (cons.filter(pl.col("p_value") < 0.01).sort("ks", descending=True)
              .unique(subset="target", keep="first", maintain_order=True))
    for r in strong.head(6).iter_rows(named=True):
        lines.append(f"`{r['target']}` constrains `{r['parameter']}` most (KS distance "
                     f"{r['ks']:.2f} between the sets that meet it and all).")
    shrink = [kv for kv in _shrinkage(run) if kv[1] > 0.2][:5]
    if res.theta.shape[0] == 1:  # one set has no spread: nothing "narrowed"
        lines.append("The ensemble is a single parameter set, so it has no spread to compare "
                     "with the prior's: run more particles to see which parameters the "
                     "patterns constrain.")
    elif shrink:
        head = ("Among the closest sets (not a posterior: no set met every pattern), the "
                "ensemble narrowed " if run.met_all == 0 else "The ensemble narrowed ")
        lines.append(head + ", ".join(
            f"`{k}` (sd {100 * s:.0f} % below the prior's)" for k, s in shrink)
            + "; the other parameters stay close to their plausible ranges."
            + (f" With {res.theta.shape[0]} members, part of that narrowing is the small "
               "population, not information from the patterns." if res.theta.shape[0] < 100
               else ""))
    return lines


def write_report(run: CalibrationRun, command: str) -> dict[str, Path]:
    folder = run.folder
    cons = constraints(run)
    pred = predictive(run)
    atomic_write(folder / "constraints.parquet", lambda p: cons.write_parquet(p))
    atomic_write(folder / "predictive.parquet", lambda p: pred.write_parquet(p))
    shrink = [k for k, _ in _shrinkage(run)]
    by_ks = (cons.group_by("parameter").agg(pl.col("ks").max()).sort("ks", descending=True,
                                                                   nulls_last=True))
    top_cons = by_ks["parameter"].to_list()[:14]
    top = (shrink or run.space.names)[:12]
    files = {
        "posterior.png": posterior_figure(run, folder / "posterior.png", top),
        "pairs.png": pairs_figure(run, folder / "pairs.png", top[:4]),
        "constraints.png": constraint_figure(cons, folder / "constraints.png", top_cons,
                                             [t.name for t in run.targets]),
        "predictive.png": predictive_figure(pred, folder / "predictive.png"),
    }
    lines = reading(run, pred, cons)
    b = [_Block("h1", "Pattern-oriented calibration"),
         _Block("p", f"{len(run.space.params)} uncertain parameters, priors uniform on their "
                     f"plausible ranges; {len(run.targets)} patterns; {run.runs} runs. "
                     "Approximate Bayesian computation: rejection on a space-filling sample, "
                     "then sequential Monte Carlo (netsim.approx_bayes)."),
         _Block("h2", "Reading"), _Block("ul", lines)]
    b += [_Block("note", n) for n in run.notes]
    b += [_Block("h2", "Targets and posterior predictive check"),
          _Block("table", (("target", "what", "accept", "prior sets meeting it",
                            "ensemble meeting it", "source"),
                           [(t.name, t.what, t.region_text(),
                             f"{100 * pr['prior_share']:.0f} %",
                             f"{100 * pr['ensemble_share']:.0f} %", t.source)
                            for t, pr in zip(run.targets, pred.iter_rows(named=True))]
                           + [("all together", "", "",
                               f"{100 * pred['prior_share'][-1]:.0f} %",
                               f"{100 * pred['ensemble_share'][-1]:.0f} %", "")],
                           ("l", "l", "r", "r", "r", "l"))),
          _Block("img", ("predictive.png", "posterior predictive check",
                         files["predictive.png"])),
          _Block("h2", "Posterior"),
          _Block("img", ("posterior.png", "marginal posteriors", files["posterior.png"])),
          _Block("img", ("pairs.png", "pairwise posterior", files["pairs.png"])),
          _Block("h2", "Which pattern constrains which parameter"),
          _Block("p", "Kolmogorov-Smirnov distance between a parameter's values among the prior "
                      "sets that meet a pattern and among all prior sets."),
          _Block("img", ("constraints.png", "constraints", files["constraints.png"])),
          _Block("h2", "Generations"),
          _Block("table", (("generation", "tolerance", "sets run", "accepted", "effective size"),
                           [(str(i), f"{g.epsilon:.3g}", str(g.proposed), str(g.accepted),
                             f"{g.ess:.0f}") for i, g in enumerate(run.result.generations)],
                           ("r", "r", "r", "r", "r"))),
          _Block("note", f"Ensemble: `{run.ensemble_path}`: `netsim run ensemble=FILE` (and its "
                         "sweeps, then `netsim compare`) runs each replicate on a member drawn "
                         "by weight; `netsim robust --ensemble FILE` runs every arm on every "
                         "member. "
                         f"Command: `{command}`.")]
    atomic_write(folder / "report.md", lambda p: p.write_text(_render_md(b)))
    atomic_write(folder / "report.html",
                 lambda p: p.write_text(_render_html(b, "netsim calibration")))
    files.update({"report.md": folder / "report.md", "report.html": folder / "report.html",
                  "ensemble.parquet": run.ensemble_path})
    run.files = files
    return files
