# mypy: allow-untyped-calls
# zeep is unannotated; this benchmark calls it as `SoapService` does.
"""`python -m bench.soap_answers`: the CPU time to decode each recorded ERP answer
(`tests/connectors/payloads/erp/`, kept current by the sandbox's tests) into plain data, by
zeep (parse, deserialize, `plain`) and by the compiled reader (`connectors.base.soap_reader`),
in microseconds of this thread's CPU time per answer, the best of several rounds (the machine
is shared: the best round is the one least disturbed). Prints a Markdown table.
"""

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from zeep.loader import parse_xml
from zeep.settings import Settings

from connectors.base.soap import answer_readers, load_wsdl, plain
from connectors.erp.client import BINDING, WSDL_PATH

PAYLOADS = Path(__file__).resolve().parents[1] / "tests" / "connectors" / "payloads" / "erp"
_SETTINGS = Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)


def best_us(decode: Callable[[], object], calls: int, rounds: int) -> float:
    """The least CPU time per call over `rounds` rounds of `calls` calls, in µs."""
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        for _ in range(calls):
            decode()
        best = min(best, (time.thread_time() - start) / calls)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    binding = load_wsdl(WSDL_PATH).bindings[BINDING]
    readers = answer_readers(WSDL_PATH, BINDING)
    print("| answer | bytes | zeep µs | reader µs | zeep ÷ reader |")
    print("|---|--:|--:|--:|--:|")
    totals = [0.0, 0.0]
    for path in sorted(PAYLOADS.glob("*.xml")):
        content = path.read_bytes()
        operation = binding.get(path.stem)
        reader = readers[path.stem]

        def by_zeep(content: bytes = content, operation: object = operation) -> object:
            envelope = parse_xml(content, None, settings=_SETTINGS)  # type: ignore[arg-type]
            return plain(operation.process_reply(envelope))  # type: ignore[attr-defined]

        def by_reader(content: bytes = content, reader: object = reader) -> object:
            return reader.read(content)  # type: ignore[attr-defined]

        if by_zeep() != by_reader():
            raise SystemExit(f"{path.stem}: the reader's answer differs from zeep's")
        zeep_us = best_us(by_zeep, args.calls, args.rounds)
        reader_us = best_us(by_reader, args.calls, args.rounds)
        totals[0] += zeep_us
        totals[1] += reader_us
        print(
            f"| {path.stem} | {len(content):,} | {zeep_us:.0f} | {reader_us:.0f} "
            f"| {zeep_us / reader_us:.1f} |"
        )
    print(f"| all | | {totals[0]:.0f} | {totals[1]:.0f} | {totals[0] / totals[1]:.1f} |")


if __name__ == "__main__":
    main()
