"""Where the GPU machine's main-process CPU goes while indexing: torch's CPU threads or not.

The H100 run (GPU.md) found ~12 ms a photo of main-process CPU beyond reading, hashing,
encoding and writing; the same pipeline on the 2-core CPU machine spends ~2.5 ms there. This
indexes the same photos in-process twice, with torch's CPU thread pool at every core and at
one thread (nothing of the model runs on the CPU then), and prints each run's CPU a photo.

    python -m benchmarks.gpu_overhead [--photos 512] [--unique 32] [--device cuda]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.gpu import distinct_copies
from benchmarks.make_model import ensure_model
from benchmarks.make_photos import ensure_photos
from benchmarks.profile_engine import index_once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu_overhead")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--photos", type=int, default=512)
    parser.add_argument("--unique", type=int, default=32)
    args = parser.parse_args(argv)

    from photofind.core.model.encoder import Encoder

    cores = os.cpu_count() or 1
    model = ensure_model()
    unique = sorted(ensure_photos(args.unique).glob("*.jpg"))
    work = Path(tempfile.mkdtemp(prefix="photofind-overhead-"))
    distinct_copies(unique, args.photos, work / "photos")
    encoder = Encoder.load(str(model), device=args.device)
    index_once(work / "photos", encoder, cores, cores, 16)  # warm-up: caches, kernels
    results = {}
    for threads in (cores, 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, clock, busy, _ = index_once(work / "photos", encoder, cores, threads, 16)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = busy * wall
        known = sum(clock.cpu.values())
        results[f"torch threads {threads}"] = {
            "photos/s": args.photos / wall,
            "main ms/photo": own / args.photos * 1000,
            "of which read+hash, encode, write ms/photo": known / args.photos * 1000,
            "rest ms/photo": (own - known) / args.photos * 1000,
            "decoder processes ms/photo": (
                after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            )
            / args.photos
            * 1000,
        }
        print(json.dumps({f"torch threads {threads}": results[f"torch threads {threads}"]}))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
