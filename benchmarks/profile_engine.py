"""Where indexing and search time goes, and what the alternatives would buy.

    python -m benchmarks.profile_engine [index|decode|search|startup|all] [--photos N]

Evidence for engine changes, measured on the same model and photos as `benchmarks.run`:

- index:   `indexer.index_library` in-process with its stages timed (read+hash, decode,
           encode, write, main-thread waits), across decode workers × torch threads × batch.
- decode:  the decode path stage by stage, and alternative resize/draft choices.
- search:  ranking over float32 / float16 / int8 matrices (numpy and torch), their top-10
           recall, and the text tower at 1 vs all threads.
- startup: loading the whole model vs the text tower only.

Prints plain text; nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import machine
from benchmarks.make_model import ensure_model
from benchmarks.make_photos import ensure_photos

# Seconds to wait for other processes to go quiet before each timed experiment (--wait-quiet).
QUIET_WAIT = 0.0


def say(text: str = "") -> None:
    print(text, flush=True)


def cycling(fn: Callable[[Any], object], items: Sequence[Any]) -> Callable[[], object]:
    """A no-argument call that feeds `fn` the next item each time, so repeats do not hit
    a cache warmed by the previous call on the same input."""
    source = itertools.cycle(items)
    return lambda: fn(next(source))


def median_ms(fn: Callable[[], object], reps: int) -> float:
    """Median milliseconds per call after one warm-up call; fewer repeats for slow calls, so
    a 3-second variant does not hold up the run for a minute."""
    if QUIET_WAIT:
        machine.wait_for_quiet(QUIET_WAIT)
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    reps = max(3, min(reps, int(3.0 / max(first, 1e-6))))
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


# -- indexing -----------------------------------------------------------------------------


class StageClock:
    """Wall and thread-CPU seconds per stage, summed over every thread that ran it."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            w, c = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                dw, dc = time.perf_counter() - w, time.thread_time() - c
                with self._lock:
                    self.wall[name] += dw
                    self.cpu[name] += dc
                    self.calls[name] += 1

        return timed


@contextlib.contextmanager
def patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def index_once(
    folder: Path, encoder: Any, workers: int, threads: int, batch: int
) -> tuple[float, StageClock, float, float]:
    """Index `folder` into a fresh store in-process; returns (wall s, stages, cores this
    process kept busy, cores other processes kept busy meanwhile)."""
    import torch

    from photofind.core.index import decoding, indexer
    from photofind.core.index.store import Store
    from photofind.core.model import gpu_jpeg

    clock = StageClock()
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        store = Store.open(Path(tmp))
        stack.callback(store.close)
        store.add_folder(str(folder))
        for name, target in (
            ("read+hash", "read_and_hash"),
            ("decode", "decode"),
            ("check jpeg", "check_jpeg"),
        ):
            stack.enter_context(
                patched(decoding, target, clock.wrap(name, getattr(decoding, target)))
            )
        stack.enter_context(
            patched(
                gpu_jpeg.GpuJpegDecoder,
                "pixels",
                clock.wrap("gpu decode", gpu_jpeg.GpuJpegDecoder.pixels),
            )
        )
        stack.enter_context(
            patched(encoder, "encode_pixels", clock.wrap("encode", encoder.encode_pixels))
        )
        stack.enter_context(patched(store, "write", clock.wrap("write", store.write)))
        meter = machine.CpuMeter()
        cpu0, wall0 = os.times(), time.perf_counter()
        for _ in indexer.index_library(
            store, "bench", lambda: encoder, [str(folder)], batch_size=batch, workers=workers
        ):
            pass
        wall = time.perf_counter() - wall0
        cpu1 = os.times()
        busy = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / wall
    return wall, clock, busy, meter.others_cores()


def phased_once(folder: Path, encoder: Any, batch: int, workers: int) -> float:
    """Wall seconds to read, hash, decode and encode every photo in `folder`, one batch at a
    time: the whole pool decodes a batch, then torch encodes it, never both at once."""
    from concurrent.futures import ThreadPoolExecutor

    from photofind.core.index import decoding
    from photofind.core.photos.scanning import scan_folders

    stats = list(scan_folders([str(folder)]))

    def prepare(stat: Any) -> Any:
        return decoding.decode(decoding.read_and_hash(stat), encoder)

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for i in range(0, len(stats), batch):
            decoded = list(pool.map(prepare, stats[i : i + batch]))
            encoder.encode_pixels(np.stack([d.pixels for d in decoded]))
    return time.perf_counter() - start


def profile_index(photos: int) -> None:
    import torch

    from photofind.core.model.encoder import Encoder

    folder = ensure_photos(photos)
    encoder = Encoder.load(str(ensure_model()), "cpu")
    cores = os.cpu_count() or 1
    default_threads = torch.get_num_threads()
    say(f"## index_library on {photos} photos, in-process (model loaded once, not timed)")
    say()
    say(
        "| decode workers | torch threads | batch | photos/s | cores busy (ours) | "
        "encode s | decode s (CPU) | read+hash s (CPU) | write s | main thread not encoding s "
        "| others' cores |"
    )
    say("|---|---|---|---|---|---|---|---|---|---|---|")
    variants = [
        (cores, default_threads, 32),  # today's defaults: min(8, cores) workers, all threads
        (1, default_threads, 32),
        (cores, 1, 32),
        (1, 1, 32),
        (cores, default_threads, 16),
        (cores, default_threads, 64),
    ]
    # Warm up oneDNN for every batch shape once, outside the timings.
    with torch.inference_mode():
        for bs in {v[2] for v in variants}:
            encoder.model.get_image_features(pixel_values=torch.zeros(bs, 3, 224, 224))
    for workers, threads, batch in variants:
        if QUIET_WAIT:
            machine.wait_for_quiet(QUIET_WAIT)
        wall, clock, busy, others = index_once(folder, encoder, workers, threads, batch)
        idle = wall - clock.wall["encode"] - clock.wall["write"]
        w, c = clock.wall, clock.cpu
        say(
            f"| {workers} | {threads} | {batch} | {photos / wall:.2f} | {busy:.2f} | "
            f"{w['encode']:.1f} | {w['decode']:.1f} ({c['decode']:.1f}) | "
            f"{w['read+hash']:.1f} ({c['read+hash']:.1f}) | {w['write']:.2f} | {idle:.1f} "
            f"| {others:.2f} |"
        )
    torch.set_num_threads(default_threads)

    say()
    say("## phased pipeline: decode a batch on every core, then encode it on every core")
    say()
    say("No overlap, so torch's threads never share a core with a decode thread; this is the")
    say("schedule B's formula describes. Same stages as the indexer, minus the store writes")
    say("(0.01 s per run above).")
    say()
    for batch in (32, 16):
        if QUIET_WAIT:
            machine.wait_for_quiet(QUIET_WAIT)
        meter = machine.CpuMeter()
        wall = phased_once(folder, encoder, batch, cores)
        say(
            f"- batch {batch}, {cores} decode threads, torch {default_threads} threads: "
            f"{photos / wall:.2f} photos/s (others' cores {meter.others_cores():.2f})"
        )

    say()
    say("## encoder alone vs torch threads (photos/s, batch 32, ready tensors)")
    x = torch.randn(32, 3, 224, 224)
    with torch.inference_mode():
        for threads in sorted({1, default_threads}):
            torch.set_num_threads(threads)
            ms = median_ms(lambda: encoder.model.get_image_features(pixel_values=x), 3)
            say(f"- {threads} thread(s): {32 / ms * 1e3:.2f} photos/s")
    torch.set_num_threads(default_threads)

    say()
    say("## one decode thread + encoding at the same time (contention probe)")
    # Encoding with all threads while one Python thread decodes: how much each slows down.
    from photofind.core.photos.imaging import load_photo

    datas = [p.read_bytes() for p in sorted(folder.glob("IMG_*.jpg"))[:16]]
    prep = encoder.preprocess

    def decode_all() -> None:
        for d in datas:
            prep(load_photo(d, min_side=prep.min_side).image)

    alone = median_ms(decode_all, 1) / len(datas)
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        stop = threading.Event()
        seen: list[float] = []

        def decode_loop(stop: threading.Event = stop, seen: list[float] = seen) -> None:
            while not stop.is_set():
                start = time.perf_counter()
                decode_all()
                seen.append((time.perf_counter() - start) / len(datas))

        t = threading.Thread(target=decode_loop)
        t.start()
        with torch.inference_mode():
            ms = median_ms(lambda: encoder.model.get_image_features(pixel_values=x), 3)
        stop.set()
        t.join()
        say(
            f"- torch {threads} thread(s) + 1 decode thread: encoder {32 / ms * 1e3:.2f} photos/s, "
            f"decode {statistics.median(seen) * 1e3:.1f} ms/photo (alone {alone:.1f})"
        )
    torch.set_num_threads(default_threads)


# -- decoding -----------------------------------------------------------------------------


def profile_decode(photos: int) -> None:
    from PIL import Image

    from photofind.core.model.encoder import Encoder
    from photofind.core.photos.imaging import load_photo

    folder = ensure_photos(photos)
    encoder = Encoder.load(str(ensure_model()), "cpu")
    prep = encoder.preprocess
    datas = [p.read_bytes() for p in sorted(folder.glob("IMG_*.jpg"))[:24]]
    reps = len(datas)

    def each(fn: Callable[[bytes], object]) -> Callable[[], object]:
        return cycling(fn, datas)

    say(f"## decode path stage by stage (one core, ms/photo, median of {reps})")

    def open_header(d: bytes) -> None:
        with Image.open(io.BytesIO(d)) as im:
            im.getexif()

    def draft_load(d: bytes, scale: int = 8) -> Image.Image:
        im = Image.open(io.BytesIO(d))
        w, h = im.size
        im.draft("RGB", (w // scale, h // scale))
        im.load()
        return im

    loaded = [load_photo(d, min_side=prep.min_side).image for d in datas]
    stages = {
        "open + EXIF (header only)": each(open_header),
        "draft 1/8 decode (load)": each(draft_load),
        "full decode (load)": each(lambda d: Image.open(io.BytesIO(d)).load()),
        "load_photo(min_side=224) total": each(lambda d: load_photo(d, min_side=prep.min_side)),
        "Preprocessing on the draft image": cycling(prep, loaded),
        "blake2b-128 of the file": each(lambda d: hashlib.blake2b(d, digest_size=16).digest()),
        "sha1 of the file (for comparison)": each(lambda d: hashlib.sha1(d).digest()),
    }
    for name, fn in stages.items():
        say(f"- {name}: {median_ms(fn, reps):.2f}")
    say(f"- draft image size: {loaded[0].size} from 4000×3000 (scale 1/8)")

    say()
    say("## resize choices on the draft-decoded image (ms/photo; output 224×224 crop)")
    img = loaded[0]
    w, h = img.size
    new_w, new_h = (int(224 * w / h), 224) if w > h else (224, int(224 * h / w))
    left, top = (new_w - 224) // 2, (new_h - 224) // 2
    sx, sy = w / new_w, h / new_h
    box = (left * sx, top * sy, (left + 224) * sx, (top + 224) * sy)
    ref = np.asarray(
        img.resize((new_w, new_h), Image.Resampling.BICUBIC).crop(
            (left, top, left + 224, top + 224)
        ),
        dtype=np.float32,
    )
    choices: dict[str, Callable[[], Image.Image]] = {
        "bicubic full frame, reducing_gap=3 (engine)": lambda: img.resize(
            (new_w, new_h), Image.Resampling.BICUBIC, reducing_gap=3.0
        ).crop((left, top, left + 224, top + 224)),
        "bicubic full frame, no reducing_gap": lambda: img.resize(
            (new_w, new_h), Image.Resampling.BICUBIC
        ).crop((left, top, left + 224, top + 224)),
        "bicubic into crop box": lambda: img.resize((224, 224), Image.Resampling.BICUBIC, box=box),
        "bilinear into crop box": lambda: img.resize(
            (224, 224), Image.Resampling.BILINEAR, box=box
        ),
        "reduce(2) then bicubic": lambda: (
            img.reduce(2)
            .resize((new_w, new_h), Image.Resampling.BICUBIC)
            .crop((left, top, left + 224, top + 224))
        ),
    }
    for name, fn in choices.items():
        out = np.asarray(fn(), dtype=np.float32)
        diff = float(np.abs(out - ref).mean())
        say(f"- {name}: {median_ms(fn, 30):.2f} ms (mean |diff| vs exact bicubic {diff:.2f}/255)")

    say()
    say("## normalisation (float32 CHW) on a 224×224 crop")
    crop = img.resize((224, 224), Image.Resampling.BICUBIC, box=box)
    mean, std = prep.mean, prep.std
    scale = (prep.rescale / std).astype(np.float32)
    offset = (mean / std).astype(np.float32)
    norms = {
        "engine: (arr*rescale - mean)/std": lambda: (
            (np.asarray(crop, dtype=np.float32).transpose(2, 0, 1) * prep.rescale - mean) / std
        ),
        "fused: arr*scale - offset": lambda: (
            np.asarray(crop, dtype=np.float32).transpose(2, 0, 1) * scale - offset
        ),
    }
    for name, fn in norms.items():
        say(f"- {name}: {median_ms(fn, 50):.3f} ms")

    say()
    say("## draft scale choice (decode + engine preprocessing, ms/photo)")
    for scale in (8, 4, 2):

        def path(d: bytes, scale: int = scale) -> object:
            return prep(draft_load(d, scale).convert("RGB"))

        say(f"- draft 1/{scale}: {median_ms(each(path), reps):.1f}")


# -- search -------------------------------------------------------------------------------


def profile_search(sizes: list[int], queries: int) -> None:
    import torch

    from benchmarks.search_bench import ensure_library, exact_top
    from photofind.core.index.store import Store
    from photofind.core.model.encoder import Encoder
    from photofind.core.model.ref import model_key

    model_dir = ensure_model()
    encoder = Encoder.load(str(model_dir), "cpu")
    name = model_key(str(model_dir))
    default_threads = torch.get_num_threads()

    say("## text tower: one query, tokenizer + get_text_features (ms, median of 30)")
    texts = [f"a photo of a dog number {i} on a sunny beach" for i in range(40)]
    length = len(encoder.tokenizer(texts[0])["input_ids"])

    def tower(text: str, padding: str | bool, max_length: int | None = None) -> object:
        tokens = encoder.tokenizer(
            [text], padding=padding, max_length=max_length, truncation=True, return_tensors="pt"
        )
        with torch.inference_mode():
            return encoder.model.get_text_features(**tokens)

    for threads in sorted({1, default_threads}, reverse=True):
        torch.set_num_threads(threads)
        ms = median_ms(cycling(lambda t: encoder.encode_texts([t]), texts), 30)
        say(f"- `Encoder.encode_texts`, torch {threads} thread(s): {ms:.1f}")
        ms = median_ms(cycling(lambda t: tower(t, True), texts), 30)
        say(f"- padded to the query's own length ({length} tokens), {threads} thread(s): {ms:.1f}")
        for bucket in (16, 32, 77):
            ms = median_ms(cycling(lambda t, b=bucket: tower(t, "max_length", b), texts), 30)
            say(f"- padded to {bucket} tokens, {threads} thread(s): {ms:.1f}")
    torch.set_num_threads(default_threads)
    tok_ms = median_ms(lambda: encoder.tokenizer([texts[0]], padding=True, return_tensors="pt"), 30)
    say(f"- of which tokenizer: {tok_ms:.2f}")

    say()
    say("## first call at each new query length (dynamic padding): per-shape warm-up cost")
    words = [
        "a",
        "photo",
        "of",
        "a",
        "small",
        "brown",
        "dog",
        "running",
        "on",
        "a",
        "sunny",
        "beach",
        "near",
        "the",
        "blue",
        "sea",
        "with",
        "waves",
        "and",
        "two",
        "children",
        "playing",
        "football",
        "in",
        "the",
        "sand",
        "at",
        "sunset",
    ]
    for n_words in (3, 5, 8, 11, 14, 18, 22, 27):
        text = " ".join(words[:n_words])
        start = time.perf_counter()
        tower(text, True)
        first = time.perf_counter() - start
        start = time.perf_counter()
        tower(text, True)
        again = time.perf_counter() - start
        n_tokens = len(encoder.tokenizer(text)["input_ids"])
        say(f"- {n_tokens} tokens: first {first * 1e3:.1f} ms, repeat {again * 1e3:.1f} ms")

    for n in sizes:
        data_dir = ensure_library(n, name)
        store = Store.open(data_dir)
        ids, mat = store.vectors(store.find_model(name) or 0)
        model_id = store.find_model(name) or 0
        rng = np.random.default_rng(1)
        q_text = encoder.encode_texts(texts[:queries])
        q_sim = mat[rng.choice(len(mat), queries, replace=False)]
        qs = np.concatenate([q_text, q_sim])
        exact = exact_top(store, model_id, qs, 10)
        store.close()
        say()
        say(f"## ranking {n:,} vectors: one query's scores + top-20 (ms, median) and top-10 recall")
        variants = matrices(mat)
        for label, (matrix, scorer) in variants.items():

            def rank(q: np.ndarray, matrix: Any = matrix, scorer: Any = scorer) -> np.ndarray:
                scores = scorer(matrix, q)
                best = np.argpartition(-scores, 19)[:20]
                return best[np.argsort(-scores[best])]

            ms = median_ms(cycling(rank, qs), 20)
            # Slow variants are scored on fewer queries: their recall is the point, not a
            # minute of waiting.
            sample = qs if ms < 300 else qs[:: max(1, len(qs) // 10)]
            truth = exact if ms < 300 else exact[:: max(1, len(qs) // 10)]
            got = [set(map(int, ids[rank(q)[:10]])) for q in sample]
            recall = np.mean([len(g & e) / 10 for g, e in zip(got, truth, strict=True)])
            nbytes = matrix_bytes(matrix)
            say(f"- {label}: {ms:.1f} ms, {nbytes / n:.0f} B/photo, recall@10 {recall:.4f}")
        del variants, mat


def matrix_bytes(matrix: Any) -> int:
    if isinstance(matrix, tuple):
        return sum(matrix_bytes(m) for m in matrix)
    return int(
        matrix.nbytes if hasattr(matrix, "nbytes") else matrix.numel() * matrix.element_size()
    )


def matrices(mat: np.ndarray) -> dict[str, tuple[Any, Callable[[Any, np.ndarray], np.ndarray]]]:
    """The same vectors held several ways, each with the fastest scorer found for it here."""
    import torch

    f16 = mat.astype(np.float16)
    scale = np.abs(mat).max(axis=1, keepdims=True) / 127.0
    i8 = np.round(mat / scale).astype(np.int8)
    t16 = torch.from_numpy(f16)
    # The store's matrix is a read-only view of SQLite's bytes; torch warns but only reads it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tb16 = torch.from_numpy(mat).to(torch.bfloat16)

    def one_thread_f16(m: Any, q: np.ndarray) -> np.ndarray:
        # Memory-bound: one core may stream the matrix nearly as fast as two, leaving the
        # other free (for the GUI, or an indexing run in the same process).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return torch.mv(m, torch.from_numpy(q.astype(np.float16))).float().numpy()
        finally:
            torch.set_num_threads(threads)

    def chunked_f16(m: np.ndarray, q: np.ndarray, chunk: int = 16384) -> np.ndarray:
        # Widen a cache-sized block at a time, then one BLAS sgemv per block.
        out = np.empty(len(m), dtype=np.float32)
        q32 = q.astype(np.float32)
        for s in range(0, len(m), chunk):
            out[s : s + chunk] = m[s : s + chunk].astype(np.float32) @ q32
        return out

    def int8_scored(
        m: tuple[np.ndarray, np.ndarray], q: np.ndarray, chunk: int = 16384
    ) -> np.ndarray:
        codes, scales = m
        out = np.empty(len(codes), dtype=np.float32)
        q32 = q.astype(np.float32)
        for s in range(0, len(codes), chunk):
            out[s : s + chunk] = codes[s : s + chunk].astype(np.float32) @ q32
        return out * scales[:, 0]

    return {
        "numpy float32": (mat, lambda m, q: m @ q.astype(np.float32)),
        "torch float32 mv": (
            torch.from_numpy(np.array(mat)),
            lambda m, q: torch.mv(m, torch.from_numpy(q.astype(np.float32))).numpy(),
        ),
        "torch float16 mv, 1 thread": (t16, one_thread_f16),
        "numpy float16 matmul": (f16, lambda m, q: (m @ q.astype(np.float16)).astype(np.float32)),
        "numpy float16, widened per 16k-row block": (f16, chunked_f16),
        "torch float16 mv": (
            t16,
            lambda m, q: torch.mv(m, torch.from_numpy(q.astype(np.float16))).float().numpy(),
        ),
        "torch bfloat16 mv": (
            tb16,
            lambda m, q: torch.mv(m, torch.from_numpy(q).to(torch.bfloat16)).float().numpy(),
        ),
        "int8 per-row scale, widened per block": ((i8, scale.astype(np.float32)), int8_scored),
    }


# -- start-up -----------------------------------------------------------------------------


def profile_startup() -> None:
    import subprocess

    model_dir = ensure_model()
    say("## model load in a fresh process (s, median of 3; page cache warm)")
    snippets = {
        "import torch": "import torch",
        "import transformers Auto*": (
            "import torch; from transformers import AutoModel, AutoTokenizer, AutoImageProcessor"
        ),
        "import transformers CLIPModel, CLIPTokenizerFast": (
            "import torch; from transformers import CLIPModel, CLIPTokenizerFast"
        ),
        "Encoder.load (whole CLIP)": (
            "from photofind.core.model.encoder import Encoder; Encoder.load(M, 'cpu')"
        ),
        "CLIPTextModelWithProjection + tokenizer only": (
            "import torch; from transformers import CLIPTextModelWithProjection, AutoTokenizer;"
            " CLIPTextModelWithProjection.from_pretrained(M, dtype=torch.float32);"
            " AutoTokenizer.from_pretrained(M)"
        ),
    }
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for label, code in snippets.items():
        prog = (
            "import time; t = time.perf_counter(); M = "
            + repr(str(model_dir))
            + "; "
            + code
            + "; print(time.perf_counter() - t)"
        )
        runs = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", prog], capture_output=True, text=True, env=env, check=True
            )
            runs.append(float(out.stdout.strip().splitlines()[-1]))
        say(f"- {label}: {statistics.median(runs):.2f} ({', '.join(f'{r:.2f}' for r in runs)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "what", nargs="?", default="all", choices=("index", "decode", "search", "startup", "all")
    )
    parser.add_argument("--photos", type=int, default=64)
    parser.add_argument("--search-sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="S")
    args = parser.parse_args()
    global QUIET_WAIT
    QUIET_WAIT = args.wait_quiet
    sizes = [int(s) for s in args.search_sizes.split(",") if s]
    if args.what in ("decode", "all"):
        profile_decode(args.photos)
        say()
    if args.what in ("index", "all"):
        profile_index(args.photos)
        say()
    if args.what in ("search", "all"):
        profile_search(sizes, args.queries)
        say()
    if args.what in ("startup", "all"):
        profile_startup()


if __name__ == "__main__":
    main()
