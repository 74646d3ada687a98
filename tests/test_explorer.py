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
    person_story,
    pick,
    school_story,
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
    assert np.isnan(trust.get_ydata()[0])  # week 0: no cross-school ties to average yet
    np.testing.assert_allclose(trust.get_ydata()[1:], series["trust_members"][1:])
    assert len(trust.get_xdata()) == 6  # weeks 0..5


def test_trust_is_not_drawn_before_there_are_cross_school_ties():
    model = ExplorerModel(overrides=SMALL)
    for _ in range(4):
        model.step()
    series = model.series()
    trust = series_figure(model).axes[1].get_lines()[0].get_ydata()
    first = int(np.flatnonzero(series["gatherings"] > 0)[0])
    assert np.isnan(trust[:first]).all()  # week 0 (and before the first gathering)
    assert np.isfinite(trust[first:]).all() and (trust[first:] > 0).all()


def test_year_ends_are_marked_and_the_dip_explained():
    model = ExplorerModel(overrides={**SMALL, "calendar.years": 1.2})
    while model.running:
        model.step()
    fig = series_figure(model)
    wpy = model.sim.scenario.calendar.weeks_per_year
    xs = [line.get_xdata()[0] for line in fig.axes[0].get_lines()
          if line.get_linestyle() == ":"]
    assert xs == [wpy]
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "newcomers start unaware" in texts and "8 % of staff are replaced" in texts


def test_only_strong_cross_school_ties_are_drawn_and_the_legend_is_legible():
    model = ExplorerModel(overrides=SMALL)
    for _ in range(19):
        model.step()
    ties = model.sim.state.member_ties
    strong = int((ties.trust >= model.sim.scenario.trust.strong).sum())
    assert 0 < strong < len(ties)
    fig = network_figure(model)
    lines = [c for c in fig.axes[0].collections if type(c).__name__ == "LineCollection"]
    drawn = [len(c.get_segments()) for c in lines]
    colleagues = model.sim.state.colleagues.nnz // 2  # every person is present here
    assert drawn == [colleagues, strong]  # the weak cross-school ties are left out
    assert f"{len(ties) - strong} weaker cross-school ties not drawn" in \
        " ".join(t.get_text() for t in fig.texts)
    for legend in fig.legends:
        assert min(t.get_fontsize() for t in legend.get_texts()) >= 10


def test_a_click_picks_the_person_or_school_and_tells_their_story():
    model = ExplorerModel(overrides=SMALL)
    for _ in range(19):
        model.step()
    st = model.sim.state
    rt = int(np.flatnonzero(st.role == 1)[0])  # a resource teacher
    assert pick(model, *model.positions[rt]) == ("person", rt)
    far = model.positions.max(axis=0) + 5
    assert pick(model, *far) is None
    story = person_story(model, rt)
    assert story[0].startswith(f"Person {rt}: resource teacher at school "
                               f"{int(st.school[rt]) + 1}; a network member")
    practices = [line for line in story if line.startswith("  practice ")]
    assert len(practices) == st.n_practices
    stages = [Stage(int(v)).name.lower() for v in st.stage[rt]]
    for line, stage in zip(practices, stages):
        assert line.split(": ")[1].startswith(stage)
    # every practice the teacher learned while watched names its week and its source
    learned = [(p, v) for (row, p), v in model.learned.items() if row == rt]
    assert learned
    for p, (week, sources, how) in learned:
        assert 1 <= week <= 19 and f"heard of it in week {week}" in practices[p]
        for j in sources:  # a named source already held the same version
            assert st.version[j, p] == st.version[rt, p] or not st.present[j]
    partners = (st.member_ties.a == rt) | (st.member_ties.b == rt)
    assert f"Trust partners in other schools: {int(partners.sum())}" in " ".join(story)
    school = int(st.school[rt])
    text = school_story(model, school)
    assert text[0].startswith(f"School {school + 1}: ")
    assert any(f"Resource teacher: person {rt}" in line for line in text)


def test_watching_who_learned_from_whom_does_not_change_the_run():
    model = ExplorerModel(overrides=SMALL, replicate=1)
    while model.running:
        model.step()
    _, expected = run_replicate(model.sim.scenario, 1)
    np.testing.assert_array_equal(model.series()["adoption_all"], expected["adoption_all"])


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


def _person_pixel() -> tuple[int, tuple[float, float]]:
    """A resource teacher of the page's model (the default design, replicate 0) and where
    they are on the network picture, in pixels from its top left corner."""
    import io

    model = ExplorerModel("resource_teacher_network")
    fig = network_figure(model)
    fig.savefig(io.BytesIO(), format="png")  # fixes the axes' aspect
    row = int(np.flatnonzero(model.sim.state.role == 1)[3])
    x, y = fig.axes[0].transData.transform(model.positions[row])
    return row, (float(x), float(fig.bbox.height - y))


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
            # every slider shows its value; Mesa's own page controls are not there
            base = load_scenario("resource_teacher_network")
            for label in (f"Leader participation: {base.leader_participation:.2f}",
                          f"Trust: initial: {base.trust.initial:.2f}",
                          f"Formality: {base.formality:.2f}",
                          f"Weeks between gatherings: {base.meeting_interval_weeks}",
                          "Network design (preset)"):
                assert page.get_by_text(label, exact=True).count() >= 1, label
            body = page.inner_text("body")
            for hidden in ("Render Interval", "Use Threads", "Page 0", "PAGE 0"):
                assert hidden not in body, hidden
            assert "newcomers" in body  # the yearly dips are explained beside the plots
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
            # click a resource teacher: their story appears below the picture
            target, (dx, dy) = _person_pixel()
            box = page.locator("img.netsim-network").bounding_box()
            page.mouse.click(box["x"] + dx, box["y"] + dy)
            page.wait_for_selector(f"text=Person {target}: resource teacher", timeout=30_000)
            story = page.inner_text(".netsim-story")
            page.locator(".netsim-story").screenshot(path=str(ARTIFACTS / "explorer_story.png"))
            assert "practice 1:" in story and "Trust partners in other schools" in story
            assert "heard of it in week" in story or "knew it before" in story
            # moving a slider shows its new value at once
            formality = page.get_by_role("slider").nth(4)
            formality.focus()
            formality.press("ArrowLeft")
            page.wait_for_selector(f"text=Formality: {base.formality - 0.05:.2f}",
                                   timeout=30_000)
            page.wait_for_function("[...document.querySelectorAll('img')].every(i => "
                                   "i.complete && i.naturalWidth > 300)", timeout=60_000)
            time.sleep(1.0)
            page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)
            page.get_by_role("button", name=re.compile("^reset$", re.IGNORECASE)).click()
            page.wait_for_selector("text=Time: 0.0", timeout=60_000)
            assert not page.get_by_text("error", exact=False).filter(
                has_text=re.compile("error in step", re.IGNORECASE)).count()
        finally:
            browser.close()
    assert not failed, f"requests that failed (offline assets missing?): {failed}"
