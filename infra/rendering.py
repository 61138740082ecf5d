"""Renders previews in worker processes (`infra.render_worker`), bounded in time (a wall-clock
timeout, after which the worker is killed, and a CPU limit), memory (an address-space limit),
input size, pages and pixels, and in number (a semaphore of `workers` per replica)."""

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from infra.render_worker import IMAGES, PDF, REFUSED

WORKER = "infra.render_worker"
MAX_REASON = 300


class RenderFailed(Exception):
    """The file was not rendered: refused, too large, too slow, or the worker crashed."""


@dataclass(frozen=True)
class RenderLimits:
    timeout_s: float = 10.0
    max_bytes: int = 32 * 1024 * 1024
    max_pages: int = 2000
    max_pixels: int = 50_000_000
    memory_mb: int = 768
    workers: int = 2


def too_large(max_bytes: int) -> RenderFailed:
    return RenderFailed(f"the file has more than {max_bytes} bytes")


async def read_input(chunks: AsyncIterator[bytes], max_bytes: int) -> bytes:
    """A streamed file as the renderer's input; `RenderFailed` as soon as it passes
    `max_bytes` (the rest is not read)."""
    read = bytearray()
    async for chunk in chunks:
        read += chunk
        if len(read) > max_bytes:
            raise too_large(max_bytes)
    return bytes(read)


class Renderer:
    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.workers)

    @staticmethod
    def supports(mime_type: str) -> bool:
        return mime_type == PDF or mime_type in IMAGES

    async def render(self, content: bytes, mime_type: str, max_side: int) -> bytes:
        """A PNG of the first page (or the image), at most `max_side` pixels on its longer side."""
        limits = self.limits
        if len(content) > limits.max_bytes:
            raise too_large(limits.max_bytes)
        async with self._slots:
            return await self._run(content, mime_type, max_side)

    async def _run(self, content: bytes, mime_type: str, max_side: int) -> bytes:
        limits = self.limits
        arguments = (mime_type, max_side, limits.max_pages, limits.max_pixels, limits.memory_mb,
                     int(limits.timeout_s) + 1)  # fmt: skip
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", WORKER, *map(str, arguments),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(worker.communicate(content), limits.timeout_s)
        except TimeoutError:
            raise RenderFailed(f"the render took longer than {limits.timeout_s} s") from None
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        if worker.returncode == REFUSED:
            raise RenderFailed(err.decode(errors="replace")[:MAX_REASON])
        if worker.returncode != 0:
            raise RenderFailed(f"the renderer stopped with exit code {worker.returncode}")
        return out
