"""The site under hostile requests (issue 18): SQLite's limits on every connection, a cap
on what one query returns and on one response, the serving process's memory limit, pages
that stay quick while slow queries run, 405 for methods the read-only site does not take,
and one short log line for each refused request."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys

import pytest
from datasette.utils.asgi import Request

from conftest import ROOT
from pipeline.publish.site import (make_datasette, plugin_module, publish_args, serve_args,
                                   site_config)
from test_site import Client, build_seed_site

LIMITS = plugin_module()
SLOW = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
HALF = LIMITS.VALUE_LIMIT // 2 - 1  # bytes whose hex() is as long as a value may be


def rows_of(n: int, value: str) -> str:
    """SQL returning `n` rows of one column computed by `value`."""
    return (f"with recursive c(x) as (select 1 union all select x + 1 from c where x < {n}) "
            f"select {value} as v from c")


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory):
    return build_seed_site(tmp_path_factory.mktemp("limits"))


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def datasette(seed_site):
    package, site = seed_site
    return make_datasette(site / "budgets.db", site / "metadata.json", package)


@pytest.fixture(scope="module")
def client(seed_site, loop) -> Client:
    return Client(datasette(seed_site), loop)


def request(client: Client, method: str, path: str, **params):
    return client.loop.run_until_complete(
        client.ds.client.request(method, path, params=params or None))


def test_huge_values_are_refused_and_the_site_still_answers(client):
    for sql in ("select zeroblob(999999999)", "select hex(randomblob(200000000))",
                f"select zeroblob({LIMITS.VALUE_LIMIT + 1})"):
        response = client.get("/budgets.json", sql=sql)
        assert response.status_code == 400, sql
        assert response.json()["error"] == "string or blob too big"
        assert len(response.content) < 2000
    response = client.get("/budgets/projects.json",
                          _where=f"length(hex(randomblob({HALF + 1}))) > 0")
    assert response.status_code == 400 and "too big" in response.json()["error"]
    assert client.rows("/budgets.json", sql=f"select length(zeroblob({LIMITS.VALUE_LIMIT})) "
                       "as n")[0]["n"] == LIMITS.VALUE_LIMIT
    assert client.get("/budgets/projects.json", _size="5").status_code == 200
    assert client.get("/budgets/largest_projects").status_code == 200


def test_one_query_returns_at_most_the_result_limit(client):
    # 100 values as long as allowed: 25 MB, refused once it passes RESULT_LIMIT
    response = client.get("/budgets.json", sql=rows_of(100, f"hex(randomblob({HALF}))"))
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"query result larger than {LIMITS.RESULT_LIMIT:,}")
    columns = ", ".join(["x"] * (LIMITS.COLUMN_LIMIT + 1))
    response = client.get("/budgets.json", sql=f"select {columns} from (select 1 as x)")
    assert response.status_code == 400 and "too many columns" in response.json()["error"]
    # the limit is per query, not per connection: 60% of it twice in a row is fine
    n = LIMITS.RESULT_LIMIT * 6 // 10 // (2 * HALF)
    for _ in range(2):
        rows = client.rows("/budgets.json", sql=rows_of(n, f"hex(zeroblob({HALF}))"))
        assert [len(r["v"]) for r in rows] == [2 * HALF] * n
    assert client.rows("/budgets.json", sql="select count(*) as n from projects")[0]["n"] > 0


def test_a_response_over_the_cap_is_refused(client):
    # values under RESULT_LIMIT whose JSON (\u0001 for each character) is over the cap
    n = LIMITS.RESULT_LIMIT // (2 * HALF) - 1
    assert 2 * HALF * n < LIMITS.RESULT_LIMIT < LIMITS.RESPONSE_LIMIT < 6 * 2 * HALF * n
    response = client.get("/budgets.json",
                          sql=rows_of(n, f"replace(hex(zeroblob({HALF})), '0', char(1))"))
    assert response.status_code == 400 and len(response.content) < 500
    mib = LIMITS.RESPONSE_LIMIT // 2**20
    assert response.json()["error"].startswith(f"response larger than {mib} MiB")
    assert client.get("/budgets/projects.json", _size="5").status_code == 200
    assert client.get("/datapackage/datapackage.json").status_code == 200


def test_other_methods_than_get_are_refused_with_405(client):
    for method, path in (("POST", "/budgets/largest_projects"), ("POST", "/budgets/projects"),
                         ("POST", "/budgets.json"), ("PUT", "/"),
                         ("DELETE", "/budgets/projects")):
        response = request(client, method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == "GET, HEAD"
    assert client.get("/budgets/largest_projects.json").status_code == 200
    assert request(client, "HEAD", "/budgets/projects").status_code == 200


def test_a_refusal_carries_the_cors_header_of_a_site_with_cors(loop):
    sent = []

    async def site(scope, receive, send):
        raise AssertionError("a refused request reaches no page")

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/budgets.json", "query_string": b""}
    loop.run_until_complete(LIMITS.guard(site, 3, cors=True)(scope, None, send))
    assert sent[0]["status"] == 405
    assert (b"access-control-allow-origin", b"*") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {"ok": False, "status": 405,
                                           "error": "POST is not allowed: the site is read-only"}


def test_a_refused_request_logs_one_short_line(client, capsys, caplog):
    """Not Datasette's traceback with every local variable (150 KB a request)."""
    caplog.set_level(logging.WARNING)
    capsys.readouterr()
    refused = [("GET", "/budgets.json", {"sql": "select zeroblob(999999999)"}),
               ("GET", "/budgets.json", {"sql": "delete from projects"}),
               ("GET", "/budgets.json", {"sql": SLOW, "_timelimit": "50"}),
               ("GET", "/budgets/projects", {"_where": f"length(zeroblob({HALF * 3})) > 0"}),
               ("GET", "/budgets/no_such_table", {}),
               ("POST", "/budgets/largest_projects", {})]
    for method, path, params in refused:
        assert request(client, method, path, **params).status_code in (400, 404, 405)
    out, err = capsys.readouterr()
    lines = (out + err).splitlines() + [r.getMessage() for r in caplog.records]
    assert "Traceback" not in out + err and "locals" not in out + err
    assert len(lines) <= 2 * len(refused) and max(map(len, lines)) < 1000, lines
    assert any("400 GET /budgets.json?sql=delete+from+projects: Statement must be a SELECT"
               in line for line in lines)
    assert any("SQL query took too long" in line for line in lines)
    assert any("405 POST /budgets/largest_projects" in line for line in lines)


def test_memory_errors_are_a_503_and_faults_a_500(client):
    def status(exception):
        page = LIMITS.error_page(client.ds, Request.fake("/budgets.json"), exception)
        return client.loop.run_until_complete(page()).status

    assert status(MemoryError()) == 503
    assert status(RuntimeError("a fault of the site")) == 500


def test_pages_stay_quick_while_slow_queries_run(seed_site, loop):
    """Requests with their own SQL get half the SQL threads: a table page is served while
    as many slow queries as there are threads run (each to its time limit)."""
    ds = datasette(seed_site)
    threads = ds.setting("num_sql_threads")
    assert threads == site_config()["settings"]["num_sql_threads"] >= 2

    async def run():
        await ds.invoke_startup()
        slow = [asyncio.create_task(ds.client.get(
            "/budgets.json", params={"sql": SLOW, "_timelimit": "3000"}))
            for _ in range(threads)]
        await asyncio.sleep(0.2)  # the slow queries hold their threads (3 s: room for a busy machine)
        page = await ds.client.get("/budgets/projects.json", params={"_size": "5"})
        running = sum(not task.done() for task in slow)
        return page, running, await asyncio.gather(*slow)

    page, running, slow = loop.run_until_complete(run())
    assert page.status_code == 200 and running == threads
    assert all(r.status_code == 400 and "too long" in r.text for r in slow)


def test_too_many_waiting_queries_get_a_503(seed_site, loop):
    ds = datasette(seed_site)
    count = ds.setting("num_sql_threads") // 2 + LIMITS.QUEUE_LIMIT + 1

    async def run():
        await ds.invoke_startup()
        return await asyncio.gather(*(ds.client.get(
            "/budgets.json", params={"sql": SLOW, "_timelimit": "200"})
            for _ in range(count)))

    statuses = sorted(r.status_code for r in loop.run_until_complete(run()))
    assert statuses == [400] * (count - 1) + [503]


SERVER_START = """
import asyncio, json, resource, sqlite3, sys
from pathlib import Path
from pipeline.publish.site import make_datasette

app = make_datasette(*map(Path, sys.argv[1:4])).app()
messages = [{"type": "lifespan.shutdown"}, {"type": "lifespan.startup"}]
sent = []

async def receive():
    return messages.pop()

async def send(message):
    sent.append(message["type"])

before = resource.getrlimit(resource.RLIMIT_AS)[0]
asyncio.run(app({"type": "lifespan"}, receive, send))
heap = sqlite3.connect(":memory:").execute("pragma hard_heap_limit").fetchone()[0]
print(json.dumps({"before": before, "after": resource.getrlimit(resource.RLIMIT_AS)[0],
                  "heap": heap, "sent": sent}))
"""


@pytest.mark.parametrize("env, mib", [({}, LIMITS.MEMORY_LIMIT_MB),
                                      ({LIMITS.MEMORY_ENV: "1500"}, 1500)])
def test_a_serving_process_limits_its_memory(seed_site, env, mib):
    """A server starting the site (the ASGI lifespan that `pipeline serve`, the image and
    every deploy target send) caps its address space and SQLite's heap; the test client,
    which sends none, leaves this process alone."""
    package, site = seed_site
    result = subprocess.run(
        [sys.executable, "-c", SERVER_START, str(site / "budgets.db"),
         str(site / "metadata.json"), str(package)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={k: v for k, v in os.environ.items() if k != LIMITS.MEMORY_ENV} | env)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["sent"] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert seen["after"] == mib * 2**20 and seen["heap"] == LIMITS.HEAP_LIMIT


def test_serve_and_publish_carry_the_limits(seed_site):
    package, site = seed_site
    db, metadata = site / "budgets.db", site / "metadata.json"
    threads = str(site_config()["settings"]["num_sql_threads"])
    serve = serve_args(db, metadata, package)
    assert serve[serve.index("num_sql_threads") + 1] == threads
    image = publish_args("package", db, metadata, package)
    assert f"--setting num_sql_threads {threads}" in image[image.index("--extra-options") + 1]
    assert "--memory" not in image
    cloudrun = publish_args("cloudrun", db, metadata, package)
    assert cloudrun[cloudrun.index("--memory") + 1] == f"{LIMITS.MEMORY_LIMIT_MB}Mi"
    chosen = publish_args("cloudrun", db, metadata, package, ("--memory", "4Gi"))
    assert chosen.count("--memory") == 1 and chosen[-2:] == ["--memory", "4Gi"]
