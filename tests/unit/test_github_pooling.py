"""PyGithub calls share the client's pooled connections across calls, tokens and threads.

Real sockets against a local HTTP/1.1 keep-alive server: `responses` cannot see connections.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.github import GitHubClient


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_GET(self):
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        self.server.seen.append({
            "peer": self.client_address,
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "api_version": self.headers.get("X-GitHub-Api-Version"),
            "accept": self.headers.get("Accept"),
        })
        if self.path.startswith("/api/v3/user/emails"):
            payload = [{"email": f"{token}@example.test", "primary": True, "verified": True}]
        else:
            payload = {"id": abs(hash(token)) % 10_000, "login": token}
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(server):
    host, port = server.server_address
    client = GitHubClient(
        "cid", "secret", web_url=f"http://{host}:{port}", api_url=f"http://{host}:{port}/api/v3"
    )
    yield client
    client.close()


def test_sequential_calls_with_different_tokens_reuse_one_connection(client, server):
    assert client.get_profile("gho_alice").login == "gho_alice"
    assert client.get_primary_verified_email("gho_bob") == "gho_bob@example.test"
    assert client.get_profile("gho_carol").login == "gho_carol"
    assert len({request["peer"] for request in server.seen}) == 1
    assert [r["authorization"] for r in server.seen] == [
        "Bearer gho_alice", "Bearer gho_bob", "Bearer gho_carol",
    ]
    assert {r["api_version"] for r in server.seen} == {"2022-11-28"}
    assert {r["accept"] for r in server.seen} == {"application/vnd.github+json"}


def test_concurrent_sign_ins_share_the_pool_without_mixing_tokens(client, server):
    def sign_in(n):
        token = f"gho_user{n}"
        with ThreadPoolExecutor(max_workers=2) as pool:  # what the sign-in service does
            profile = pool.submit(client.get_profile, token)
            email = pool.submit(client.get_primary_verified_email, token)
            return token, profile.result().login, email.result()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(sign_in, range(20)))

    for token, login, email in results:
        assert login == token and email == f"{token}@example.test"
    # 40 requests over a handful of pooled connections, not one connection per call.
    assert len(server.seen) == 40
    assert len({request["peer"] for request in server.seen}) <= 10
