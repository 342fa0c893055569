"""`make run`: the development server on 127.0.0.1:$PORT (the sandbox is wired in by issue 3)."""

import os
import sys


def main() -> None:
    port = os.environ.get("PORT", "8000")
    os.execv(sys.executable, [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"])


if __name__ == "__main__":
    main()
