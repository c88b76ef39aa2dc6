"""The site's link to the project repository, found from a clone of a local path too
(issue 17: `pipeline site` in such a clone warned "no repository URL")."""
import subprocess

from pipeline.publish.site.metadata import repository_url


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_a_clone_of_a_local_clone_links_to_where_that_one_came_from(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    first = tmp_path / "first"
    _git(tmp_path, "init", "-q", str(first))
    assert repository_url(None, {}, first) is None  # no remote at all
    _git(first, "remote", "add", "origin", "git@github.com:someone/budgets.git")
    _git(first, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x")
    _git(tmp_path, "clone", "-q", str(first), "second")
    _git(tmp_path, "clone", "-q", f"file://{tmp_path / 'second'}", "third")
    for clone in ("first", "second", "third"):
        assert repository_url(None, {}, tmp_path / clone) == "https://github.com/someone/budgets"
    assert repository_url(None, {"repository_url": "https://example.org/r"}, tmp_path / "third") \
        == "https://example.org/r"

