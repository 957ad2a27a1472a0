# Conformance: every code block of README.md that can run does run, as written, against a real
# `apus serve` (the `apus` fixture: fresh data directory, free loopback ports).
#
# Convention (also what a README editor needs to know):
# - Fenced blocks tagged python, sh, bash or shell are runnable. They run in document order, as a
#   reader would, each in a fresh process, against one server: python blocks with this interpreter
#   (the venv holding rocketmq==0.4.4), shell blocks with `bash -euo pipefail` and the built `apus`
#   (APUS_BIN's directory) first on PATH. Working directory: the test's tmp_path. Every block must
#   exit 0 within BLOCK_TIMEOUT.
# - A runnable block that cannot run in the suite (it starts a server that never exits, needs the
#   release build, or is the suite itself) is preceded by `<!-- readme-test: skip: REASON -->`
#   (invisible on GitHub) on the nearest non-blank line above its fence. A marker without a reason
#   fails the suite, so nothing is skipped silently.
# - The one substitution: the suite cannot take the default ports (tests run concurrently, and
#   something else may hold them), so the default name-server address 127.0.0.1:9876 in a block is
#   replaced by the test server's, and so is the default HTTP endpoint 127.0.0.1:8080 (the HTTP API
#   examples). Nothing else is changed; a block needing another edit to run is a README bug.
# - Blocks in other languages (tables, config excerpts) are documentation and are not run.
#
# The Python example produces a message and starts a consumer that waits (bounded) for it; the test
# polls the block's output with a deadline for the line its callback prints, so the consumer is
# proven to receive the message the producer sent (the server is fresh: it holds no other message).
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness import REPO, apus_bin, tail, wait_for

README = REPO / "README.md"
DEFAULT_NAMESRV = "127.0.0.1:9876"
DEFAULT_HTTP = "127.0.0.1:8080"
RUNNABLE = {"python": "python", "sh": "shell", "bash": "shell", "shell": "shell"}
SKIP_MARKER = re.compile(r"^<!--\s*readme-test:\s*skip\b:?\s*(?P<reason>.*?)\s*-->$")
BLOCK_TIMEOUT = 120  # the Python example alone waits up to 60 s for its message

# What the README's Python examples print: the HTTP API publish (message id, body MD5) and consume (both messages,
# the timer one after its time), the send result, then the consumer callback's line.
EXPECTED_LINES = [
    re.compile(r"^published [0-9A-F]{32} [0-9A-F]{32}$"),
    re.compile(r"^consumed hello over HTTP <&> TagA order-43 blue 1$"),
    re.compile(r"^consumed in five seconds TagA\s+1$"),
    re.compile(r"^SendResult\(status=<SendStatus\.OK: 0>, msg_id='[0-9A-F]+', offset=\d+\)$"),
    re.compile(r"^Orders TagA order-42 hello$"),
]
RECEIVED = EXPECTED_LINES[-1]


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: str | None  # None: not marked; "": marked without a reason; else the reason

    @property
    def kind(self):
        return RUNNABLE.get(self.lang)

    def __str__(self):
        return f"README.md:{self.line} ({self.lang or 'no language'})"


def blocks(text):
    """Every fenced (```) block of a Markdown text, with its skip marker, in document order."""
    result = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = re.match(r"^(\s*)(`{3,})\s*([\w+-]*)", lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, lang = opening.groups()
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1  # the closing fence
        above = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marker = SKIP_MARKER.match(above)
        result.append(Block(start + 1, lang.lower(), "\n".join(body) + "\n",
                            marker.group("reason") if marker else None))
    return result


def to_run(all_blocks):
    return [b for b in all_blocks if b.kind and b.skip is None]


def run_blocks(runnable, namesrv, workdir, on_output=None, http=None):
    """Run the blocks in order (name-server address substituted); fail naming the block and its output.
    on_output(block, proc, log_path) may poll a block while it runs; it returns when it is done."""
    env = os.environ.copy()
    env["PYTHONUNBUFFERED"] = "1"  # the output file shows each print at once (polled below)
    env["PATH"] = str(Path(apus_bin()).parent) + os.pathsep + env.get("PATH", "")
    outputs = []
    for n, block in enumerate(runnable):
        code = block.code.replace(DEFAULT_NAMESRV, namesrv)
        if http:
            code = code.replace(DEFAULT_HTTP, http)
        script = workdir / f"readme-{n}-line{block.line}.{'py' if block.kind == 'python' else 'sh'}"
        script.write_text(code, encoding="utf-8")
        cmd = [sys.executable, str(script)] if block.kind == "python" else ["bash", "-euo", "pipefail", str(script)]
        log_path = workdir / f"readme-{n}-line{block.line}.log"
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + BLOCK_TIMEOUT
        try:
            if on_output:
                on_output(block, proc, log_path)
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{block} did not exit within {BLOCK_TIMEOUT}s; output:\n"
                                     + tail(log_path, 40)) from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        output = log_path.read_text(encoding="utf-8", errors="replace")
        assert proc.returncode == 0, f"{block} exited with {proc.returncode}; output:\n{tail(log_path, 40)}"
        outputs.append(output)
    return outputs


def test_every_runnable_block_runs_or_says_why_not():
    all_blocks = blocks(README.read_text(encoding="utf-8"))
    unexplained = [str(b) for b in all_blocks if b.skip == ""]
    assert not unexplained, f"skip markers without a reason: {unexplained}"
    stray = [str(b) for b in all_blocks if b.skip is not None and not b.kind]
    assert not stray, f"skip markers on blocks that would not run anyway: {stray}"
    assert any(b.kind == "python" for b in to_run(all_blocks)), "README.md has no Python example left to run"


def test_readme_blocks_run_as_written(apus, tmp_path):
    runnable = to_run(blocks(README.read_text(encoding="utf-8")))

    def consumer_receives(block, proc, log_path):
        if block.kind == "python" and "PushConsumer(" in block.code:
            wait_for(lambda: RECEIVED.search(log_path.read_text(encoding="utf-8", errors="replace"))
                     or proc.poll() is not None, 90, 0.1, f"{block} to receive its message")

    outputs = run_blocks(runnable, apus.namesrv, tmp_path, consumer_receives, http=f"127.0.0.1:{apus.http_port}")
    printed = [line for out in outputs for line in out.splitlines()]
    for expected in EXPECTED_LINES:
        assert any(expected.search(line) for line in printed), \
            f"no line matching {expected.pattern!r} in the README blocks' output:\n" + "\n".join(printed)
    assert sum(bool(RECEIVED.search(line)) for line in printed) == 1, "the message was delivered more than once"


SAMPLE = """\
Text.

<!-- readme-test: skip: starts a server that never exits -->
```sh
exit 1
```

```bash
apus namesrv --help | grep -q -- --namesrv-port
echo "shell sees 127.0.0.1:9876"
```

```python
print("python sees 127.0.0.1:9876")
```

| a table | not code |

```text
not run
```
"""


def test_convention_on_a_sample(tmp_path):
    """The extraction and runner themselves: skip marker, languages, substitution, PATH."""
    sample = blocks(SAMPLE)
    assert [(b.lang, b.skip) for b in sample] == [
        ("sh", "starts a server that never exits"), ("bash", None), ("python", None), ("text", None)]
    runnable = to_run(sample)
    assert [b.lang for b in runnable] == ["bash", "python"]
    outputs = run_blocks(runnable, "127.0.0.1:40000", tmp_path)
    assert outputs == ["shell sees 127.0.0.1:40000\n", "python sees 127.0.0.1:40000\n"]
    assert blocks("<!-- readme-test: skip -->\n```sh\nexit 1\n```\n")[0].skip == ""
