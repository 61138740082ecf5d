"""nginx in front of gateway replicas, run from the example deployment
(`deploy/nginx/portalgraph.conf`) with the replicas' and its own address put in, as a process
of the tests' or the benchmark's own (temporary folder, free port, stopped at the end)."""

import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bench.processes import stop, wait_until_ready
from bench.topologies import binary, free_port

EXAMPLE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "portalgraph.conf"
STOP_DEADLINE_S = 10.0


def render(listen_port: int, replicas: Sequence[str]) -> str:
    """The example with its `server` lines replaced by `replicas` (`host:port`) and its
    `listen` by `listen_port`."""
    example = EXAMPLE.read_text()
    server = re.search(r"^\s*server 127\.0\.0\.1:\d+( .*);$", example, re.MULTILINE)
    if server is None:
        raise ValueError(f"{EXAMPLE} lists no replica")
    lines = "\n".join(f"    server {address}{server.group(1)};" for address in replicas)
    upstreams = re.sub(r"(^\s*server 127\.0\.0\.1:\d+ .*;\n)+", lines + "\n", example,
                       flags=re.MULTILINE)  # fmt: skip
    return re.sub(r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{listen_port};", upstreams)


def main_config(folder: Path, site: Path) -> str:
    """A whole nginx.conf around the site: in the foreground, everything in `folder`."""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        f"http {{\n    access_log off;\n{temp}\n    include {site};\n}}\n"
    )


@contextmanager
def load_balancer(replicas: Sequence[str]) -> Iterator[str]:
    """nginx round robin over the replicas (`host:port`), answering at the URL it yields."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pg-nginx-") as name:
        folder = Path(name)
        folder.chmod(0o755)  # nginx's workers drop root's rights but use the temp folders
        site = folder / "portalgraph.conf"
        site.write_text(render(port, replicas))
        (folder / "nginx.conf").write_text(main_config(folder, site))
        process = subprocess.Popen(  # noqa: S603 - Debian's nginx, our own configuration
            [binary("nginx"), "-p", str(folder), "-e", str(folder / "error.log"),
             "-c", str(folder / "nginx.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_ready(f"{url}/healthz")
            yield url
        finally:
            stop(process, STOP_DEADLINE_S)
