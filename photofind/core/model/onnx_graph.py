"""Small ONNX graphs built in memory and run by onnxruntime on the CPU.

The query path (core.model.text_tower, core.search.scoring) runs on onnxruntime rather than torch:
importing it costs tens of milliseconds where torch costs seconds, and its kernels stream
weights and half-precision vectors about twice as fast as numpy's (benchmarks/PROFILE.md §7).

The graphs are written in ONNX's protobuf encoding here, for the few message fields they
use, rather than with the `onnx` package: importing that package pulls in ml_dtypes and
costs more than half a second, half of a cold search's whole budget (PROFILE.md §7). The
field numbers are those of onnx/onnx.proto.
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

import numpy as np

# What the graphs use, available in every onnxruntime photofind allows.
OPSET = 17
IR_VERSION = 8  # the first to allow opset 17
_TENSOR_TYPES = {np.dtype(np.float32): 1, np.dtype(np.int64): 7, np.dtype(np.float16): 10}
_ATTRIBUTE_FLOAT, _ATTRIBUTE_INT, _ATTRIBUTE_INTS = 1, 2, 7
_EXTERNAL = 1  # TensorProto.DataLocation


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s are ten bytes of two's complement
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _attribute(name: str, value: object) -> bytes:
    if isinstance(value, float):
        body = _varint(2 << 3 | 5) + struct.pack("<f", value)
        kind = _ATTRIBUTE_FLOAT
    elif isinstance(value, int):
        body, kind = _int(3, value), _ATTRIBUTE_INT
    else:
        body = b"".join(_int(8, int(v)) for v in value)  # type: ignore[attr-defined]
        kind = _ATTRIBUTE_INTS
    return _bytes(1, name) + body + _int(20, kind)


def _value_info(name: str, dtype: np.dtype | None, shape: list[str | int] | None) -> bytes:
    if dtype is None:
        return _bytes(1, name)
    dims = b"".join(
        _bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in shape or []
    )
    tensor_type = _int(1, _TENSOR_TYPES[dtype]) + _bytes(2, dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


def _tensor(name: str, array: np.ndarray, external: bool) -> bytes:
    head = b"".join(_int(1, d) for d in array.shape) + _int(2, _TENSOR_TYPES[array.dtype])
    head += _bytes(8, name)
    if not external:
        return head + _bytes(
            9, np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        )
    return head + _bytes(13, _bytes(1, "location") + _bytes(2, "in-memory")) + _int(14, _EXTERNAL)


class GraphBuilder:
    """Collects nodes, inputs and weights; `cpu_session` turns them into a session. Weights
    reach onnxruntime as arrays (external initializers), never through a serialised copy."""

    def __init__(self) -> None:
        self._graph: list[bytes] = []
        self.weights: dict[str, np.ndarray] = {}
        self._constants: set[str] = set()
        self._names = itertools.count()

    def input(self, name: str, dtype: type, shape: list[str | int]) -> str:
        self._graph.append(_bytes(11, _value_info(name, np.dtype(dtype), shape)))
        return name

    def output(self, name: str) -> None:
        self._graph.append(_bytes(12, _value_info(name, None, None)))

    def weight(self, name: str, array: np.ndarray) -> str:
        """A large constant, handed to onnxruntime as it is."""
        array = np.ascontiguousarray(array)
        self._graph.append(_bytes(5, _tensor(name, array, external=True)))
        self.weights[name] = array
        return name

    def constant(self, name: str, value: np.ndarray | np.generic) -> str:
        """A small constant (a shape, a scale), stored in the graph itself; made once."""
        if name not in self._constants:
            self._constants.add(name)
            self._graph.append(_bytes(5, _tensor(name, np.asarray(value), external=False)))
        return name

    def op(self, kind: str, *inputs: str, **attributes: object) -> str:
        out = f"{kind.lower()}{next(self._names)}"
        node = b"".join(_bytes(1, i) for i in inputs) + _bytes(2, out) + _bytes(4, kind)
        node += b"".join(_bytes(5, _attribute(k, v)) for k, v in attributes.items())
        self._graph.append(_bytes(1, node))
        return out

    def model(self) -> bytes:
        """The serialised ModelProto."""
        graph = b"".join(self._graph) + _bytes(2, "photofind")
        opset = _bytes(1, "") + _int(2, OPSET)
        return _int(1, IR_VERSION) + _bytes(8, opset) + _bytes(7, graph)


def cpu_session(graph: GraphBuilder, threads: int = 0) -> Any:
    """An onnxruntime session for `graph` on the CPU (`threads` 0: one per core). Its threads
    sleep between runs instead of spinning, so an idle app keeps its cores free."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # its warnings name graph internals, not user problems
    if graph.weights:
        names = list(graph.weights)
        options.add_external_initializers(
            names, [ort.OrtValue.ortvalue_from_numpy(graph.weights[n]) for n in names]
        )
    return ort.InferenceSession(graph.model(), options, providers=["CPUExecutionProvider"])
