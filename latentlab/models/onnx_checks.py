"""Checks on an ONNX file a user brings, made with the ``onnx`` package before onnxruntime loads anything.

An ONNX file is data, but a hostile one can still reach outside itself: a node of a custom domain asks the
runtime for an operator library (code), and a tensor's external data names a file to read, which could be
any path on the machine. So, in this order, on the file's bytes read once:

1. its size (and its external data's) is within ``max_onnx_bytes``, and it parses as an ONNX model
   (a truncated or foreign file does not);
2. every node, in the main graph, in subgraphs (``If``/``Loop``/``Scan`` bodies) and in the model's local
   functions, is of the default domains (``''``/``ai.onnx``, ``ai.onnx.ml``) or calls one of those local
   functions;
3. every tensor kept as external data names a plain file beside the model (no folder part, no ``..``, no
   absolute path, not a link that leaves the folder), which exists and holds the bytes it claims;
4. the graph passes ``onnx.checker``;
5. its inputs and outputs have the names, dtypes and shapes LatentLab will feed and read (``check_signature``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.core.limits import human_bytes, limit

DEFAULT_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")
INSTALL = "pip install 'latentlab[onnx]'"


def require_onnx():
    """The ``onnx`` and ``onnxruntime`` modules, or one sentence saying how to install them."""
    try:
        import onnx
        import onnxruntime
    except ImportError as exc:
        raise LatentLabError(f"ONNX models need the onnx extra ({exc.name or exc} is not installed); install it with "
                             f"{INSTALL}.") from None
    return onnx, onnxruntime


@dataclass
class CheckedGraph:
    """An ONNX model that passed the checks: its file, its external-data files, and the parsed graph (without
    the external data loaded); ``content`` is the file's bytes as checked, given to onnxruntime when the model
    has no external data, so the runtime runs exactly what was checked."""

    path: Path
    data_files: list[Path]
    proto: object  # onnx.ModelProto
    content: bytes


def checked_graph(path, role: str) -> CheckedGraph:
    """Run checks 1 to 4 on the ONNX file ``path`` (``role``: "encoder" or "decoder", for the messages)."""
    onnx, _ = require_onnx()
    from google.protobuf.message import DecodeError

    path = Path(path)
    if not path.is_file():
        raise LatentLabError(f"{path}: no such {role} file; check the path.")
    if path.suffix.lower() != ".onnx":
        raise LatentLabError(f"{path.name}: the {role} must be an .onnx file; export it with torch.onnx.export.")
    size = path.stat().st_size
    if size > limit("max_onnx_bytes"):
        raise LatentLabError(f"{path.name}: {human_bytes(size)} is over the ONNX model limit of "
                             f"{human_bytes(limit('max_onnx_bytes'))} (LATENTLAB_LIMIT_MAX_ONNX_BYTES).")
    content = path.read_bytes()
    try:
        proto = onnx.load_model_from_string(content)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise LatentLabError(f"{path.name}: not a readable ONNX model (truncated or not ONNX: "
                             f"{_first_line(exc)}); export the {role} again.") from None
    if not proto.graph.node or not proto.graph.output:
        raise LatentLabError(f"{path.name}: the ONNX {role} has no nodes or no outputs (truncated or empty); export it again.")
    _check_domains(path, proto)
    data_files = _check_external_data(path, proto, size)
    try:
        # with external data the checker must read the (already checked) files beside the model: give it the path
        onnx.checker.check_model(str(path) if data_files else proto)
    except (onnx.checker.ValidationError, ValueError) as exc:
        raise LatentLabError(f"{path.name}: the ONNX {role} is not a valid model ({_first_line(exc)}); "
                             "export it again.") from None
    return CheckedGraph(path, data_files, proto, content)


def _first_line(exc: Exception) -> str:
    return ((str(exc).strip().splitlines() or [type(exc).__name__])[0])[:200]


def _graphs(graph):
    """``graph`` and every subgraph of its nodes' attributes, depth first."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g)
            for sub in attr.graphs:
                yield from _graphs(sub)


def _check_domains(path: Path, proto) -> None:
    local = {(f.domain, f.name) for f in proto.functions}
    bodies = [list(_graphs(proto.graph))] + [[f] for f in proto.functions]
    for graphs in bodies:
        for graph in graphs:
            for node in graph.node:
                if node.domain in DEFAULT_DOMAINS or (node.domain, node.op_type) in local:
                    continue
                raise LatentLabError(f"{path.name}: node '{node.name or node.op_type}' uses the custom domain "
                                     f"'{node.domain}' ({node.op_type}), which would load code from an operator "
                                     "library; export the model with standard ONNX operators only.")


def _tensors(proto):
    """Every tensor of the model that may hold external data: initializers, Constant-like attributes, in
    every graph and function."""
    graphs = list(_graphs(proto.graph))
    for f in proto.functions:
        graphs.append(f)
    for graph in graphs:
        yield from getattr(graph, "initializer", ())
        yield from (s.values for s in getattr(graph, "sparse_initializer", ()))
        yield from (s.indices for s in getattr(graph, "sparse_initializer", ()))
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    yield attr.t
                yield from attr.tensors


def _check_external_data(path: Path, proto, model_bytes: int) -> list[Path]:
    """The external-data files, after checking each location stays beside the model and each range is inside
    its file; the model's and its files' sizes together must be within the limit."""
    from onnx import TensorProto

    folder = path.resolve().parent
    files: dict[Path, int] = {}
    for tensor in _tensors(proto):
        if tensor.data_location != TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        if not location or Path(location).name != location or location in (".", ".."):
            raise LatentLabError(f"{path.name}: tensor '{tensor.name}' keeps its data in '{location}', a path that "
                                 "leaves the model's folder; external data may only be a file beside the model.")
        file = folder / location
        if not file.is_file() or file.resolve().parent != folder:
            raise LatentLabError(f"{path.name}: tensor '{tensor.name}' keeps its data in '{location}', which is not a "
                                 "file beside the model; copy the data file next to it.")
        size = file.stat().st_size
        try:
            end = int(info.get("offset", 0)) + int(info.get("length", size - int(info.get("offset", 0))))
        except ValueError:
            end = -1
        if end < 0 or end > size:
            raise LatentLabError(f"{path.name}: tensor '{tensor.name}' claims bytes past the end of '{location}' "
                                 "(truncated data file); copy the data file again.")
        files[file] = size
    total = model_bytes + sum(files.values())
    if total > limit("max_onnx_bytes"):
        raise LatentLabError(f"{path.name}: with its external data it is {human_bytes(total)}, over the ONNX model "
                             f"limit of {human_bytes(limit('max_onnx_bytes'))} (LATENTLAB_LIMIT_MAX_ONNX_BYTES).")
    return sorted(files)


# ------------------------------------------------------------------ inputs and outputs

FLOAT = 1  # onnx.TensorProto.FLOAT


def value_shape(value) -> tuple:
    """A graph input's or output's dims: ints where fixed, the symbol's name (or None) where not."""
    dims = value.type.tensor_type.shape.dim
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in dims)


def dtype_name(elem_type: int) -> str:
    from onnx import helper

    return helper.tensor_dtype_to_np_dtype(elem_type).name if elem_type else "unknown"


def shape_text(shape) -> str:
    return "(" + ", ".join("batch" if i == 0 and not isinstance(d, int) else str(d if d is not None else "?")
                           for i, d in enumerate(shape)) + ")"


def graph_inputs(proto) -> list:
    """The inputs a caller feeds: old exports list their initializers among the inputs too."""
    initializers = {t.name for t in proto.graph.initializer}
    return [v for v in proto.graph.input if v.name not in initializers]


def check_signature(graph: CheckedGraph, role: str, item_shape: tuple | None, outputs: tuple[int, ...]) -> tuple:
    """Check the single float32 input of shape (batch, *item_shape) (``item_shape`` None: any fixed shape, taken
    from the graph) and the number of outputs (one of ``outputs``); returns the item shape."""
    name = graph.path.name
    inputs = graph_inputs(graph.proto)
    what = "items" if role == "encoder" else "codes"
    want = (f"float32 {what} of shape (batch, {', '.join(map(str, item_shape))})" if item_shape is not None
            else f"float32 {what}")
    if len(inputs) != 1:
        raise LatentLabError(f"{name}: the {role} has {len(inputs)} inputs ({', '.join(v.name for v in inputs)}), but "
                             f"LatentLab feeds one, {want}; export it with a single input.")
    value = inputs[0]
    elem, shape = value.type.tensor_type.elem_type, value_shape(value)
    if not value.type.HasField("tensor_type") or elem != FLOAT:
        raise LatentLabError(f"{name}: the {role}'s input '{value.name}' takes {dtype_name(elem)} tensors, but LatentLab "
                             f"feeds {want}; export it with a float32 input.")
    if item_shape is None:
        item_shape = tuple(shape[1:])
        if not shape or not all(isinstance(d, int) and d > 0 for d in item_shape):
            raise LatentLabError(f"{name}: the {role}'s input '{value.name}' has shape {shape_text(shape)}; LatentLab "
                                 "needs every dimension but the batch fixed; export it with a fixed item shape.")
    target = "the dataset's items" if role == "encoder" else "codes of that width"
    fits = len(shape) == 1 + len(item_shape) and all(not isinstance(d, int) or d == w for d, w in zip(shape[1:], item_shape))
    if not fits:
        raise LatentLabError(f"{name}: the {role}'s input '{value.name}' has shape {shape_text(shape)}, but LatentLab "
                             f"feeds {want}; export it for {target}.")
    for out in graph.proto.graph.output:
        if out.type.tensor_type.elem_type != FLOAT:
            raise LatentLabError(f"{name}: the {role}'s output '{out.name}' is {dtype_name(out.type.tensor_type.elem_type)}, "
                                 "but LatentLab reads float32 outputs; export it with float32 outputs.")
    n_out = len(graph.proto.graph.output)
    if n_out not in outputs:
        expected = " or ".join(map(str, outputs))
        meaning = " (the code, or the mean and the log-variance)" if role == "encoder" else " (the decoded items)"
        raise LatentLabError(f"{name}: the {role} has {n_out} outputs, but LatentLab reads {expected}{meaning}; "
                             "export it with those outputs only.")
    return tuple(int(d) for d in item_shape)
