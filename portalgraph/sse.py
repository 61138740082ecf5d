"""GraphQL over Server-Sent Events (graphql-sse, "distinct connections" mode) with resumable
streams: each `next` event carries its event cursor as the SSE `id`, so a browser's
EventSource (or any SSE client) reconnects with `Last-Event-ID` and misses nothing."""

from strawberry.http import GraphQLHTTPResponse
from strawberry.http.streaming import JSONEncoder, SSETransport


class ResumableSSETransport(SSETransport):
    def encode_next(self, response: GraphQLHTTPResponse, encode_json: JSONEncoder) -> str:
        event = super().encode_next(response, encode_json)
        cursor = (response.get("extensions") or {}).get("cursor")
        if not isinstance(cursor, str) or "\n" in cursor or "\r" in cursor:
            return event
        return f"id: {cursor}\r\n{event}"
