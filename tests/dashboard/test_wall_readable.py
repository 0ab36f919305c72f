"""The wall read from across the room, in headless Chromium against a live gunicorn: every
text on it (HTML and the charts' SVG) at least 24 px at 1920x1080 and 44 px at 3840x2160 (24 px
on screens that are not 16:9 too: 1280x1024, 2560x1080),
no two texts or panels over each other, no line cut, nothing past the screen's edge.

The city is the sample region's every unit (a few hundred employees, today's check-ins),
so the unit chart turns pages and carries its caption above the legend, the defect reported.
Screenshots: tests/artifacts/wall_readable_*.png.
"""
from __future__ import annotations

import itertools

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from foundation import clock
from ingest import live
from ingest.synthetic.demo_data import populate
from tests.conftest import ROOT
from tests.support.browser import shot, viewport, wait
from tests.support.city import KIOSK_TOKEN, seed_city

pytestmark = pytest.mark.browser

EMPLOYEES = 400   # spread over the config's 86 units: more than one page of bars

# every visible text of the wall: its owner element, computed font size in screen pixels (an SVG
# text's size times its drawing's scale on screen), its boxes and the box its overflow-clipping
# ancestors leave it
WALL_TEXTS_JS = """
const root = document.querySelector('.wall');
const owners = new Map();
const out = [];
const clipOf = el => {
  let c = {left: -1e9, top: -1e9, right: 1e9, bottom: 1e9};
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (a instanceof HTMLElement && (s.overflowX !== 'visible' || s.overflowY !== 'visible')) {
      const b = a.getBoundingClientRect();
      c = {left: Math.max(c.left, b.left), top: Math.max(c.top, b.top),
           right: Math.min(c.right, b.right), bottom: Math.min(c.bottom, b.bottom)};
    }
  }
  return c;
};
const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (!node.textContent.trim()) continue;
  const el = node.parentElement;
  const owner = el.closest('text') || el;
  const style = getComputedStyle(owner);
  if (style.display === 'none' || style.visibility === 'hidden' || !owner.getClientRects().length) continue;
  let px = parseFloat(style.fontSize), boxes;
  if (owner instanceof SVGElement) {
    const m = owner.getScreenCTM();
    px *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    boxes = [box(owner.getBoundingClientRect())];
  } else {
    const range = document.createRange();
    range.selectNodeContents(node);
    boxes = [...range.getClientRects()].map(box);
  }
  if (!owners.has(owner)) owners.set(owner, owners.size);
  out.push({owner: owners.get(owner), text: node.textContent.trim(), px: px, boxes: boxes, clip: clipOf(owner),
            cls: (owner.getAttribute('class') || owner.parentElement.getAttribute('class') || owner.tagName)
                 .split(' ')[0] + ' in #' + (owner.closest('[id]') || {}).id});
}
return out;
"""

PANELS_JS = """
const named = [['header', '.wall-header'], ['bars legend', '#wall-bars-legend'], ['bars', '#wall-bars'],
               ['map', '#wall-map'],
               ['map legend', '#wall-map-legend'], ['ticker', '#wall-ticker']];
const out = named.map(([name, css]) => [name, document.querySelector(css).getBoundingClientRect().toJSON()]);
document.querySelectorAll('.wall .tile').forEach((t, i) => out.push(['tile ' + i, t.getBoundingClientRect().toJSON()]));
return {panels: out, scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
        view: [innerWidth, innerHeight]};
"""

TOLERANCE_PX = 1.0   # boxes touching at their edge, rounded, do not count as over each other


@pytest.fixture(scope="module")
def city(make_runtime, demo_clock):
    rt = make_runtime(ROOT / "config.yaml", "wallr")
    today = clock.today(rt.config.zone)
    populate(rt, EMPLOYEES, 1, today)      # every unit staffed, today's check-ins made
    data = seed_city(rt, past_days=1)      # the logins and the wall's kiosk link
    live.rebuild(rt, today)
    return rt, data


def _cut(b: dict, c: dict) -> dict | None:
    """Box b as far as clip c lets it show (None: clipped away)."""
    r = {"left": max(b["left"], c["left"]), "top": max(b["top"], c["top"]),
         "right": min(b["right"], c["right"]), "bottom": min(b["bottom"], c["bottom"])}
    return r if r["right"] - r["left"] > TOLERANCE_PX and r["bottom"] - r["top"] > TOLERANCE_PX else None


def _over(a: dict, b: dict) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > TOLERANCE_PX
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > TOLERANCE_PX)


def _inside(b: dict, width: int, height: int) -> bool:
    return (b["left"] >= -TOLERANCE_PX and b["top"] >= -TOLERANCE_PX
            and b["right"] <= width + TOLERANCE_PX and b["bottom"] <= height + TOLERANCE_PX)


def _open_wall(browser, server, width: int, height: int, smallest: float, resized: bool) -> None:
    """The wall at this screen size, drawn at it (chart text sized for the screen); `resized`:
    opened at 1920x1080 first, then the window grows (no reload)."""
    viewport(browser, *((1920, 1080) if resized else (width, height)))
    browser.delete_all_cookies()
    browser.get(f"{server}/wall?kiosk={KIOSK_TOKEN}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#wall-ticker li") or False)
    wait(browser, lambda d: "ok" in d.find_element(By.ID, "wall-fresh").get_attribute("class"))
    if resized:
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#wall-bars g.ytick text") or False)
        viewport(browser, width, height)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#wall-bars g.ytick text") or False)
    try:  # the charts are redrawn once the page knows the screen's size; a wall that never
        # gets there is measured as it is and fails below, naming its small texts
        wait(browser, lambda d: d.execute_script(
            "const t = document.querySelector('#wall-bars g.ytick text');"
            f"return t && parseFloat(getComputedStyle(t).fontSize) >= {smallest};"))
    except TimeoutException:
        pass


@pytest.mark.parametrize("width,height,smallest,resized", [(1920, 1080, 24, False), (3840, 2160, 44, False),
                                                          (3840, 2160, 44, True),
                                                          # walls that are not 16:9: a 5:4 monitor, a 21:9 TV
                                                          (1280, 1024, 24, False), (2560, 1080, 24, False)])
def test_every_wall_text_is_big_and_nothing_overlaps(browser, server, city, width, height, smallest, resized):
    try:
        _open_wall(browser, server, width, height, smallest, resized)
        texts = browser.execute_script(WALL_TEXTS_JS)
        layout = browser.execute_script(PANELS_JS)
        shot(browser, f"wall_readable_{width}" + ("_resized" if resized else ""))
    finally:
        viewport(browser, 1920, 1080)
    _assert_readable(texts, layout, width, height, smallest)


def _assert_readable(texts: list[dict], layout: dict, width: int, height: int, smallest: float) -> None:
    """Every text at least `smallest` px, none over another or cut, the panels apart, one screen."""
    kinds = {t["cls"].split(" in ")[0] for t in texts}
    # the texts looked at include the charts' SVG: unit labels, axis ticks, legend, bar labels, caption
    assert {"ytick", "xtick", "annotation-text"} <= kinds, kinds
    assert any("terendah dari" in t["text"] for t in texts)      # the page caption is drawn
    assert {"Tepat waktu", "Belum / TK"} <= {t["text"] for t in texts if "#wall-bars-legend" in t["cls"]}
    small = sorted((t["px"], t["text"][:40], t["cls"]) for t in texts if t["px"] < smallest)
    assert not small, small
    # no text is cut across a line (a ticker row half shown) and none leaves the screen
    shown = []
    for t in texts:
        for b in t["boxes"]:
            seen = _cut(b, t["clip"])
            if seen is None:
                continue
            assert seen["bottom"] - seen["top"] >= b["bottom"] - b["top"] - TOLERANCE_PX, (t["text"], b, t["clip"])
            assert _inside(seen, width, height), (t["text"], seen)
            shown.append((t["owner"], t["text"], seen))
    overlaps = [(a[1], b[1]) for a, b in itertools.combinations(shown, 2) if a[0] != b[0] and _over(a[2], b[2])]
    assert not overlaps, overlaps
    # the panels side by side, none over another, all on the one screen, no scrolling
    panels = layout["panels"]
    assert all(_inside(box, width, height) for _name, box in panels), panels
    crossed = [(a[0], b[0]) for a, b in itertools.combinations(panels, 2) if _over(a[1], b[1])]
    assert not crossed, crossed
    assert layout["scroll"] == [width, height] and layout["view"] == [width, height], layout
    # the bars carry their 24 px percentages (a label too tall for its bar would be hidden)
    bars = sum(1 for t in texts if t["cls"].startswith("ytick"))
    labels = sum(1 for t in texts if t["cls"].startswith("bartext"))
    assert bars >= 10 and labels >= bars, (bars, labels)


def test_the_connection_lost_line_fits_the_header(browser, server, city):
    """The longest header, "Koneksi terputus · data terakhir HH.MM", beside the title and clock."""
    _open_wall(browser, server, 1920, 1080, 24, False)
    browser.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    try:
        wait(browser, lambda d: d.find_element(By.ID, "wall-status").text.startswith("Koneksi terputus"), timeout=45)
        texts = browser.execute_script(WALL_TEXTS_JS)
        layout = browser.execute_script(PANELS_JS)
        shot(browser, "wall_readable_lost")
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {**offline, "offline": False})
    assert any(t["text"].startswith("Koneksi terputus") for t in texts)
    _assert_readable(texts, layout, 1920, 1080, 24)
