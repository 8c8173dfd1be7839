"""What the numbers were measured on, and how busy the machine was while they were."""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gib: float
    os: str
    python: str
    torch: str
    transformers: str
    pillow: str
    numpy: str
    simd: str  # the instruction sets that decide which dtypes are fast
    bf16_native: bool


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def _os_name() -> str:
    try:
        text = Path("/etc/os-release").read_text()
        match = re.search(r'^PRETTY_NAME="?([^"\n]+)', text, re.MULTILINE)
        if match:
            return f"{match.group(1)} (kernel {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def cpu_flags() -> set[str]:
    match = re.search(r"^flags\s*:\s*(.*)$", _cpuinfo(), re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def bf16_is_native() -> bool:
    """True when bfloat16 matmuls run in hardware (AVX512-BF16 or AMX), not emulated."""
    import torch

    try:
        if torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return True
    except (AttributeError, RuntimeError):
        pass
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def describe() -> Machine:
    import numpy
    import PIL
    import torch
    import transformers

    info = _cpuinfo()
    model = re.search(r"^model name\s*:\s*(.*)$", info, re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    flags = cpu_flags()
    simd = [
        f
        for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")
        if f in flags
    ]
    return Machine(
        cpu=model.group(1).strip() if model else platform.processor() or "unknown",
        cores=os.cpu_count() or 1,
        ram_gib=int(mem.group(1)) / 2**20 if mem else 0.0,
        os=_os_name(),
        python=sys.version.split()[0],
        torch=torch.__version__,
        transformers=transformers.__version__,
        pillow=PIL.__version__,
        numpy=numpy.__version__,
        simd=" ".join(simd) or "none reported",
        bf16_native=bf16_is_native(),
    )


def engine_revision(repo: Path) -> str:
    """The commit measured, and whether the engine had uncommitted changes (read-only git)."""
    import subprocess

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
        return out.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "photofind")
    return f"{head}{' + uncommitted changes in photofind/' if dirty else ''}"


def load_average() -> float:
    """The 1-minute load average; above ~0.3 on an idle machine means others were running."""
    return os.getloadavg()[0]


def other_cpu_users(min_percent: float = 20.0) -> list[str]:
    """Processes (not ours) using real CPU right now, sampled over half a second."""

    def ticks() -> dict[int, tuple[str, int]]:
        out: dict[int, tuple[str, int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            out[int(stat.parent.name)] = (name, int(fields[11]) + int(fields[12]))
        return out

    before = ticks()
    time.sleep(0.5)
    after = ticks()
    hz = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    busy = []
    for pid, (name, t) in after.items():
        if pid == me or pid not in before:
            continue
        percent = (t - before[pid][1]) / hz / 0.5 * 100
        if percent >= min_percent:
            busy.append(f"{name}[{pid}] {percent:.0f}%")
    return busy


def _system_busy_seconds() -> float:
    """CPU seconds every core has spent busy since boot (all processes, ours included)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    """CPU seconds of this process and the children it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CpuMeter:
    """How many cores *other* processes kept busy while a phase ran: the machine's busy
    time minus this process tree's own. On a shared machine this says which figures to trust."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.busy = _system_busy_seconds()
        self.own = _own_seconds()

    def others_cores(self) -> float:
        wall = time.perf_counter() - self.wall
        if wall <= 0:
            return 0.0
        others = (_system_busy_seconds() - self.busy) - (_own_seconds() - self.own)
        return max(0.0, others / wall)


def wait_for_quiet(max_wait: float, threshold: float = 0.3, settle: float = 3.0) -> float:
    """Wait (at most `max_wait` s) until the whole machine has been under `threshold` busy
    cores for `settle` seconds running; returns the seconds waited. Only useful while this
    process is idle, which it is between phases."""
    start = time.perf_counter()
    quiet_since: float | None = None
    while time.perf_counter() - start < max_wait:
        before, t0 = _system_busy_seconds(), time.perf_counter()
        time.sleep(0.5)
        cores = (_system_busy_seconds() - before) / (time.perf_counter() - t0)
        now = time.perf_counter()
        if cores < threshold:
            quiet_since = quiet_since or now
            if now - quiet_since >= settle:
                break
        else:
            quiet_since = None
    return time.perf_counter() - start
