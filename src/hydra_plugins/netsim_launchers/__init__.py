"""netsim's cluster launchers for Hydra: SLURM (over submitit), Ray (over ``ray.remote``) and
Dask (over ``Client.submit``); presets in ``configs/hydra/launcher/``.

Each module stays cheap to import (Hydra imports every ``hydra_plugins`` module when it
starts): the engine's package is imported when a sweep launches. No ``from __future__ import
annotations`` here (Hydra's plugin scan); the modules must be importable where the jobs run
(Dask workers import the job function from here).
"""
