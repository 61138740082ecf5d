"""A gateway replica in a process of its own, for tests that kill one (`tests.replicas`):
configured by the environment (`PORTALGRAPH_*`), it binds a free port, prints `PORT <n>` and
serves until it is terminated or killed."""

import uvicorn

from portalgraph.app import advancing_clock, create_app
from portalgraph.settings import Settings
from sandbox.seed import parse_now
from sandbox.server import bind


def main() -> None:
    settings = Settings.from_environment()
    app = create_app(settings, advancing_clock(parse_now(settings.sandbox_now)))
    sock = bind()
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
