"""Faults a sandbox system injects at run time, set over `POST /_faults` (read back with
`GET /_faults`).

A body is one rule, or `{"rules": [rule, ...]}` where the first rule naming a request's
operation applies. A rule:

    mode          ok | down (HTTP 503) | hang (never answers; held until the client gives up)
                  | garbage (an answer that cannot be used, see `garbage`)
                  | trickle (the real answer, `trickle_bytes` every `trickle_ms`: slowloris)
    garbage       noise (neither XML nor JSON) | truncated (the real answer cut in half)
                  | wrong_types (the real answer with every value of the wrong type)
                  | huge (`huge_mb` MB of a never-ending JSON list)
    latency_ms    a fixed delay of every affected request
    latency       {"p50_ms": M, "p99_ms": N}: a log-normal delay with that median and p99
    error_rate    that share of affected requests answers HTTP 500
    retry_after   seconds: `down` and error answers carry this `Retry-After`
    flap          {"period_s": P, "down_s": D}: the rule is in force during the first D
                  seconds of every P seconds (counted from when it was set), else `ok`
    operations    the operations it applies to (default: all)

`--latency-ms` (the base latency) delays every request of the system, faulty or not.
"""

import asyncio
import json
import math
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from starlette.responses import Response, StreamingResponse

FailureResponse = Callable[[int, str], Response]
"""Builds a system's own error answer (a SOAP Fault, a JSON error) from a status and text."""


def plain_failure(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain")


class FaultMode(Enum):
    OK = "ok"
    DOWN = "down"
    HANG = "hang"
    GARBAGE = "garbage"
    TRICKLE = "trickle"


class Garbage(Enum):
    NOISE = "noise"
    TRUNCATED = "truncated"
    WRONG_TYPES = "wrong_types"
    HUGE = "huge"


GARBAGE_BODY = b"\x00\xff<<not xml {not json \xfe garbage"
Z_99 = 2.3263
"""The standard normal quantile of 0.99."""


@dataclass(frozen=True)
class BodyFault:
    """A fault of the real answer: its body rewritten, or sent out slowly."""

    rewrite: Callable[[bytes], bytes] | None = None
    trickle_bytes: int = 0
    trickle_s: float = 0.0


def _number(spec: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = spec.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"'{key}' has value {value!r}; expected a number from {low} to {high}")
    return float(value)


def _choice(spec: dict[str, Any], key: str, kind: type[Enum], default: Enum) -> Any:
    value = spec.get(key, default.value)
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(str(member.value) for member in kind)
        raise ValueError(f"'{key}' has value {value!r}; expected one of {names}") from None


def _object(spec: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = spec.get(key)
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"'{key}' has value {value!r}; expected an object")
    return value


@dataclass(frozen=True)
class FaultRule:
    mode: FaultMode = FaultMode.OK
    garbage: Garbage = Garbage.NOISE
    latency_ms: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    error_rate: float = 0.0
    retry_after_s: int = 0
    trickle_ms: float = 200.0
    trickle_bytes: int = 16
    huge_mb: float = 32.0
    flap_period_s: float = 0.0
    flap_down_s: float = 0.0
    operations: frozenset[str] | None = None

    @classmethod
    def parse(cls, spec: object) -> "FaultRule":
        """A rule from its JSON; raises ValueError naming the bad key."""
        if not isinstance(spec, dict):
            raise ValueError(f"a rule must be a JSON object, got {spec!r}")
        latency = _object(spec, "latency") or {}
        flap = _object(spec, "flap") or {}
        operations = spec.get("operations")
        if operations is not None and (
            not isinstance(operations, list) or not all(isinstance(o, str) for o in operations)
        ):
            raise ValueError(f"'operations' has value {operations!r}; expected a list of names")
        p50 = _number(latency, "p50_ms", 0, 0, 600_000)
        period = _number(flap, "period_s", 0, 0, 86_400)
        return cls(
            mode=_choice(spec, "mode", FaultMode, FaultMode.OK),
            garbage=_choice(spec, "garbage", Garbage, Garbage.NOISE),
            latency_ms=_number(spec, "latency_ms", 0, 0, 600_000),
            latency_p50_ms=p50,
            latency_p99_ms=_number(latency, "p99_ms", p50, p50, 600_000),
            error_rate=_number(spec, "error_rate", 0.0, 0.0, 1.0),
            retry_after_s=int(_number(spec, "retry_after", 0, 0, 86_400)),
            trickle_ms=_number(spec, "trickle_ms", 200, 1, 60_000),
            trickle_bytes=int(_number(spec, "trickle_bytes", 16, 1, 65_536)),
            huge_mb=_number(spec, "huge_mb", 32, 0.001, 1024),
            flap_period_s=period,
            flap_down_s=_number(flap, "down_s", 0, 0, period),
            operations=frozenset(operations) if operations is not None else None,
        )

    def affects(self, operation: str) -> bool:
        return self.operations is None or operation in self.operations

    def in_force(self, elapsed_s: float) -> bool:
        return not self.flap_period_s or elapsed_s % self.flap_period_s < self.flap_down_s

    def delay_s(self) -> float:
        delay = self.latency_ms
        if self.latency_p50_ms:
            sigma = math.log(self.latency_p99_ms / self.latency_p50_ms) / Z_99
            delay += random.lognormvariate(math.log(self.latency_p50_ms), sigma)
        return delay / 1000

    def with_retry_after(self, response: Response) -> Response:
        if self.retry_after_s:
            response.headers["Retry-After"] = str(self.retry_after_s)
        return response

    def describe(self) -> dict[str, object]:
        return {
            "mode": self.mode.value,
            "garbage": self.garbage.value,
            "latency_ms": self.latency_ms,
            "latency": {"p50_ms": self.latency_p50_ms, "p99_ms": self.latency_p99_ms},
            "error_rate": self.error_rate,
            "retry_after": self.retry_after_s,
            "flap": {"period_s": self.flap_period_s, "down_s": self.flap_down_s},
            "operations": sorted(self.operations) if self.operations is not None else None,
        }


@dataclass
class Faults:
    """One sandbox system's fault rules; `base_latency_ms` is from `--latency-ms`."""

    base_latency_ms: int = 0
    rules: list[FaultRule] = field(default_factory=list)
    since: float = field(default_factory=time.monotonic)

    def configure(self, spec: dict[str, object]) -> None:
        """Apply a `POST /_faults` body; raises ValueError naming the bad key."""
        rules = spec.get("rules")
        if rules is not None and not isinstance(rules, list):
            raise ValueError(f"'rules' has value {rules!r}; expected a list of rules")
        self.rules = [FaultRule.parse(rule) for rule in (rules if rules is not None else [spec])]
        self.since = time.monotonic()

    def reset(self) -> None:
        self.configure({})

    def describe(self) -> dict[str, object]:
        return {
            "base_latency_ms": self.base_latency_ms,
            "rules": [rule.describe() for rule in self.rules],
        }

    def rule_for(self, operation: str) -> FaultRule | None:
        rule = next((rule for rule in self.rules if rule.affects(operation)), None)
        if rule is None or not rule.in_force(time.monotonic() - self.since):
            return None
        return rule

    async def apply(
        self,
        operation: str,
        client_gone: Callable[[], Awaitable[object]],
        failure: FailureResponse = plain_failure,
    ) -> Response | BodyFault | None:
        """Delay the request; then the response to send instead, the fault to apply to the
        real answer, or None. A hung request is held until `client_gone` returns."""
        rule = self.rule_for(operation)
        delay_s = self.base_latency_ms / 1000 + (rule.delay_s() if rule else 0.0)
        if delay_s:
            await asyncio.sleep(delay_s)
        if rule is None:
            return None
        if rule.mode is FaultMode.HANG:
            await client_gone()
            return failure(504, "gave up")  # nobody is listening any more
        if rule.mode is FaultMode.DOWN:
            return rule.with_retry_after(failure(503, "service unavailable"))
        if rule.mode is FaultMode.GARBAGE:
            return garbage(rule)
        if rule.mode is FaultMode.TRICKLE:
            return BodyFault(trickle_bytes=rule.trickle_bytes, trickle_s=rule.trickle_ms / 1000)
        if rule.error_rate and random.random() < rule.error_rate:
            return rule.with_retry_after(failure(500, "internal server error"))
        return None


def garbage(rule: FaultRule) -> Response | BodyFault:
    if rule.garbage is Garbage.TRUNCATED:
        return BodyFault(rewrite=lambda body: body[: len(body) // 2])
    if rule.garbage is Garbage.WRONG_TYPES:
        return BodyFault(rewrite=wrong_types)
    if rule.garbage is Garbage.HUGE:
        return StreamingResponse(huge_body(int(rule.huge_mb * 1024 * 1024)), 200,
                                 media_type="application/json")  # fmt: skip
    return Response(GARBAGE_BODY, status_code=200, media_type="application/json")


async def huge_body(size: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A JSON list that never closes, `size` bytes long."""
    yield b"["
    for _ in range(size // chunk):
        yield b'"' + b"x" * (chunk - 3) + b'",'


_XML_TEXT = re.compile(rb">([^<>]+)</")


def wrong_types(body: bytes) -> bytes:
    """The answer with every value of another type: JSON strings become numbers and numbers
    strings; XML element texts become `?`."""
    try:
        data = json.loads(body)
    except ValueError:
        return _XML_TEXT.sub(b">?</", body)
    return json.dumps(_swapped(data)).encode()


def _swapped(value: object) -> object:
    if isinstance(value, dict):
        return {key: _swapped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_swapped(item) for item in value]
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return f"{value}!"
    if isinstance(value, str):
        return 0
    return value
