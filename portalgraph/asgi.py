"""The production ASGI entry point (`portalgraph serve`, or any ASGI server):
`uvicorn portalgraph.asgi:app`."""

from portalgraph.app import create_app
from portalgraph.settings import Settings

app = create_app(Settings.from_environment())
