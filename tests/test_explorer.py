"""The explorer: layout, drawing, controls, and the web app driven in a real headless browser."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_hex

from netsim import list_presets, load_scenario
from netsim.cli import main as cli_main
from netsim.explorer import (
    STAGE_COLOURS,
    ExplorerModel,
    layout,
    model_params,
    network_figure,
    series_figure,
)
from netsim.runner import run_replicate
from netsim.state import Stage

SMALL = {"network.n_schools": 6, "network.teachers_per_school": 10, "calendar.years": 0.5}
ARTIFACTS = Path(__file__).parent / "artifacts"


def test_layout_is_stable_and_draws_schools_as_separate_clusters():
    model = ExplorerModel(overrides={"calendar.years": 0.1})
    st = model.sim.state
    again = layout(st, seed=model.replicate)
    np.testing.assert_array_equal(model.positions, again)
    other = layout(st, seed=model.replicate + 1)
    # another seed moves people by the jitter only (sd 0.15): never by a whole cluster
    assert 0 < np.abs(other - again).max() < 1.5
    school = st.school
    in_school = school >= 0
    centres = np.array([again[school == s].mean(axis=0) for s in range(st.n_schools)])
    spread = np.linalg.norm(again[in_school] - centres[school[in_school]], axis=1).max()
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    gaps[np.diag_indices_from(gaps)] = np.inf
    # every person is closer to their own school's centre than half the closest gap
    assert spread < 0.5 * gaps.min()


def test_explorer_runs_the_same_simulation_as_the_runner():
    """Replicate r in the explorer is replicate r of run_scenario: drawing changes nothing."""
    model = ExplorerModel(leader_participation=0.3, meeting_interval_weeks=4, replicate=2,
                          overrides=SMALL)
    network_figure(model)  # drawing in between must not touch the run's random stream
    while model.running:
        model.step()
        if model.sim.week % 7 == 0:
            network_figure(model)
    _, expected = run_replicate(model.sim.scenario, 2)
    got = model.series()
    assert model.sim.week == model.sim.scenario.n_weeks
    for column in ("adoption_members", "adoption_colleagues", "trust_members"):
        np.testing.assert_array_equal(got[column], expected[column])


def test_controls_set_the_four_conditions_and_the_preset():
    model = ExplorerModel("resource_teacher_network", leader_participation=0.0,
                          trust_initial=0.45, trust_growth=0.3, trust_decay=0.05,
                          formality=0.2, meeting_interval_weeks=12, overrides=SMALL)
    sc = model.sim.scenario
    assert (sc.leader_participation, sc.trust.initial, sc.trust.growth, sc.trust.decay,
            sc.formality, sc.meeting_interval_weeks) == (0.0, 0.45, 0.3, 0.05, 0.2, 12)
    params = model_params()
    assert params["preset"]["values"] == list_presets()
    base = load_scenario("resource_teacher_network")
    assert params["leader_participation"]["value"] == base.leader_participation
    assert params["meeting_interval_weeks"]["value"] == base.meeting_interval_weeks
    # SolaraViz re-creates the model with these names as keyword arguments on Reset
    accepted = inspect.signature(ExplorerModel.__init__).parameters
    assert set(params) <= set(accepted)
    for name, spec in params.items():
        if spec["type"].startswith("Slider"):
            assert spec["min"] <= spec["value"] <= spec["max"], name


def test_network_figure_colours_each_person_by_their_top_stage():
    model = ExplorerModel(overrides=SMALL)
    for _ in range(8):
        model.step()
    fig = network_figure(model)
    drawn = {hex_: 0 for hex_ in STAGE_COLOURS.values()}
    n_points = 0
    for coll in fig.axes[0].collections:
        if hasattr(coll, "get_offsets") and coll.get_offsets().shape[0] and \
                type(coll).__name__ == "PathCollection":
            faces = coll.get_facecolors()
            n_points += faces.shape[0]
            for face in faces:
                drawn[to_hex(face[:3])] += 1
    present = [p for p in model.sim.people if model.sim.state.present[p.row]]
    assert n_points == len(present)
    for stage, colour in STAGE_COLOURS.items():
        assert drawn[colour] == sum(p.top_stage == stage for p in present), stage.name
    assert drawn[STAGE_COLOURS[Stage.ADOPTED]] > 0


def _drawn_people(fig) -> int:
    return sum(c.get_offsets().shape[0] for c in fig.axes[0].collections
               if type(c).__name__ == "PathCollection")


@pytest.mark.parametrize("preset", list_presets())
def test_every_preset_can_be_explored_and_drawn(preset):
    # with every slider set, as SolaraViz passes them (meeting groups ignore the interval)
    sliders = {k: c["value"] for k, c in model_params().items() if k != "preset"}
    model = ExplorerModel(preset, **sliders, overrides={"calendar.years": 0.2})
    for _ in range(4):
        model.step()
    st = model.sim.state
    assert np.isfinite(model.positions).all()
    assert _drawn_people(network_figure(model)) == int(st.present.sum())
    assert model.sim.scenario.name == preset


def test_series_figure_plots_the_recorded_adoption():
    model = ExplorerModel(overrides=SMALL)
    for _ in range(5):
        model.step()
    fig = series_figure(model)
    series = model.series()
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["network members"].get_ydata(),
                               100 * series["adoption_members"])
    np.testing.assert_allclose(lines["all staff"].get_ydata(), 100 * series["adoption_all"])
    trust = fig.axes[1].get_lines()[0]
    np.testing.assert_allclose(trust.get_ydata(), series["trust_members"])
    assert len(trust.get_xdata()) == 6  # weeks 0..5


def test_explore_rejects_a_bad_port(capsys):
    assert cli_main(["explore", "--port", "70000"]) == 2
    assert "--port = 70000" in capsys.readouterr().err


# ------------------------------------------------------------------ the web app in a browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on ``port`` (Linux /proc/net/tcp*, hex-decoded)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                found.add(addr)
    return found


_TIME_JS = r"/Time: (\d+)/"


def _week(page) -> int:
    return int(re.search(r"Time: (\d+)", page.inner_text("body")).group(1))


@pytest.fixture
def explorer_url():
    """Start `netsim explore` on a free port; yield its URL; stop it."""
    port = _free_port()
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    proc = subprocess.Popen([sys.executable, "-m", "netsim.cli", "explore", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=tempfile.mkdtemp(prefix="netsim-explore-"))
    first = proc.stdout.readline()
    url = f"http://127.0.0.1:{port}/"
    assert url in first, first
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"netsim explore did not start: {first}{proc.stdout.read()}")
            time.sleep(0.5)
    try:
        yield url, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(_chromium() is None,
                    reason="no chromium binary (install Debian's: apt-get install -y chromium)")
def test_explorer_web_app_in_headless_chromium(explorer_url):
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    url, port = explorer_url
    # bound to this computer only
    assert _listening_addresses(port) <= {"0100007F", "00000000000000000000000001000000"}
    failed: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="netsim-chromium-"), executable_path=chromium,
            headless=True, args=CHROMIUM_FLAGS, viewport={"width": 1600, "height": 1000})
        try:
            page = browser.new_page()
            page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
            page.goto(url)
            page.wait_for_selector("text=Time: 0.0", timeout=90_000)
            figures = page.locator("img[src^='blob:'], img[src^='data:image']")
            figures.first.wait_for(timeout=60_000)
            page.wait_for_function("document.querySelectorAll('img').length >= 2 && "
                                   "[...document.querySelectorAll('img')].every("
                                   "i => i.complete && i.naturalWidth > 300)", timeout=60_000)
            assert figures.count() == 2  # the network and the plots
            for label in ("Leader participation", "Trust: initial", "Formality",
                          "Weeks between gatherings", "Network design (preset)"):
                assert page.get_by_text(label, exact=True).count() >= 1, label
            before = [figures.nth(i).screenshot() for i in range(2)]
            srcs = [figures.nth(i).get_attribute("src") for i in range(2)]
            for weeks in (1, 2, 3):
                page.get_by_role("button", name=re.compile("^step$", re.IGNORECASE)).click()
                page.wait_for_selector(f"text=Time: {weeks}.0", timeout=60_000)
            page.wait_for_function(
                "srcs => [...document.querySelectorAll('img')].every((i, k) => "
                "i.getAttribute('src') !== srcs[k] && i.complete && i.naturalWidth > 300)",
                arg=srcs, timeout=60_000)
            after = [figures.nth(i).screenshot() for i in range(2)]
            assert after[0] != before[0], "the network picture did not change after Step"
            assert after[1] != before[1], "the plots did not change after Step"
            # play runs week after week until paused
            page.get_by_role("button", name="▶").click()
            page.wait_for_function(f"(document.body.innerText.match({_TIME_JS}) || [0, 0])[1]"
                                   " >= 10", timeout=120_000)
            page.get_by_role("button", name="❚❚").click()
            page.get_by_role("button", name="▶").wait_for(timeout=30_000)
            # the clock stops (a week already under way when pause was pressed may finish)
            deadline, weeks = time.monotonic() + 30, [_week(page)]
            while time.monotonic() < deadline and not (len(weeks) > 2 and
                                                       weeks[-1] == weeks[-2] == weeks[-3]):
                time.sleep(1.0)
                weeks.append(_week(page))
            assert weeks[-1] == weeks[-2] == weeks[-3] >= 10, f"still running: {weeks}"
            page.wait_for_function(
                "[...document.querySelectorAll('img')].every(i => i.complete && "
                "i.naturalWidth > 300)", timeout=60_000)
            time.sleep(1.0)
            page.screenshot(path=str(ARTIFACTS / "explorer.png"))
            page.get_by_role("button", name=re.compile("^reset$", re.IGNORECASE)).click()
            page.wait_for_selector("text=Time: 0.0", timeout=60_000)
            assert not page.get_by_text("error", exact=False).filter(
                has_text=re.compile("error in step", re.IGNORECASE)).count()
        finally:
            browser.close()
    assert not failed, f"requests that failed (offline assets missing?): {failed}"
