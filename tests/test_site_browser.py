"""The site in a real browser: headless Chromium (Debian's package, installed by .ci/run)
driven by Playwright against `python -m pipeline serve` on localhost. It asserts what a
person sees: headings, numbers, labels, charts, and never an error page.

Skipped, with the reason, where Playwright or Chromium is missing on a developer's machine;
under CI (CI set) a missing browser is a failure, so the test cannot silently not run."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline.publish.site import build_site, site_config
from test_site import (FEN_A_ID, HOTLINE, PUBLISHER_PAGE, XINXIANG, add_fen_documents,
                       build_seed_site)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def find_browser() -> str | None:
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium",
                  shutil.which("chromium"), shutil.which("chromium-browser"),
                  shutil.which("google-chrome"), shutil.which("google-chrome-stable")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run should have installed it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Python package playwright is not installed (pip install -e '.[test]')")
    executable = find_browser()
    if not executable:
        _unavailable("no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`python -m pipeline serve` on the seed site, on a free localhost port."""
    root = tmp_path_factory.mktemp("browser")
    package, site = build_seed_site(root)
    yield from _serve(root, package, site)


@pytest.fixture(scope="module")
def fen_server(tmp_path_factory):
    """The same on the seeds plus documents whose amounts have fen (test_site's
    add_fen_documents): every canned query has rows, some with sums of such amounts."""
    root = tmp_path_factory.mktemp("browser-fen")
    package, _ = build_seed_site(root)
    add_fen_documents(package)
    site = root / "fen-site"
    build_site(package, site, "https://example.org/budgets")
    yield from _serve(root, package, site)


def _serve(root: Path, package: Path, site: Path):
    port = _free_port()
    log = open(root / "serve.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--package", str(package), "--out",
         str(site), "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start: " +
                                       (root / "serve.log").read_text())
                time.sleep(0.2)
        yield {"base": base, "package": package, "site": site, "shots": root}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    yield page
    context.close()


def visit(page, url: str):
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert page.title() != "Error" and page.locator(".message-error").count() == 0
    return response


def test_landing_page(page, server):
    visit(page, server["base"] + "/")
    assert page.locator("h1").inner_text() == "中国部门预算公开数据"
    version = json.loads((server["package"] / "datapackage.json").read_text(encoding="utf-8"))
    assert f"version {version['version']}" in page.locator(".data-version").inner_text()
    assert "3 disclosures" in page.locator(".data-version").inner_text()
    # departments grouped by province and city, with counts; few enough to show unfolded
    henan = page.locator('details.province[data-province="河南省"]')
    assert henan.get_attribute("open") is not None
    assert "2 个市 cities · 3 个部门 departments · 3 份公开 disclosures" in \
        henan.locator("summary").inner_text()
    xinxiang = henan.locator('.city[data-city="新乡市"]')
    assert "2 个部门 departments" in xinxiang.locator("h4").inner_text()
    departments = xinxiang.locator("table.department-list").inner_text()
    assert "新乡市红旗区政务服务和大数据管理局" in departments and "2022" in departments
    assert "新乡市政务服务和大数据管理局" in departments
    assert "许昌市政务服务和大数据管理局" in henan.locator('.city[data-city="许昌市"]').inner_text()
    download = page.get_by_role("link", name="datapackage.json").first
    assert download.is_visible()
    assert download.get_attribute("href") == "/datapackage/datapackage.json"
    assert page.get_by_role("link", name="projects.csv").is_visible()
    page.screenshot(path=str(server["shots"] / "landing.png"), full_page=True)
    # the landing page's search box takes a plain Chinese term
    page.locator("#site-search-q").fill("热线")
    page.locator(".site-search input[type=submit]").click()
    page.wait_for_load_state()
    assert HOTLINE in page.locator("table.rows-and-columns").inner_text()
    assert not page.errors


def test_table_page(page, server):
    visit(page, server["base"] + "/budgets/projects?line_type=item")
    assert "项目支出表" in page.locator("h1").inner_text()
    assert "项目名称 · Project name as printed" in page.locator("dl.column-descriptions").inner_text()
    described = page.locator("dl.column-descriptions")  # every column, none scrolled away
    from pipeline.metadata.registry import BY_NAME
    assert described.locator("dt").count() == len(BY_NAME["projects"].fields)
    assert described.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    table = page.locator("table.rows-and-columns")
    assert "新乡市大数据产业园二期建设项目(2023年结转)" in table.inner_text()
    biggest = table.locator("tbody tr").first
    assert "227,601,900" in biggest.inner_text()  # sorted by total, shown with separators
    assert "23 rows" in page.locator("h3").first.inner_text()
    assert page.get_by_role("link", name="特定目标类").first.is_visible()  # a facet
    assert not page.errors


def test_canned_query_with_a_parameter(page, server):
    visit(page, server["base"] + "/budgets/search_projects")
    page.locator("input[name=q]").fill("热线")
    page.get_by_role("button", name="查询 Search").click()
    page.wait_for_load_state()
    assert "q=%E7%83%AD%E7%BA%BF" in page.url
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert HOTLINE in text and "704,000" in text and "其他运转类" in text
    visit(page, server["base"] + f"/budgets/department_history?department={XINXIANG}")
    history = page.locator("table.rows-and-columns").inner_text()
    assert "471,725,300" in history and "97.62" in history and "2024" in history
    assert not page.errors


def test_chart(page, server):
    visit(page, server["base"] + "/charts")
    page.locator("#department_id").select_option(XINXIANG)
    page.get_by_role("button", name="显示 Show").click()
    page.wait_for_load_state()
    assert f"department_id={XINXIANG}" in page.url
    assert page.locator("h2.department-name").inner_text() == "新乡市政务服务和大数据管理局"
    classes = page.locator("#function-classes-2024 svg")
    box = classes.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    labels = classes.locator("text").all_text_contents()
    assert "201 一般公共服务支出" in labels and "1,453.47 万元" in labels
    assert "229 其他支出" in labels and "40,517.38 万元" in labels
    bars = classes.locator("rect")
    assert bars.count() == 5
    widths = [float(bars.nth(i).get_attribute("width")) for i in range(5)]
    assert widths == sorted(widths, reverse=True)  # largest class first, drawn widest
    three = page.locator("#three-public")
    assert three.locator("svg").is_visible()
    assert "2.60 万元" in three.locator("svg text").all_text_contents()
    assert "公务接待费" in three.inner_text() and "0.50 万元" in three.inner_text()
    page.screenshot(path=str(server["shots"] / "charts.png"), full_page=True)
    assert not page.errors


def test_department_picker_finds_a_department_by_part_of_its_name(page, server):
    """Type a few characters of a name, see the matching departments, pick one: its page."""
    visit(page, server["base"] + "/")
    search = page.locator("#department-search")
    search.press_sequentially("红旗")
    options = page.locator("#department-search-results [role=option]")
    options.first.wait_for()
    assert options.count() == 1
    assert "新乡市红旗区政务服务和大数据管理局" in options.first.inner_text()
    assert "河南省 › 新乡市" in options.first.inner_text()
    assert search.get_attribute("aria-expanded") == "true"
    page.screenshot(path=str(server["shots"] / "picker.png"))
    search.press("Enter")
    page.wait_for_url("**/charts?department_id=410702-028")
    assert page.locator("h2.department-name").inner_text() == "新乡市红旗区政务服务和大数据管理局"
    # on the charts page too; several matches, the arrow keys pick, a click goes there
    search = page.locator("#department-search")
    search.press_sequentially("大数据")
    options = page.locator("#department-search-results [role=option]")
    options.first.wait_for()
    assert options.count() == 3
    assert "3 个部门" in page.locator(".picker-status").inner_text()
    names = [options.nth(i).locator(".picker-name").inner_text() for i in range(3)]
    target = names.index("许昌市政务服务和大数据管理局")
    for _ in range(target):
        search.press("ArrowDown")
    assert options.nth(target).get_attribute("aria-selected") == "true"
    options.nth(target).locator(".picker-name").click()
    page.wait_for_url("**/charts?department_id=411000-070")
    assert page.locator("h2.department-name").inner_text() == "许昌市政务服务和大数据管理局"
    # nothing matches: said so, no list
    search = page.locator("#department-search")
    search.press_sequentially("不存在的部门")
    assert "没有找到" in page.locator(".picker-status").inner_text()
    assert page.locator("#department-search-results").is_hidden()
    assert not page.errors


def test_department_picker_without_javascript_asks_the_history_query(browser, server):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        visit(page, server["base"] + "/")
        page.locator("#department-search").fill("红旗区")
        page.get_by_role("button", name="查找 Find").click()
        page.wait_for_load_state()
        assert "/budgets/department_history?department=" in page.url
        assert "新乡市红旗区政务服务和大数据管理局" in page.locator("table.rows-and-columns").inner_text()
    finally:
        context.close()


def test_charts_overview(page, server):
    visit(page, server["base"] + "/charts")
    figure = page.locator("#departments svg")
    box = figure.bounding_box()
    assert box and box["width"] > 300
    labels = figure.locator("text.bar-label").all_text_contents()
    assert labels[:2] == ["新乡市政务服务和大数据管理局", "许昌市政务服务和大数据管理局"]
    page.locator("#scope-city").select_option("许昌市")
    assert page.locator("#scope-province").input_value() == "河南省"
    page.get_by_role("button", name="筛选 Filter").click()
    page.wait_for_load_state()
    assert page.locator("#departments svg text.bar-label").all_text_contents() == \
        ["许昌市政务服务和大数据管理局"]
    page.locator("#departments svg a").first.click()  # a bar opens its department
    page.wait_for_load_state()
    assert page.locator("h2.department-name").inner_text() == "许昌市政务服务和大数据管理局"
    assert not page.errors


def test_canned_query_pages_read_in_chinese_without_float_noise(page, fen_server):
    """Every canned query page, each with rows (amounts with fen, and sums of them, among
    them): titled by the query, Chinese column headers, amounts with thousands separators
    and at most two decimals, a button that says what it does."""
    server = fen_server
    meta = json.loads((server["site"] / "metadata.json").read_text(encoding="utf-8"))
    amounts = set(meta["plugins"]["budget-site"]["amount_columns"])
    fen = 0
    for name, query in site_config()["queries"].items():
        params = {p: "" for p in re.findall(r":(\w+)", query["sql"])}
        params.update(query.get("example") or {})
        url = f"{server['base']}/budgets/{name}?" + urllib.parse.urlencode(params)
        visit(page, url)
        assert page.title() == query["title"], name
        labels = page.locator("table.rows-and-columns th .col-label").all_inner_texts()
        assert labels and all(re.search(r"[\u4e00-\u9fff]", t) for t in labels), (name, labels)
        columns = [c.replace("col-", "", 1) for c in page.locator(
            "table.rows-and-columns th").evaluate_all("els => els.map(e => e.className)")]
        assert len(labels) == len(columns), name  # every column has its Chinese label
        right = page.locator("table.rows-and-columns thead th").last.bounding_box()
        assert right["x"] + right["width"] <= 1280, (name, right)  # no column cut off
        for i, column in enumerate(columns):
            if column not in amounts:
                continue
            for value in page.locator(f"table.rows-and-columns tbody td:nth-child({i + 1})"
                                      ).all_inner_texts():
                assert re.fullmatch(r"(-?\d{1,3}(,\d{3})*(\.\d\d)?)?", value.strip()), \
                    (name, column, value)
                fen += "." in value
        assert page.get_by_role("button", name="Run SQL").count() == 0
        assert page.locator("input[type=submit]").first.get_attribute("value") in \
            ("查询 Search", "刷新 Refresh")
    assert fen >= 5  # amounts with fen were shown, not only whole ones
    visit(page, f"{server['base']}/budgets/function_class_totals?year=2023")
    cells = page.locator("table.rows-and-columns td.col-amount").all_inner_texts()
    assert [c.strip() for c in cells] == ["4", "0.30"]  # 1.5 + 2.5 and 0.1 + 0.2
    page.screenshot(path=str(server["shots"] / "query.png"), full_page=True)
    assert not page.errors


def test_failing_checks_fit_a_1280_pixel_window(page, server):
    """Its last column, the contributor's explanation, inside the window (not scrolled
    out of it), and the column descriptions all shown, none in a scroll box."""
    visit(page, server["base"] + "/budgets/failing_checks")
    last = page.locator("table.rows-and-columns thead th").last
    assert "acknowledged" in last.inner_text()
    box = last.bounding_box()
    assert box and box["x"] + box["width"] <= 1280, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.locator("details.column-help summary").click()
    described = page.locator("dl.column-descriptions")
    assert described.locator("dt").count() == 10
    assert described.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    header = page.locator("table.rows-and-columns th.col-rule_description").inner_text()
    assert header.split() == ["规则说明", "rule_description"]
    assert not page.errors


def test_landing_page_shows_where_documents_came_from(page, fen_server):
    visit(page, fen_server["base"] + "/")
    row = page.locator(f'tr[data-department="{FEN_A_ID}"]')
    source = row.get_by_role("link", name="原文 source")
    assert source.is_visible() and source.get_attribute("href") == PUBLISHER_PAGE
    assert "发布 2023-03-15" in row.locator("td.years").inner_text()
    copy = page.get_by_role("link", name="副本 copy")
    assert copy.count() == 1 and copy.is_visible()
    assert not page.errors
