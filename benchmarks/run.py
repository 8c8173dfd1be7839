"""Issue #4's benchmark: indexing rate against the pipeline bound, search latency, start-up.

    python -m benchmarks.run               # the full run (~10-15 min on 2 cores, after caches)
    python -m benchmarks.run --quick       # a smoke run of a minute or two; figures are rough
    python -m benchmarks.run --photos 300 --search-sizes 100000

Prints the results table and writes benchmarks/RESULTS.md. Everything a ratio compares is
measured in this one run, on this machine. Nothing here asserts performance; it reports.
See benchmarks/README.md for what each figure means and how it is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

if __package__ in (None, ""):  # `python benchmarks/run.py` as well as `python -m benchmarks.run`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import machine
from benchmarks.make_model import ensure_model
from benchmarks.make_photos import ensure_photos

HERE = Path(__file__).resolve().parent

# Targets from issue #4.
INDEX_VS_BOUND = 0.8
INDEX_VS_NAIVE = 4.0
TEXT_MS = {100_000: 30.0, 1_000_000: 150.0}
SIMILAR_MS = {100_000: 20.0}
BYTES_PER_PHOTO = 1100.0
RECALL = 0.99
WINDOW_S = 1.5
STALL_MS = 100.0
# Other processes' busy cores below which a measurement counts as undisturbed.
QUIET_CORES = 0.15


@dataclass
class Settings:
    photos: int
    search_sizes: list[int]
    queries: int
    encoder_images: int
    bf16_batches: int
    decode_photos: int
    full_decode_photos: int
    naive_photos: int
    one_runs: int
    cold_runs: int
    gui_runs: int
    wait_quiet: float
    retries: int
    out: Path


@dataclass
class Row:
    section: str
    figure: str
    value: str
    target: str = ""
    status: str = ""


@dataclass(frozen=True)
class PhaseLoad:
    label: str
    seconds: float
    others_cores: float  # cores other processes kept busy during the phase
    waited: float  # seconds spent waiting for the machine to go quiet first
    attempt: int  # which try was kept (the cleanest)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    phases: list[PhaseLoad] = field(default_factory=list)
    details: dict[str, list[str]] = field(default_factory=dict)
    revision: str = ""

    def add(
        self, section: str, figure: str, value: str, target: str = "", status: str = ""
    ) -> None:
        self.rows.append(Row(section, figure, value, target, status))

    def detail(self, section: str, line: str) -> None:
        self.details.setdefault(section, []).append(line)


def verdict(ok: bool, ratio: float, kind: str) -> str:
    """'met' or 'NOT met', with how far off: rate/required for floors, value/limit for caps."""
    label = "met" if ok else "NOT met"
    return f"{label} ({ratio:.2f}× {kind})"


def status_floor(value: float, required: float) -> str:
    return verdict(value >= required, value / required, "of the floor")


def status_cap(value: float, limit: float) -> str:
    return verdict(value <= limit, value / limit, "of the limit")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def settings_from_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--photos", type=int, default=240, help="12-MP JPEGs to index (240)")
    parser.add_argument(
        "--search-sizes",
        default="100000,1000000",
        help="library sizes for search latency, comma-separated (100000,1000000)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run; rough figures")
    parser.add_argument("--no-gui", action="store_true", help="skip the window start-up row")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="before each phase, wait up to S seconds for other processes to go quiet",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="K",
        help="with --wait-quiet, rerun a measurement others disturbed up to K times (2)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.search_sizes.split(",") if s.strip()]
    if args.quick:
        return Settings(
            photos=min(args.photos, 12),
            search_sizes=[10_000] if sizes else [],
            queries=10,
            encoder_images=16,
            bf16_batches=1,
            decode_photos=6,
            full_decode_photos=2,
            naive_photos=16,
            one_runs=1,
            cold_runs=1,
            gui_runs=0 if args.no_gui else 1,
            wait_quiet=args.wait_quiet,
            retries=args.retries,
            out=args.out,
        )
    return Settings(
        photos=args.photos,
        search_sizes=sizes,
        queries=50,
        encoder_images=96,
        bf16_batches=2,
        decode_photos=min(args.photos, 40),
        full_decode_photos=min(args.photos, 12),
        naive_photos=min(args.photos, 64),
        one_runs=3,
        cold_runs=3,
        gui_runs=0 if args.no_gui else 3,
        wait_quiet=args.wait_quiet,
        retries=args.retries,
        out=args.out,
    )


T = TypeVar("T")


class Bench:
    """One run. Each measurement is a unit run through `measured`, which records how busy
    other processes kept the machine meanwhile and, with --wait-quiet, waits for a quiet
    moment first and retries a unit that others disturbed, keeping its cleanest attempt."""

    def __init__(self, cfg: Settings) -> None:
        self.cfg = cfg
        self.report = Report(revision=machine.engine_revision(HERE.parent))
        self.info = machine.describe()
        self.cores = os.cpu_count() or 1
        self.busy = machine.other_cpu_users()
        self.work = Path(tempfile.mkdtemp(prefix="photofind-bench-"))
        # The image tower's ONNX export (core.model.onnx_tower), made once while E is measured and
        # used by every `photofind index` run after it, as on a user's machine.
        self.export_cache = self.work / "exports"
        os.environ["PHOTOFIND_CACHE_DIR"] = str(self.export_cache)

    def measured(self, label: str, fn: Callable[[], T]) -> T:
        cfg = self.cfg
        best: tuple[T, PhaseLoad] | None = None
        attempts = 1 + (cfg.retries if cfg.wait_quiet else 0)
        for attempt in range(1, attempts + 1):
            waited = machine.wait_for_quiet(cfg.wait_quiet) if cfg.wait_quiet else 0.0
            meter = machine.CpuMeter()
            value = fn()
            seconds = time.perf_counter() - meter.wall
            load = PhaseLoad(label, seconds, meter.others_cores(), waited, attempt)
            if best is None or load.others_cores < best[1].others_cores:
                best = (value, load)
            if load.others_cores <= QUIET_CORES:
                break
            log(f"  {label}: others kept {load.others_cores:.2f} cores busy (attempt {attempt})")
        assert best is not None
        self.report.phases.append(best[1])
        return best[0]

    def prepare(self) -> None:
        from photofind.core.model.encoder import Encoder
        from photofind.core.model.ref import model_key

        log("preparing the model and photos (cached after the first run)")
        self.model_dir = ensure_model()
        self.folder_n = ensure_photos(self.cfg.photos)
        self.folder_1 = ensure_photos(1)
        self.photos = sorted(self.folder_n.glob("IMG_*.jpg"))
        self.model_name = model_key(str(self.model_dir))
        self.libraries: dict[int, Path] = {}
        if self.cfg.search_sizes:
            from benchmarks.search_bench import ensure_library

            for n in self.cfg.search_sizes:
                log(f"preparing a synthetic {n:,}-photo library (cached after the first run)")
                self.libraries[n] = ensure_library(n, self.model_name)
        self.encoder = Encoder.load(str(self.model_dir), "cpu")

    def bound(self) -> None:
        from benchmarks import bounds, commands

        cfg, info, add = self.cfg, self.info, self.report.add
        log("E: image encoder alone on ready tensors")
        sizes = (16, 32, 64) if cfg.encoder_images >= 64 else (16,)
        enc = self.measured(
            "E float32",
            lambda: bounds.measure_float32(self.encoder, sizes, cfg.encoder_images),
        )
        bf16_batch = 16 if info.bf16_native else 8
        if cfg.bf16_batches:
            low = self.measured(
                "E bfloat16",
                lambda: bounds.measure_bfloat16(self.encoder, bf16_batch, cfg.bf16_batches),
            )
            enc.rates.update(low.rates)
            enc.bf16_cosine = low.bf16_cosine
        time.sleep(1.0)  # torch's threads stop spinning before onnxruntime is timed
        onnx = self.measured(
            "E onnxruntime",
            lambda: bounds.measure_onnx(
                self.encoder, sizes, cfg.encoder_images, self.export_cache / "image-towers"
            ),
        )
        if onnx is not None:
            enc.rates.update(onnx.rates.rates)
        dtype, batch, self.e_rate = enc.best
        self.e_dtype = dtype
        # photofind's own encoder: float32, the precision its stored vectors are held to.
        self.e_float32 = max(r for (name, _), r in enc.rates.items() if "bfloat16" not in name)
        self.bf16_cosine = enc.bf16_cosine
        for (name, bs), rate in sorted(enc.rates.items()):
            self.report.detail("E", f"{name}, batch {bs}: {rate:.2f} photos/s")

        log("D: one core's decode to model input")
        time.sleep(1.0)  # let torch's worker threads stop spinning before a one-core timing
        commands.warm_page_cache(self.photos)
        dec = self.measured(
            "D",
            lambda: bounds.measure_decode(
                self.photos[: cfg.decode_photos], self.encoder.preprocess, cfg.full_decode_photos
            ),
        )
        d_path, self.d_seconds = dec.best
        self.b_rate = bounds.pipeline_bound(self.e_rate, self.d_seconds, self.cores)
        b_engine = bounds.pipeline_bound(self.e_rate, dec.photofind, self.cores)

        add("Bound", "CPU", f"{info.cpu}, {self.cores} cores, {info.simd}")
        add("Bound", "GPU", _gpu_description(), "figures where a GPU is lent", "see GPU rows")
        add(
            "Bound",
            "E: image encoder alone (fastest)",
            f"{self.e_rate:.2f} photos/s ({dtype}, batch {batch}, {self.cores} threads)",
        )
        if onnx is None:
            add("Bound", "E through onnxruntime", "not measured: photofind would not use it here")
        else:
            torch_best = max(r for (name, _), r in enc.rates.items() if name == "float32")
            onnx_best = max(onnx.rates.rates.values())
            add(
                "Bound",
                "E through onnxruntime (photofind's CPU path) / torch eager",
                f"{onnx_best:.2f} / {torch_best:.2f} photos/s; cosine vs torch ≥ "
                f"{onnx.cosine:.5f}; one-time export {onnx.export_seconds:.1f} s, "
                f"later loads {onnx.load_seconds:.1f} s",
            )
        bf16 = enc.rates.get(("bfloat16", bf16_batch))
        if bf16:
            how = "native" if info.bf16_native else "emulated: no AVX512-BF16/AMX"
            cos = f"; cosine vs fp32 ≥ {enc.bf16_cosine:.4f}" if enc.bf16_cosine else ""
            add("Bound", "E in bfloat16", f"{bf16:.2f} photos/s ({how}){cos}")
        add("Bound", "D: decode to 3×224×224, one core", f"{self.d_seconds * 1e3:.1f} ms/photo")
        add("Bound", "… photofind's own path", f"{dec.photofind * 1e3:.1f} ms/photo")
        add(
            "Bound",
            "… reference path (draft + resize into crop box)",
            f"{dec.reference * 1e3:.1f} ms/photo (max diff vs engine {dec.max_pixel_diff:.0f}/255)",
        )
        add("Bound", "… full-size decode, for comparison", f"{dec.full * 1e3:.1f} ms/photo")
        self.read_hash_seconds = dec.read + dec.hash
        add(
            "Bound",
            "Read + blake2b hash (outside B)",
            f"{dec.read * 1e3:.1f} + {dec.hash * 1e3:.1f} ms/photo "
            f"({dec.mean_bytes / 1e6:.2f} MB mean file)",
        )
        add(
            "Bound",
            "B = 1/(1/E + D/cores)",
            f"{self.b_rate:.2f} photos/s (= {self.b_rate / self.e_rate:.2f} × E; "
            f"{b_engine:.2f} with photofind's D)",
        )
        native = "" if info.bf16_native else " bfloat16 is not native on this CPU."
        self.report.notes.append(
            f"D is the {d_path} path, the faster of the two measured; E is {dtype} at batch "
            f"{batch}.{native}"
        )

    def indexing(self) -> None:
        from benchmarks import bounds, commands

        cfg, add = self.cfg, self.report.add
        log(f"naive loop over {cfg.naive_photos} photos")
        naive = self.measured(
            "naive loop",
            lambda: bounds.measure_naive(self.model_dir, self.photos[: cfg.naive_photos]),
        )

        log(f"photofind index: {cfg.photos} photos and 1 photo, whole commands")
        commands.warm_page_cache(self.photos)

        def one() -> float:
            return commands.time_index(self.folder_1, self.model_dir, self.work).seconds

        # The 1-photo command runs before and after the N-photo one, so drift in background
        # load between them shows up in both terms of the difference.
        ones = [self.measured("index 1 photo", one) for _ in range(max(1, cfg.one_runs // 2))]
        big = self.measured(
            f"index {cfg.photos} photos",
            lambda: commands.time_index(self.folder_n, self.model_dir, self.work),
        )
        ones += [self.measured("index 1 photo", one) for _ in range(cfg.one_runs - len(ones))]
        if big.counts.get("failed"):
            raise RuntimeError(f"{big.counts['failed']} benchmark photos failed to index")
        t1 = statistics.median(ones)
        rate = (big.photos - 1) / (big.seconds - t1)
        runs = ", ".join(f"{s:.2f}" for s in ones)
        add(
            "Indexing",
            "Naive loop (PIL full + CLIPProcessor, fp32, batch 16)",
            f"{naive:.2f} photos/s",
        )
        add("Indexing", f"`photofind index`, {big.photos} photos, wall", f"{big.seconds:.1f} s")
        add("Indexing", "`photofind index`, 1 photo, wall (start-up)", f"{t1:.2f} s ({runs})")
        add("Indexing", "Marginal index rate (N−1)/(T(N)−T(1))", f"{rate:.2f} photos/s")
        vs_b, vs_naive = rate / self.b_rate, rate / naive
        add(
            "Indexing",
            "Marginal rate ÷ B",
            f"{vs_b:.2f}",
            f"≥ {INDEX_VS_BOUND}",
            status_floor(vs_b, INDEX_VS_BOUND),
        )
        add(
            "Indexing",
            "Marginal rate ÷ naive loop",
            f"{vs_naive:.2f}",
            f"≥ {INDEX_VS_NAIVE:g}",
            status_floor(vs_naive, INDEX_VS_NAIVE),
        )
        if vs_b < INDEX_VS_BOUND and self.e_dtype == "bfloat16":
            b32 = bounds.pipeline_bound(self.e_float32, self.d_seconds, self.cores)
            self.report.notes.append(
                f"Why ÷ B is not met: this CPU runs bfloat16 natively, so E is bfloat16's "
                f"{self.e_rate:.1f} photos/s, while photofind encodes in float32 (the precision "
                f"its stored vectors are held to) at {self.e_float32:.1f} photos/s at best. "
                f"Against the bound of that encoder, {b32:.2f} photos/s, the marginal rate is "
                f"{rate / b32:.2f}. Encoding in bfloat16 on such CPUs is a lever not taken yet: "
                f"it changes every stored vector (cosine ≥ {self.bf16_cosine or 0:.4f} to "
                "float32 here, on random weights) and needs a quality check on the real "
                "checkpoint first."
            )
        if vs_naive < INDEX_VS_NAIVE:
            need = INDEX_VS_NAIVE * naive
            # B leaves reading and hashing out; a run cannot (the hash recognises moved files).
            hashing = getattr(self, "read_hash_seconds", 0.0)
            with_hashing = 1 / (1 / self.b_rate + hashing / self.cores)
            self.report.notes.append(
                f"Why ≥ {INDEX_VS_NAIVE:g} × naive is not met: {INDEX_VS_NAIVE:g} × the naive loop "
                f"is {need:.1f} photos/s = {need / self.b_rate:.2f} × B. "
                + (
                    "That is above the pipeline bound, so no schedule of decoding and this "
                    "float32 encoder can reach it on this CPU: the naive loop is itself mostly "
                    "encoder time."
                    if need > self.b_rate
                    else "That is below B, but B is a perfect overlap that leaves out reading "
                    f"and hashing ({hashing * 1e3:.1f} ms of a core a photo): with them, the "
                    f"bound is {with_hashing:.2f} photos/s, and the target asks for "
                    f"{need / with_hashing:.2f} of it. photofind reached "
                    f"{rate / with_hashing:.2f} of it."
                )
                + " On this VM the naive loop has measured 2.15 to 2.88 photos/s across quiet "
                "runs (RESULTS.md history), so 4 × naive has ranged from 0.94 to 1.18 × B. "
                "photofind already encodes through onnxruntime (E above is that runtime's; "
                "torch eager is slower), and its N-photo run pays the runtime's load, which the "
                "1-photo run does not (one photo is encoded by torch), inside the margin. "
                "Beyond that only a faster encoder moves it: int8 image-tower weights measured "
                "+58 % E (benchmarks/PROFILE.md §6) but are not adopted, because photo vectors are "
                "stored and their quality cannot be checked on the real checkpoint here; "
                "published figures for this model show a cost (openai/clip-vit-base-patch32 "
                "zero-shot ImageNet 63.4 % in float32, 61.9 % with int8 weights and activations, "
                "huggingface/optimum-intel PR #1283)."
            )
        self.report.notes.append(
            f"Indexing: {1e3 / rate:.0f} ms per photo at the margin, against "
            f"{1e3 / self.e_rate:.0f} ms of encoder time and {self.d_seconds * 1e3:.0f} ms of "
            f"one-core decode per photo; the bound assumes both spread over {self.cores} cores "
            "without contention. See benchmarks/PROFILE.md for where the rest goes."
        )

    def startup(self) -> None:
        from benchmarks import commands

        cfg, add = self.cfg, self.report.add
        if self.libraries:
            n = min(self.libraries)
            data_dir, query = self.libraries[n], "a dog on a beach"
            log(f"cold `photofind search` on the {n:,}-photo library")
            runs = [
                self.measured(
                    "cold search",
                    lambda: commands.time_cold_search(data_dir, self.model_dir, query),
                )
                for _ in range(cfg.cold_runs)
            ]
            parts = self.measured(
                "cold search breakdown",
                lambda: commands.cold_search_breakdown(data_dir, self.model_dir, query),
            )
            listed = ", ".join(f"{s:.2f}" for s in runs)
            add(
                "Start-up",
                f"CLI `search` cold start, {n:,} photos",
                f"{statistics.median(runs):.2f} s ({listed})",
                "reported",
            )
            top = sorted(parts.phases.items(), key=lambda kv: -kv[1])[:3]
            add("Start-up", "… dominated by", "; ".join(f"{k} {v:.2f} s" for k, v in top))
            self.report.detail("Start-up", f"python -c pass: {parts.python_startup:.3f} s")
            for name, seconds in parts.phases.items():
                self.report.detail("Start-up", f"{name}: {seconds:.3f} s")
            self.report.detail(
                "Start-up",
                "top-level imports (-X importtime, cumulative): "
                + ", ".join(f"{name} {sec:.2f} s" for name, sec in parts.top_imports),
            )
        target = f"≤ {WINDOW_S} s"
        why = "--no-gui" if not cfg.gui_runs else commands.gui_available()
        if why:
            add("Start-up", "Window visible after launch", f"not measured: {why}", target)
            return
        log("window start-up")
        try:
            times = [
                self.measured(
                    "window",
                    lambda i=i: commands.measure_window(
                        self.work / f"gui-data-{i}", self.model_dir, self.work
                    ),
                )
                for i in range(cfg.gui_runs)
            ]
        except RuntimeError as exc:
            add("Start-up", "Window visible after launch", f"not measured: {exc}", target)
            return
        painted = [p for _, p in times]
        p50 = statistics.median(painted)
        add(
            "Start-up",
            "Window painted after launch (empty library)",
            f"{p50:.2f} s ({', '.join(f'{s:.2f}' for s in painted)})",
            target,
            status_cap(p50, WINDOW_S),
        )

    def responsiveness(self) -> None:
        from benchmarks import commands

        add = self.report.add
        target = f"no gap > {STALL_MS:g} ms"
        why = "--no-gui" if not self.cfg.gui_runs else commands.gui_available()
        if why:
            add("Responsiveness", "GUI-thread stalls", f"not measured: {why}", target)
            return
        log("GUI-thread stalls while loading, indexing and searching (benchmarks/gui_stall.py)")
        photos = min(self.cfg.photos, 96)
        try:
            result = self.measured("gui stalls", lambda: commands.measure_stalls(photos))
        except RuntimeError as exc:
            add("Responsiveness", "GUI-thread stalls", f"not measured: {exc}", target)
            return
        for p in result["phases"]:
            startup = p["phase"].startswith("start-up")
            add(
                "Responsiveness",
                f"Longest GUI-thread gap: {p['phase']}",
                f"{p['longest_ms']:.0f} ms (p99 {p['p99_ms']:.0f}; {p['over_100']} over "
                f"{STALL_MS:g} ms in {p['seconds']:.0f} s)",
                "reported" if startup else target,
                "" if startup else status_cap(p["longest_ms"], STALL_MS),
            )
        self.report.detail(
            "Responsiveness",
            f"{result['photos']} photos in two folders, {result['searches']} searches idle and "
            f"{result['searches_while_indexing']} while the second folder was indexed",
        )

    def search(self) -> None:
        from benchmarks.search_bench import measure_search

        add = self.report.add
        for n, data_dir in sorted(self.libraries.items()):
            log(f"search latency on {n:,} photos")
            fig = self.measured(
                f"search {n:,}",
                lambda d=data_dir: measure_search(
                    d, self.model_name, self.encoder, self.cfg.queries
                ),
            )
            p50, p95 = fig.p(fig.text_ms, 50), fig.p(fig.text_ms, 95)
            tower, rank = fig.p(fig.text_encode_ms, 50), fig.p(fig.rank_ms, 50)
            target = TEXT_MS.get(n)
            add(
                "Search",
                f"Text query p50 / p95, {n:,} photos",
                f"{p50:.1f} / {p95:.1f} ms (text tower {tower:.1f}, ranking {rank:.1f})",
                f"p50 ≤ {target:g} ms" if target else "",
                status_cap(p50, target) if target else "",
            )
            if target and p50 > target:
                self.report.notes.append(
                    f"Why the {n:,}-photo text query misses {target:g} ms: of its {p50:.1f} ms "
                    f"p50, the text tower (int8 weights, padded to 16/32 tokens) takes "
                    f"{tower:.1f} ms and the ranking {rank:.1f} ms (float16 scan, exact "
                    "re-scoring of the head); the rest is tokenising and fetching paths."
                )
            s50, s95 = fig.p(fig.similar_ms, 50), fig.p(fig.similar_ms, 95)
            starget = SIMILAR_MS.get(n)
            add(
                "Search",
                f"Similar-photo p50 / p95, {n:,} photos",
                f"{s50:.1f} / {s95:.1f} ms",
                f"p50 ≤ {starget:g} ms" if starget else "",
                status_cap(s50, starget) if starget else "",
            )
            add(
                "Search",
                f"Resident vector memory, {n:,} photos",
                f"{fig.bytes_per_photo:.0f} B/photo ({fig.matrix_dtype}; "
                f"{fig.bytes_per_photo_with_ids:.0f} with ids)",
                f"≤ {BYTES_PER_PHOTO:g} B",
                status_cap(fig.bytes_per_photo, BYTES_PER_PHOTO),
            )
            add(
                "Search",
                f"Top-10 recall vs exact float32, {n:,} photos",
                f"text {fig.recall_text:.3f}, similar {fig.recall_similar:.3f}",
                f"≥ {RECALL}",
                status_floor(min(fig.recall_text, fig.recall_similar), RECALL),
            )
            add(
                "Search",
                f"First query's vector load from SQLite, {n:,}",
                f"{fig.vector_load:.2f} s (writing the snapshot included)",
            )
            add(
                "Search",
                f"First query's vector load in a later process (snapshot), {n:,}",
                f"{fig.snapshot_load:.2f} s",
            )

    def noise_note(self) -> None:
        noisy = [p for p in self.report.phases if p.others_cores > QUIET_CORES]
        if noisy:
            worst = max(p.others_cores for p in noisy)
            self.report.notes.insert(
                0,
                f"The machine was shared: in {len(noisy)} of {len(self.report.phases)} "
                f"measurements other processes kept more than {QUIET_CORES} cores busy (up to "
                f"{worst:.1f} of {self.cores}; each unit is listed at the top). Those figures "
                "are pessimistic; torch's all-core thread pool suffers most, since a "
                "descheduled OpenMP thread stalls every parallel op, and a ratio of figures "
                "taken under different load (marginal ÷ B) is skewed.",
            )


def measured_elsewhere(report: Report) -> None:
    """Rows from the benchmarks that need another machine or a long build, each with where
    and when it was measured: the GPU run (benchmarks/GPU.json, `python -m benchmarks.gpu`)
    and the approximate index (benchmarks/ANN.md, `python -m benchmarks.ann_bench`)."""
    import json

    add = report.add
    gpu_file = HERE / "GPU.json"
    if gpu_file.is_file():
        from benchmarks.gpu import summary

        d = json.loads(gpu_file.read_text())
        where = f"{d['machine']['gpu'].split(',')[0]}, {d['date']}, GPU.md"
        s = summary(d)
        add("GPU", "Machine (measured there)", where)
        if s.get("E"):
            add(
                "GPU",
                "E (float16) / D / B",
                f"{s['E']:.0f} photos/s / {s['D'] * 1000:.0f} ms "
                f"/ {s['B']:.0f} photos/s ({d['machine']['cores']} cores)",
            )
        if s.get("marginal"):
            add("GPU", "Marginal index rate", f"{s['marginal']:.0f} photos/s")
            ratios = (
                ("Marginal rate ÷ B", s.get("B"), INDEX_VS_BOUND, " (why: GPU.md)"),
                ("Marginal rate ÷ naive loop", s.get("naive"), INDEX_VS_NAIVE, ""),
            )
            for figure, base, floor, why in ratios:
                if base:
                    r = s["marginal"] / base
                    add("GPU", figure, f"{r:.2f}{why}", f"≥ {floor:g}", status_floor(r, floor))
    ann = _ann_default_row(HERE / "ANN.md")
    if ann:
        add(
            "Beyond 1M",
            "Approximate index (HNSW f16, M=32, ef=1024), 1,000,000 photos",
            f"p50 / p95 {ann['latency']} ms; recall@10 {ann['recall']} "
            "(benchmark-model text / CLIP-like text / similar); "
            f"{ann['memory']} a photo; build {ann['build']} (ANN.md)",
            "recall reported",
            "reported",
        )


def _ann_default_row(path: Path) -> dict[str, str] | None:
    """The default graph's row at a million photos in ANN.md, if it is there."""
    if not path.is_file():
        return None
    for line in path.read_text().splitlines():
        if "(the default)" in line and line.startswith("|"):
            cells = [c.strip().strip("*").strip() for c in line.strip("|").split("|")]
            return {
                "build": cells[2],
                "memory": cells[3],
                "latency": cells[6],
                "recall": cells[7],
            }
    return None


def _gpu_description() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (this run measures the CPU path only)"
    return "none: no GPU on this machine (none was lent to the session that ran this)"


def main(argv: list[str] | None = None) -> int:
    cfg = settings_from_args(argv)
    started = dt.datetime.now().astimezone()
    wall = time.perf_counter()
    log("describing the machine")
    bench = Bench(cfg)
    try:
        bench.prepare()
        bench.bound()
        bench.indexing()
        bench.startup()
        bench.responsiveness()
        bench.search()
    finally:
        shutil.rmtree(bench.work, ignore_errors=True)
    bench.noise_note()
    measured_elsewhere(bench.report)

    elapsed = time.perf_counter() - wall
    report = bench.report
    cfg.out.write_text(render_markdown(report, bench.info, bench.busy, started, elapsed, cfg))
    print(render_console(report))
    if report.notes:
        print("\n" + "\n".join(f"- {n}" for n in report.notes))
    print(f"\nother processes' CPU per phase (cores): {format_loads(report)}")
    print(f"wrote {cfg.out} ({elapsed / 60:.1f} min)")
    return 0


def format_loads(report: Report) -> str:
    parts = []
    for p in report.phases:
        extra = [f"waited {p.waited:.0f} s"] if p.waited >= 1 else []
        extra += [f"try {p.attempt}"] if p.attempt > 1 else []
        parts.append(
            f"{p.label} {p.others_cores:.2f}" + (f" ({', '.join(extra)})" if extra else "")
        )
    return ", ".join(parts)


def render_console(report: Report) -> str:
    widths = [0, 0, 0, 0]
    lines = []
    rows = [(r.figure, r.value, r.target, r.status) for r in report.rows]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    widths = [min(w, 90) for w in widths]
    section = None
    for r, row in zip(report.rows, rows, strict=True):
        if r.section != section:
            section = r.section
            lines.append(f"\n== {section}")
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


METHOD = """\
- **E** — `CLIPModel.get_image_features` on ready random tensors (1×3×224×224 each), torch at
  its default thread count (= cores), batches of 16/32/64 in float32, and bfloat16 where it
  is measured; the first batch of each shape is discarded (oneDNN kernel set-up), the rate
  is batch ÷ median batch time. The same batches go through onnxruntime, as photofind
  encodes photos on a CPU (`core.model.onnx_tower`: the image tower exported once per model and
  checked against torch). E is the fastest runtime/dtype/batch, so B counts photofind's own
  faster encoder against it, not against torch.
- **D** — on the benchmark's main thread (one core), per photo from bytes already in memory:
  decode + EXIF rotation + resize + centre crop + normalise to float32 3×224×224. Measured
  for photofind's own path (`imaging.load_photo(data, min_side)` + `encoder.Preprocessing`)
  and a reference path (same draft decode, then one bicubic `resize(box=…)` straight into the
  crop); D is the faster of the two. Median over the sample. Reading and hashing the file are
  reported separately and are not part of B, as the issue defines it.
- **B** = 1 / (1/E + D/cores): every core decodes and encodes, perfectly overlapped.
- **Naive loop** — `Image.open(path).convert("RGB")` at full size, `CLIPProcessor`,
  `get_image_features` float32, batches of 16; model load and one warm-up batch excluded.
- **Marginal index rate** — (N − 1) / (T(N) − T(1)), where each T is the wall time of a
  whole `photofind --data-dir FRESH --model M --device cpu index FOLDER --json` command.
  The 1-photo command runs before and after the N-photo one (median used). Files are in
  the page cache for every run (read once beforehand), so disk speed is not measured.
- **CLI search cold start** — wall time of whole `photofind search` commands on the smallest
  synthetic library (warm page cache: this is a process cold start, not a disk cold start).
  The breakdown comes from `benchmarks/_cold_search.py`, which does the same steps with a
  clock between them; top imports from `python -X importtime` of that script.
- **Window visible** — launch `python benchmarks/_gui_probe.py --data-dir D --model M`,
  which runs `python -m photofind` with `QApplication.exec` wrapped to note the first paint
  of the main window (offscreen Qt platform, fresh data dir), timed from just before launch.
- **GUI-thread stalls** — `benchmarks/gui_stall.py` runs the real window with the real
  worker and a 10 ms heartbeat `QTimer` on the GUI thread; a gap between two beats is time
  the window could not answer the user. It loads the model, indexes half of the photos
  while the grid is shown and scrolled, types queries key by key and runs Find Similar, then
  does the same while the other half is indexed. Start-up (importing torch and transformers
  on the worker) is reported, not held to the target: their C initialisers hold the GIL.
- **Search** — synthetic libraries written straight into photofind's schema (CLIP-like
  vectors: shared direction + 2,000 clusters + noise). Warm: after the first query has
  loaded the vectors. Text: `Searcher.text(q, 20)` end to end over distinct queries with the
  real-shape text tower; similar: `Searcher.similar(path, 20)` on indexed photos. Memory is
  `VectorIndex.matrix.nbytes / N`. Recall: overlap of `VectorIndex.top(q, 10)` with the exact
  float32 top 10 computed from the stored vectors, for the text and similar queries.
"""


def render_markdown(
    report: Report,
    info: machine.Machine,
    busy: list[str],
    started: dt.datetime,
    elapsed: float,
    cfg: Settings,
) -> str:
    out = [
        "# photofind benchmark results (issue #4)",
        "",
        f"Generated by `python -m benchmarks.run` on {started:%Y-%m-%d %H:%M %Z} "
        f"in {elapsed / 60:.1f} min ({cfg.photos} photos; search at "
        f"{', '.join(f'{n:,}' for n in cfg.search_sizes) or 'no'} photos).",
        "",
        "## Machine",
        "",
        f"- CPU: {info.cpu}, {info.cores} cores ({info.simd}); bfloat16 "
        f"{'native' if info.bf16_native else 'not native (emulated)'}",
        f"- RAM: {info.ram_gib:.1f} GiB; OS: {info.os}",
        f"- photofind at {report.revision} (when the run started)",
        f"- Python {info.python}, torch {info.torch}, transformers {info.transformers}, "
        f"Pillow {info.pillow}, numpy {info.numpy}",
        "- Model: CLIP ViT-B/32 of the real shape (`CLIPModel(CLIPConfig())`, seeded random "
        "weights), CLIP's real BPE tokenizer, OpenAI preprocessing (224, crop 224)",
        "- Photos: synthetic 4000×3000 JPEGs, quality 92, 4:2:0, noisy multi-scale texture "
        "(see `benchmarks/make_photos.py`)",
        f"- Cores kept busy by other processes, per phase: {format_loads(report)}",
        f"- Other processes using CPU when the run started: {', '.join(busy) or 'none'}",
        "",
        "## Results",
        "",
        "| | Figure | Measured | Target | Status |",
        "|---|---|---|---|---|",
    ]
    for r in report.rows:
        cells = [r.section, r.figure, r.value, r.target, r.status]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    for section, lines in report.details.items():
        out += ["", f"### Details: {section}", ""] + [f"- {line}" for line in lines]
    out += ["", "## How each figure is measured", "", METHOD]
    if report.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in report.notes] + [""]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
