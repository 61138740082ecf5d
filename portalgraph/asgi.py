"""The production ASGI entry point (`portalgraph serve`, or any ASGI server):
`uvicorn portalgraph.asgi:app`. Logging, tracing and the garbage collector are set up here,
once per process."""

from portalgraph import collector
from portalgraph.app import create_app
from portalgraph.observability import configure_process
from portalgraph.settings import Settings

settings = Settings.from_environment()
configure_process(settings)
app = create_app(settings)
collector.tune()
