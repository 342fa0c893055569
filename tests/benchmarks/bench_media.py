"""Benchmark: image uploads and Instagram waits, against baselines measured in the same run.

    .venv/bin/python -m tests.benchmarks.bench_media [--rounds 3] [--posts 100]

1. Upload, validate and re-encode a 24-megapixel JPEG of about 8 MB through `POST /api/v1/media`
   on a real server process (runserver): the request's time and the server's peak RSS growth
   (VmHWM, reset before each request), against Pillow's bare open + save of the same file in a
   fresh process (its own peak RSS growth), interleaved round by round. The decoded image's size
   (width x height x 3) is printed beside the peaks.
2. A decompression bomb (a PNG of a few dozen bytes claiming 50,000 x 50,000 pixels): the
   request's time and the server's peak RSS growth show it is refused before decoding.
3. `--posts` posts to Facebook and Instagram with one `db_worker` process while the sandbox
   keeps every container IN_PROGRESS for a while: how many tasks run while they wait (none
   should: status checks are tasks scheduled with run_after), the worker's CPU time during the
   wait and in all, per published post.

It prints figures; it asserts nothing (figures, not pass/fail).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

BARE = """
import json, resource, sys, time
from PIL import Image
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
Image.MAX_IMAGE_PIXELS = None
before = rss("VmRSS:")
started = time.perf_counter()
with Image.open(sys.argv[1]) as image:
    image.load()
    image.save(sys.argv[2], "JPEG", quality=85)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak": rss("VmHWM:") - before}))
"""
MB = 1024 * 1024


def proc_bytes(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_photo(path: Path, size=(6000, 4000)) -> None:
    """24 MP of gradient and noise: about 8 MB as a JPEG (quality 90)."""
    from PIL import Image

    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", [Image.effect_noise(size, 19), gradient,
                                Image.effect_noise(size, 19)])
    image.save(path, "JPEG", quality=90)


def bench_upload(args, settings, server_url, server_pid, cookies, photo: Path) -> None:
    import requests
    from PIL import Image

    from tests.fixtures.images import bomb_png

    with Image.open(photo) as image:
        width, height = image.size
    decoded = width * height * 3
    print(f"\n1. upload of a {width}x{height} JPEG of {photo.stat().st_size / MB:.2f} MiB "
          f"(decoded: {decoded / MB:.0f} MiB), {args.rounds} rounds")
    session = requests.Session()
    session.cookies.update(cookies)
    bare_times, bare_peaks, times, peaks = [], [], [], []
    out = Path(tempfile.mkdtemp()) / "bare.jpg"
    for _ in range(args.rounds):
        result = json.loads(subprocess.run(
            [sys.executable, "-c", BARE, str(photo), str(out)], check=True,
            capture_output=True, text=True).stdout)
        bare_times.append(result["seconds"])
        bare_peaks.append(result["peak"])
        reset_peak(server_pid)
        before = proc_bytes(server_pid, "VmRSS:")
        with photo.open("rb") as body:
            started = time.perf_counter()
            response = session.post(server_url + "/api/v1/media",
                                    files={"file": ("photo.jpg", body, "image/jpeg")},
                                    headers={"X-CSRFToken": cookies["csrftoken"]}, timeout=120)
            times.append(time.perf_counter() - started)
        assert response.status_code == 201, response.text
        peaks.append(proc_bytes(server_pid, "VmHWM:") - before)
    bare_t, product_t = statistics.median(bare_times), statistics.median(times)
    bare_p, product_p = statistics.median(bare_peaks), statistics.median(peaks)
    print(f"   bare Pillow open+load+save : {bare_t:6.2f} s   peak RSS +{bare_p / MB:6.0f} MiB")
    print(f"   POST /api/v1/media         : {product_t:6.2f} s   peak RSS "
          f"+{product_p / MB:6.0f} MiB  (the whole request: upload streamed to disk, "
          "checks, re-encode, storage)")
    print(f"   ratio to bare              : {product_t / bare_t:6.2f}x time; peak "
          f"{product_p / decoded:.2f}x the decoded image (bare: {bare_p / decoded:.2f}x)")

    bomb = bomb_png()
    reset_peak(server_pid)
    before = proc_bytes(server_pid, "VmRSS:")
    started = time.perf_counter()
    response = session.post(server_url + "/api/v1/media",
                            files={"file": ("bomb.png", bomb, "image/png")},
                            headers={"X-CSRFToken": cookies["csrftoken"]}, timeout=60)
    elapsed = time.perf_counter() - started
    grew = proc_bytes(server_pid, "VmHWM:") - before
    print(f"\n2. decompression bomb ({len(bomb)} bytes claiming 50000x50000 = 7.5 GB decoded): "
          f"{response.status_code} {response.json().get('code')} in {elapsed * 1000:.0f} ms, "
          f"server peak RSS +{grew / MB:.1f} MiB")


def bench_instagram(args, settings, sandbox, server_url) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tasks_db.models import DBTaskResult

    from integrations.config import clear_client_cache, get_facebook_client
    from integrations.models import FacebookPageLink, PostTarget
    from integrations.services import media as media_service
    from integrations.services.page_posts import enqueue_page_post
    from tests.fixtures.images import image_bytes
    from tests.fixtures.worker import start_worker

    scopes = ["pages_show_list", "pages_read_engagement", "pages_manage_posts",
              "instagram_basic", "instagram_content_publish"]
    clear_client_cache()
    user_token = sandbox.mint_token("facebook", "sam", scopes=scopes)["access_token"]
    client = get_facebook_client()
    [page] = client.list_pages(user_token)
    account = client.get_instagram_account(page.id, page.access_token)
    FacebookPageLink.objects.update_or_create(pk=1, defaults={
        "facebook_user_id": "223344556677889", "user_token": user_token,
        "scopes": ",".join(scopes), "page_id": page.id, "page_name": page.name,
        "page_token": page.access_token, "instagram_user_id": account.id,
        "instagram_username": account.username or ""})
    image = media_service.store_image(upload=SimpleUploadedFile(
        "square.jpg", image_bytes(size=(1080, 1080))))
    wait_s = args.in_progress_s
    sandbox.config(instagram_container_in_progress_s=wait_s, instagram_quota_total=10_000)
    for i in range(args.posts):
        enqueue_page_post(message=f"Benchmark post {i}", image=image.pk,
                          targets=("facebook", "instagram"), idempotency_key=f"bench-{i}")
    worker = start_worker(settings)
    try:
        pid = worker.process.pid
        started, cpu_start = time.monotonic(), cpu_s(pid)
        running_max, wait_cpu, waiting_max = 0, None, 0
        while time.monotonic() - started < 900:
            counts = {s: PostTarget.objects.filter(status=s).count()
                      for s in ("processing", "published", "failed")}
            running = DBTaskResult.objects.filter(status="RUNNING").count()
            waiting_max = max(waiting_max, counts["processing"])
            if counts["processing"] == args.posts:  # every post waits on its container
                running_max = max(running_max, running)
                if wait_cpu is None:
                    wait_cpu = (time.monotonic(), cpu_s(pid))
            elif wait_cpu is not None and len(wait_cpu) == 2:
                wait_cpu = (*wait_cpu, time.monotonic(), cpu_s(pid))
            if counts["published"] + counts["failed"] == args.posts:
                break
            time.sleep(0.25)
        total_s, total_cpu = time.monotonic() - started, cpu_s(pid) - cpu_start
    finally:
        worker.stop()
    published = PostTarget.objects.filter(status="published").count()
    reads = len(sandbox.requests("facebook.ig_container"))
    print(f"\n3. {args.posts} posts to Facebook and Instagram, containers IN_PROGRESS for "
          f"{wait_s:.0f} s, one db_worker process")
    print(f"   Instagram published: {published}/{args.posts} in {total_s:.1f} s; container "
          f"status reads: {reads} ({reads / max(1, published):.1f} per post)")
    print(f"   most posts waiting on an IN_PROGRESS container at once: {waiting_max}")
    if wait_cpu and len(wait_cpu) == 4:
        span, cpu = wait_cpu[2] - wait_cpu[0], wait_cpu[3] - wait_cpu[1]
        print(f"   while all {args.posts} containers were IN_PROGRESS ({span:.1f} s observed): "
              f"tasks running at a sample: at most {running_max} (a status check being "
              "made; none waits); worker CPU "
              f"{cpu:.2f} s ({cpu / span * 100:.0f}% of one core)")
    print(f"   worker CPU in all: {total_cpu:.2f} s, {total_cpu / max(1, published) * 1000:.0f} ms "
          "per published post (both targets, polling the queue included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--in-progress-s", type=float, default=45.0,
                        help="how long the sandbox keeps each container IN_PROGRESS")
    args = parser.parse_args()

    media_root = tempfile.mkdtemp(prefix="bench-media-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["MEDIA_ROOT"] = media_root
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.test import Client

    from tests.fixtures.facebook import page_manager
    from tests.fixtures.sandbox import TEST_CREDENTIALS, start_sandbox, stop_sandbox
    from tests.fixtures.worker import start_server

    connection.creation.create_test_db(verbosity=0)
    sandbox = start_sandbox()
    server = None
    try:
        settings.FACEBOOK_GRAPH_URL, settings.FACEBOOK_URL = sandbox.graph_url, sandbox.facebook_url
        settings.FACEBOOK_APP_ID = TEST_CREDENTIALS["SANDBOX_FACEBOOK_APP_ID"]
        settings.FACEBOOK_APP_SECRET = TEST_CREDENTIALS["SANDBOX_FACEBOOK_APP_SECRET"]
        os.environ["FACEBOOK_APP_ID"] = settings.FACEBOOK_APP_ID
        os.environ["FACEBOOK_APP_SECRET"] = settings.FACEBOOK_APP_SECRET
        assert Permission.objects.exists()
        user = page_manager("bench-staff")
        browser = Client()
        browser.force_login(user)
        browser.get("/api/v1/auth/csrf", HTTP_HOST="127.0.0.1")
        cookies = {name: morsel.value for name, morsel in browser.cookies.items()}
        cookies["csrftoken"] = cookies.get("csrftoken") or next(
            v for k, v in cookies.items() if "csrftoken" in k)
        # The server's URL becomes PUBLIC_URL (the sandbox fetches images from it).
        from tests.fixtures.processes import free_port

        port = free_port()
        settings.PUBLIC_URL = f"http://127.0.0.1:{port}"
        server, server_url = start_server_on(settings, port, start_server)
        photo = Path(media_root) / "photo-24mp.jpg"
        make_photo(photo)
        bench_upload(args, settings, server_url, server.process.pid, cookies, photo)
        bench_instagram(args, settings, sandbox, server_url)
    finally:
        if server is not None:
            server.stop()
        stop_sandbox(sandbox)
        connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)


def start_server_on(settings, port, start_server):
    """`start_server` on the port PUBLIC_URL names (it picks a free one by itself)."""
    from tests.fixtures import worker

    original = worker.free_port
    worker.free_port = lambda: port
    try:
        return start_server(settings)
    finally:
        worker.free_port = original


if __name__ == "__main__":
    main()
