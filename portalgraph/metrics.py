"""`/metrics`: the process's Prometheus metrics (declared in `infra.metrics`) for a scraper.

One process is one target: run one worker per pod (scale with replicas), so that every
scrape sees all of a process's counts.
"""

from starlette.requests import Request
from starlette.responses import Response

from infra.metrics import exposition


async def metrics(_: Request) -> Response:
    body, content_type = exposition()
    return Response(body, media_type=content_type)
