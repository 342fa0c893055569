"""GitHub emulation over real HTTP: the awkward behaviours of PROVIDERS.md Part A / C."""

from urllib.parse import parse_qs, parse_qsl, urlsplit

import requests

from tests.sandbox.helpers import (
    GH_CALLBACK,
    GH_ID,
    GH_SECRET,
    TIMEOUT,
    check_token,
    exchange,
    github_api,
    github_authorize_url,
    github_code,
    github_token,
    pkce,
)


def test_consent_page_offers_authorize_and_cancel_and_escapes_input(sb):
    page = requests.get(github_authorize_url(sb, state='"><script>alert(1)</script>',
                                             scope="read:user <b>x</b>"), timeout=TIMEOUT)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'name=decision value=authorize>Authorize</button>' in page.text
    assert 'name=decision value=cancel>Cancel</button>' in page.text
    assert "OAuth Bridge (sandbox)" in page.text and "octocat" in page.text
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_authorize_redirects_with_code_and_state(sb):
    result = sb.github_consent(github_authorize_url(sb, state="abc"), user="mona")
    assert set(result) == {"code", "state"} and result["state"] == "abc"


def test_cancel_redirects_with_access_denied(sb):
    result = sb.github_consent(github_authorize_url(sb, state="abc"), decision="cancel")
    assert result["error"] == "access_denied"
    assert result["error_description"] == "The user has denied your application access."
    assert result["state"] == "abc" and "code" not in result


def test_unknown_client_id_shows_an_error_page_without_redirect(sb):
    page = requests.get(github_authorize_url(sb, client_id="nope"), allow_redirects=False,
                        timeout=TIMEOUT)
    assert page.status_code == 404 and "Location" not in page.headers


def test_unregistered_redirect_uri_is_reported_on_the_registered_callback(sb):
    result = sb.github_consent(github_authorize_url(
        sb, redirect_uri="https://evil.example/auth/github/callback"))
    assert result["error"] == "redirect_uri_mismatch"
    assert result["state"] == "st4te"
    registered = sb.requests("github.authorize")[-1]
    assert registered["query"]["redirect_uri"].startswith("https://evil.example")


def test_loopback_callback_accepts_any_port_but_not_another_path(sb):
    port_variant = "http://127.0.0.1:5555/auth/github/callback"
    assert "code" in sb.github_consent(github_authorize_url(sb, redirect_uri=port_variant))
    other_path = "http://127.0.0.1:5555/elsewhere"
    assert sb.github_consent(github_authorize_url(sb, redirect_uri=other_path))["error"] == (
        "redirect_uri_mismatch")


def test_plain_code_challenge_is_rejected(sb):
    result = sb.github_consent(github_authorize_url(
        sb, code_challenge="x" * 43, code_challenge_method="plain"))
    assert result["error"] == "invalid_request" and "S256" in result["error_description"]


def test_token_answer_is_form_encoded_unless_json_is_asked_for(sb):
    code, verifier = github_code(sb)
    form = exchange(sb, code, verifier, as_json=False)
    assert form.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    body = dict(parse_qsl(form.text))
    assert body["access_token"].startswith("gho_") and body["token_type"] == "bearer"
    code, verifier = github_code(sb)
    assert exchange(sb, code, verifier).json()["access_token"].startswith("gho_")


def test_token_errors_answer_http_200(sb):
    response = exchange(sb, "not-a-code", "verifier")
    assert response.status_code == 200
    assert response.json()["error"] == "bad_verification_code"
    assert response.json()["error_uri"].startswith("https://docs.github.com/")
    as_form = exchange(sb, "not-a-code", "verifier", as_json=False)
    assert as_form.status_code == 200 and parse_qs(as_form.text)["error"] == [
        "bad_verification_code"]


def test_wrong_client_secret_is_incorrect_client_credentials(sb):
    code, verifier = github_code(sb)
    body = exchange(sb, code, verifier, client_secret="wrong").json()
    assert body["error"] == "incorrect_client_credentials"


def test_code_is_single_use(sb):
    code, verifier = github_code(sb)
    assert "access_token" in exchange(sb, code, verifier).json()
    assert exchange(sb, code, verifier).json()["error"] == "bad_verification_code"


def test_code_expires_after_ten_minutes(sb):
    code, verifier = github_code(sb)
    sb.advance_clock(601)
    assert exchange(sb, code, verifier).json()["error"] == "bad_verification_code"


def test_pkce_verifier_must_match_the_challenge(sb):
    code, _verifier = github_code(sb)
    other_verifier, _ = pkce()
    assert exchange(sb, code, other_verifier).json()["error"] == "bad_verification_code"
    assert exchange(sb, code, None).json()["error"] == "bad_verification_code"


def test_exchange_redirect_uri_must_match_the_authorize_one(sb):
    code, verifier = github_code(sb)
    body = exchange(sb, code, verifier, redirect_uri="http://127.0.0.1/other").json()
    assert body["error"] == "redirect_uri_mismatch"


def test_scope_comes_back_comma_separated_and_normalized(sb):
    body = github_token(sb, scope="user user:email gist")
    assert body["scope"] == "user,gist"
    assert "expires_in" not in body and "refresh_token" not in body


def test_expiring_tokens_refresh_with_rotation(sb):
    sb.config(github_expiring_tokens=True)
    first = github_token(sb)
    assert first["expires_in"] == 28800 and first["refresh_token"].startswith("ghr_")
    assert first["refresh_token_expires_in"] == 15897600

    def refresh(token):
        return requests.post(sb.github_url + "/login/oauth/access_token", data={
            "client_id": GH_ID, "client_secret": GH_SECRET, "grant_type": "refresh_token",
            "refresh_token": token}, headers={"Accept": "application/json"}, timeout=TIMEOUT)

    second = refresh(first["refresh_token"]).json()
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    assert refresh(first["refresh_token"]).json()["error"] == "bad_refresh_token"
    assert github_api(sb, "/user", first["access_token"]).status_code == 401
    assert github_api(sb, "/user", second["access_token"]).status_code == 200


def test_offline_access_opts_one_sign_in_into_expiring_tokens(sb):
    body = github_token(sb, scope="read:user offline_access")
    assert body["scope"] == "read:user" and body["refresh_token"].startswith("ghr_")


def test_github_app_mode_issues_ghu_tokens_without_scopes(sb):
    sb.config(github_app_type="github_app")
    body = github_token(sb)
    assert body["access_token"].startswith("ghu_") and body["scope"] == ""
    assert "refresh_token" in body


def test_access_tokens_expire(sb):
    sb.config(github_token_ttl_s=60)
    token = github_token(sb, scope="read:user offline_access")["access_token"]
    assert github_api(sb, "/user", token).status_code == 200
    sb.advance_clock(61)
    assert github_api(sb, "/user", token).status_code == 401


def test_user_profile_and_headers(sb):
    token = github_token(sb)["access_token"]
    response = github_api(sb, "/user", token)
    user = response.json()
    assert user["id"] == 583231 and user["login"] == "octocat"
    assert user["avatar_url"].startswith(sb.url) and user["avatar_url"].endswith(".svg")
    assert response.headers["X-OAuth-Scopes"] == "read:user, user:email"
    assert int(response.headers["x-ratelimit-limit"]) == 5000
    assert int(response.headers["x-ratelimit-remaining"]) < 5000
    assert int(response.headers["x-ratelimit-reset"]) > 0
    avatar = requests.get(user["avatar_url"], timeout=TIMEOUT)
    assert avatar.headers["Content-Type"] == "image/svg+xml"


URL_FIELDS = ("followers_url", "following_url", "gists_url", "starred_url", "subscriptions_url",
              "organizations_url", "repos_url", "events_url", "received_events_url")
PRIVATE_FIELDS = ("private_gists", "total_private_repos", "owned_private_repos",
                  "two_factor_authentication", "plan", "disk_usage", "collaborators")
PUBLIC_REQUIRED = ("login", "id", "node_id", "avatar_url", "gravatar_id", "url", "html_url",
                   *URL_FIELDS, "type", "site_admin", "name", "company", "blog", "location",
                   "email", "hireable", "bio", "public_repos", "public_gists", "followers",
                   "following", "created_at", "updated_at")


def minted(sb, scopes):
    return sb.mint_token("github", "octocat", scopes=scopes)["access_token"]


def test_user_has_githubs_full_public_shape_for_any_token(sb):
    """Issue 16 item 6a: a client reading any public field works here as on GitHub."""
    user = github_api(sb, "/user", minted(sb, ["user:email"])).json()
    assert set(PUBLIC_REQUIRED) <= set(user)
    assert user["user_view_type"] == "public"
    assert user["gists_url"].endswith("/users/octocat/gists{/gist_id}")
    assert user["starred_url"].endswith("/users/octocat/starred{/owner}{/repo}")


def test_private_fields_go_only_to_user_or_read_user_tokens(sb):
    """Without `user`/`read:user` GitHub answers the Public User shape: a client that reads a
    private field must fail here as it would on GitHub."""
    public = github_api(sb, "/user", minted(sb, ["user:email"])).json()
    assert not set(PRIVATE_FIELDS) & set(public) and "notification_email" not in public
    read_user = github_api(sb, "/user", minted(sb, ["read:user"])).json()
    assert set(PRIVATE_FIELDS) <= set(read_user)
    assert set(read_user["plan"]) == {"name", "space", "collaborators", "private_repos"}
    full = github_api(sb, "/user", minted(sb, ["user"])).json()
    assert set(PRIVATE_FIELDS) <= set(full)


def test_user_carries_the_notification_email_with_a_profile_scope(sb):
    """Real /user answers carry `notification_email` since 2025: the primary address, private
    or not, so only on the Private User shape (`read:user` or `user`)."""
    for scopes in (["read:user"], ["user"]):
        octocat = github_api(sb, "/user", minted(sb, scopes)).json()
        assert octocat["notification_email"] == "octocat@github.com"
    mona = sb.mint_token("github", "mona", scopes=["read:user", "user:email"])["access_token"]
    mona_user = github_api(sb, "/user", mona).json()
    assert mona_user["email"] is None  # her address is private…
    assert mona_user["notification_email"] == "mona@example.com"  # …GitHub notifies it all the same


def test_check_token_user_is_a_full_simple_user(sb):
    token = minted(sb, ["read:user"])
    user = check_token(sb, token).json()["user"]
    assert {"login", "id", "node_id", "avatar_url", "html_url", *URL_FIELDS,
            "user_view_type", "type", "site_admin"} <= set(user)


def test_mona_has_no_public_email_but_a_verified_primary_one(sb):
    token = github_token(sb, user="mona")["access_token"]
    assert github_api(sb, "/user", token).json()["email"] is None
    emails = github_api(sb, "/user/emails", token).json()
    assert [e["email"] for e in emails if e["primary"] and e["verified"]] == ["mona@example.com"]


def test_unverified_user_has_no_verified_address(sb):
    token = github_token(sb, user="unverified")["access_token"]
    emails = github_api(sb, "/user/emails", token).json()
    assert emails and not any(e["verified"] for e in emails)


def test_emails_need_the_user_email_scope(sb):
    token = github_token(sb, scope="read:user")["access_token"]
    assert github_api(sb, "/user/emails", token).status_code == 404


def test_repos_paginate_with_link_headers(sb):
    token = github_token(sb)["access_token"]
    first = github_api(sb, "/user/repos", token, params={"per_page": 30})
    assert len(first.json()) == 30
    assert parse_qs(urlsplit(first.links["next"]["url"]).query) == {
        "page": ["2"], "per_page": ["30"]}
    assert first.links["last"]["url"] == first.links["next"]["url"]
    assert "prev" not in first.links
    second = requests.get(first.links["next"]["url"], timeout=TIMEOUT,
                          headers={"Authorization": f"token {token}"})
    assert len(second.json()) == 5 and "next" not in second.links
    assert parse_qs(urlsplit(second.links["prev"]["url"]).query)["page"] == ["1"]
    names = {r["full_name"] for r in first.json() + second.json()}
    assert len(names) == 35 and not any(r["private"] for r in first.json())


def test_private_repos_need_the_repo_scope(sb):
    token = github_token(sb, scope="repo")["access_token"]
    repos = github_api(sb, "/user/repos", token, params={"per_page": 100}).json()
    assert sum(r["private"] for r in repos) == 2


def test_check_token_answers_details_or_404(sb):
    sb.config(github_expiring_tokens=True)
    token = github_token(sb)["access_token"]
    details = check_token(sb, token)
    assert details.status_code == 200
    body = details.json()
    assert body["token"] == token and body["scopes"] == ["read:user", "user:email"]
    assert body["expires_at"].endswith("Z") and body["user"]["login"] == "octocat"
    assert check_token(sb, "gho_unknown").status_code == 404


def test_check_token_needs_the_app_basic_credentials(sb):
    token = github_token(sb)["access_token"]
    assert check_token(sb, token, auth=(GH_ID, "wrong")).status_code == 401


def test_revoking_the_grant_kills_every_token_of_that_user(sb):
    first = github_token(sb)["access_token"]
    second = github_token(sb)["access_token"]
    mona = github_token(sb, user="mona")["access_token"]
    revoked = requests.delete(f"{sb.github_api_url}/applications/{GH_ID}/grant",
                              json={"access_token": first}, auth=(GH_ID, GH_SECRET),
                              timeout=TIMEOUT)
    assert revoked.status_code == 204
    for token in (first, second):
        response = github_api(sb, "/user", token)
        assert response.status_code == 401
        assert response.json()["message"] == "Bad credentials"
        assert response.json()["documentation_url"].startswith("https://docs.github.com")
    assert github_api(sb, "/user", mona).status_code == 200
    assert check_token(sb, first).status_code == 404


def test_unknown_token_is_bad_credentials(sb):
    assert github_api(sb, "/user", "gho_nonsense").status_code == 401
    assert requests.get(sb.github_api_url + "/user", timeout=TIMEOUT).json()["message"] == (
        "Requires authentication")


def test_redirect_keeps_query_of_the_callback(sb):
    callback = "http://127.0.0.1/auth/github/callback?app=1"
    sb.register_redirect_uri("github", callback)
    _verifier, challenge = pkce()
    url = github_authorize_url(sb, redirect_uri=callback, code_challenge=challenge,
                               code_challenge_method="S256")
    page = requests.get(url, timeout=TIMEOUT)
    form = dict(parse_qsl(urlsplit(url).query))
    answer = requests.post(sb.github_url + "/login/oauth/authorize",
                           data={**form, "user": "octocat", "decision": "authorize"},
                           allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 200 and answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["app"] == ["1"] and "code" in query
    assert GH_CALLBACK in answer.headers["Location"]


def test_grant_can_be_revoked_with_an_expired_token(sb):
    sb.config(github_expiring_tokens=True)
    body = github_token(sb)
    sb.advance_clock(28801)
    assert check_token(sb, body["access_token"]).status_code == 404
    revoked = requests.delete(f"{sb.github_api_url}/applications/{GH_ID}/grant",
                              json={"access_token": body["access_token"]},
                              auth=(GH_ID, GH_SECRET), timeout=TIMEOUT)
    assert revoked.status_code == 204
    refreshed = requests.post(sb.github_url + "/login/oauth/access_token", data={
        "client_id": GH_ID, "client_secret": GH_SECRET, "grant_type": "refresh_token",
        "refresh_token": body["refresh_token"]}, headers={"Accept": "application/json"},
        timeout=TIMEOUT)
    assert refreshed.json()["error"] == "bad_refresh_token"
