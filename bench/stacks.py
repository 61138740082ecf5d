"""`python -m bench.stacks FILE [N]`: the top frames of a py-spy recording (`--profile`
writes them as folded stacks, which flamegraph.pl and speedscope also read): the share of
samples each package and function is on the stack (inclusive) and on top (self)."""

import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"(?P<function>.*) \((?P<file>.*?):\d+\)$")


def where(frame: str) -> tuple[str, str]:
    """(package, `function (module)`) of a py-spy frame `function (path:line)`."""
    found = FRAME.match(frame)
    if found is None:
        return frame, frame
    path = found["file"].split("site-packages/")[-1].split("/lib/python3")[-1]
    path = re.sub(r"^.*?/(?=(portalgraph|schema|resolvers|connectors|auth|infra)/)", "", path)
    return path.strip("/").split("/")[0], f"{found['function']} ({path})"


def top(folded: str, count: int) -> str:
    inclusive: Counter[str] = Counter()
    on_top: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, samples = line.rpartition(" ")
        weight = int(samples)
        total += weight
        frames = [where(frame) for frame in stack.split(";")]
        for name in {function for _, function in frames}:
            inclusive[name] += weight
        for package in {package for package, _ in frames}:
            packages[package] += weight
        on_top[frames[-1][1]] += weight
    lines = [f"{total} samples", "", "| package | on stack |", "|---|--:|"]
    lines += [f"| {name} | {n / total:.0%} |" for name, n in packages.most_common(count)]
    lines += ["", "| function (self) | on top |", "|---|--:|"]
    lines += [f"| `{name}` | {n / total:.1%} |" for name, n in on_top.most_common(count)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(top(Path(sys.argv[1]).read_text(), int(sys.argv[2]) if len(sys.argv) > 2 else 15))
