"""`make run` wiring: which providers the sandbox replaces and what the backend is told."""

from backend.run_local import sandbox_plan


def test_without_credentials_both_providers_point_at_the_sandbox():
    django_env, sandbox_env, providers = sandbox_plan({
        "PORT": "8001", "SANDBOX_PORT": "9000",
        "APP_REDIRECT_URIS": "com.example.app:/oauth, https://app.example.test/cb",
    })
    assert providers == ["GitHub", "Facebook"]
    assert django_env["GITHUB_URL"] == "http://127.0.0.1:9000/github"
    assert django_env["GITHUB_API_URL"] == "http://127.0.0.1:9000/github/api/v3"
    assert django_env["FACEBOOK_GRAPH_URL"] == "http://127.0.0.1:9000/graph"
    assert django_env["GITHUB_CLIENT_ID"] == sandbox_env["SANDBOX_GITHUB_CLIENT_ID"]
    assert django_env["FACEBOOK_APP_SECRET"] == sandbox_env["SANDBOX_FACEBOOK_APP_SECRET"]
    assert django_env["STAFF_GITHUB_LOGINS"] == "octocat"
    assert django_env["CSP_EXTRA_IMG_SRC"] == "http://127.0.0.1:9000"
    assert sandbox_env["SANDBOX_GITHUB_REDIRECT_URIS"].split(",") == [
        "http://127.0.0.1:8001/auth/github/callback", "com.example.app:/oauth",
        "https://app.example.test/cb"]
    assert sandbox_env["SANDBOX_FACEBOOK_REDIRECT_URIS"].startswith(
        "http://127.0.0.1:8001/facebook/callback")


def test_existing_staff_and_public_url_are_kept():
    django_env, sandbox_env, _ = sandbox_plan({
        "PUBLIC_URL": "https://dev.example.test/", "STAFF_GITHUB_LOGINS": "mona"})
    assert django_env["STAFF_GITHUB_LOGINS"] == "mona"
    assert sandbox_env["SANDBOX_GITHUB_REDIRECT_URIS"] == (
        "https://dev.example.test/auth/github/callback")


def test_real_credentials_mean_no_sandbox():
    env = {"GITHUB_CLIENT_ID": "real", "FACEBOOK_APP_ID": "123"}
    assert sandbox_plan(env) == ({}, {}, [])


def test_only_the_provider_without_credentials_is_sandboxed():
    django_env, _, providers = sandbox_plan({"GITHUB_CLIENT_ID": "real"})
    assert providers == ["Facebook"]
    assert "GITHUB_URL" not in django_env and "FACEBOOK_URL" in django_env


def test_dotenv_credentials_count_as_real(tmp_path, monkeypatch):
    from backend import run_local

    (tmp_path / ".env").write_text("GITHUB_CLIENT_ID=from-dotenv\nFACEBOOK_APP_ID=\n")
    monkeypatch.setattr(run_local, "BASE_DIR", tmp_path)
    for name in ("GITHUB_CLIENT_ID", "FACEBOOK_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    env = run_local.read_environment()
    monkeypatch.delenv("GITHUB_CLIENT_ID", raising=False)  # read_env wrote it into os.environ
    assert sandbox_plan(env)[2] == ["Facebook"]


def test_spa_elsewhere_registers_its_callback_routes():
    _, sandbox_env, _ = sandbox_plan({"PORT": "8001", "SPA_URL": "http://localhost:5173/"})
    assert sandbox_env["SANDBOX_GITHUB_REDIRECT_URIS"] == "http://localhost:5173/auth/github/callback"
    assert sandbox_env["SANDBOX_FACEBOOK_REDIRECT_URIS"] == "http://localhost:5173/facebook/callback"
