"""Attention fusion for exported encoders: each eager self-attention block (the Q, K and V projections'
bias Adds -> Reshape/Transpose per head -> Q.K^T -> scale -> Softmax -> .V -> Transpose/Reshape back) becomes
one com.microsoft MultiHeadAttention node, which ONNX Runtime runs with its fused CPU kernel.

Why: in the MERT-v1-95M-sized encoder ONNX Runtime spent ~10 % of a segment outside the matrix products of
attention (Softmax over 12 x 749 x 749 scores per layer, the per-head Transposes, the three bias Adds), and its
own graph optimiser does not fuse this pattern (nor does onnxruntime.transformers' BERT fusion: the scale comes
after Q.K^T). The fused node computes the same function (to float rounding): softmax(scale * Q K^T) V per head
with the Q/K/V biases added first.

The match is strict: any block that differs (a mask, another permutation, a consumer of an intermediate
outside the block, a bias that is not a constant vector) is left as it is."""

import numpy as np
import onnx
from onnx import helper, numpy_helper

MS_DOMAIN = "com.microsoft"


class _Graph:
    def __init__(self, model):
        g = model.graph
        self.g = g
        self.producer = {o: n for n in g.node for o in n.output}
        self.consumers = {}
        for n in g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.inits = {t.name: t for t in g.initializer}
        self.outputs = {o.name for o in g.output}

    def op(self, name, op_type):
        n = self.producer.get(name)
        return n if n is not None and n.op_type == op_type else None

    def sole(self, name, op_type):
        """The only consumer of `name` when it is an `op_type` node (and `name` is no graph output)."""
        c = self.consumers.get(name, [])
        return c[0] if len(c) == 1 and c[0].op_type == op_type and name not in self.outputs else None

    def const(self, name):
        """The value of a constant (initializer, Constant node, through Identity nodes), or None."""
        while True:
            if name in self.inits:
                return numpy_helper.to_array(self.inits[name])
            n = self.producer.get(name)
            if n is None:
                return None
            if n.op_type == "Identity":
                name = n.input[0]
            elif n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
                return numpy_helper.to_array(n.attribute[0].t)
            else:
                return None


def _perm(node):
    for a in node.attribute:
        if a.name == "perm":
            return list(a.ints)
    return None


def _biased(gr, name):
    """(MatMul output, bias vector) of `name` = Add(bias, MatMul(..)) in either order, else None."""
    add = gr.op(name, "Add")
    if add is None:
        return None
    for x, b in ((add.input[1], add.input[0]), (add.input[0], add.input[1])):
        bias = gr.const(b)
        if gr.op(x, "MatMul") is not None and bias is not None and bias.ndim == 1:
            return add, x, bias.astype(np.float32)
    return None


def _head(gr, t, perm):
    """Transpose(Reshape(Add(bias, MatMul)), perm) with the reshape to [.., .., heads|-1, head_dim]."""
    if t is None or _perm(t) != perm:
        return None
    r = gr.op(t.input[0], "Reshape")
    if r is None or gr.sole(r.output[0], "Transpose") is not t:
        return None
    b = _biased(gr, r.input[0])
    if b is None or gr.sole(b[0].output[0], "Reshape") is not r:
        return None
    return (t, r, *b)


def _target(gr, reshape):
    """(rank, last dimension) a Reshape asks for: from a constant shape, or from a Concat of one-element
    pieces whose last is a constant (the exporter's [batch, frames, .., head_dim]); None when unknown."""
    shape = gr.const(reshape.input[1])
    if shape is not None:
        return shape.size, int(shape.reshape(-1)[-1])
    cat = gr.op(reshape.input[1], "Concat")
    if cat is None:
        return None
    last = gr.const(cat.input[-1])
    if last is None or last.size != 1:
        return None
    return len(cat.input), int(last.reshape(-1)[0])


def _head_dim(gr, reshape):
    """The head size a per-head Reshape ([batch, frames, heads, head_dim]) asks for, else None."""
    t = _target(gr, reshape)
    return t[1] if t is not None and t[0] == 4 else None


def _softmax_last_axis(node):
    axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
    return axis in (-1, 3)


def _match(gr, softmax):
    """The nodes of one attention block around `softmax`, and what the fused node needs; None if it differs."""
    scaled = gr.op(softmax.input[0], "Mul")
    if scaled is None or gr.sole(scaled.output[0], "Softmax") is not softmax:
        return None
    scale = gr.const(scaled.input[1])
    qk = gr.op(scaled.input[0], "MatMul")
    if scale is None or scale.size != 1 or qk is None or gr.sole(qk.output[0], "Mul") is not scaled:
        return None
    av = gr.sole(softmax.output[0], "MatMul")
    if av is None or av.input[0] != softmax.output[0]:
        return None
    q = _head(gr, gr.op(qk.input[0], "Transpose"), [0, 2, 1, 3])
    k = _head(gr, gr.op(qk.input[1], "Transpose"), [0, 2, 3, 1])
    v = _head(gr, gr.op(av.input[1], "Transpose"), [0, 2, 1, 3])
    back = gr.sole(av.output[0], "Transpose")
    if q is None or k is None or v is None or back is None or _perm(back) != [0, 2, 1, 3]:
        return None
    merge = gr.sole(back.output[0], "Reshape")
    if merge is None or not _softmax_last_axis(softmax):
        return None
    dims = {_head_dim(gr, h[1]) for h in (q, k, v)}
    sizes = {h[4].shape[0] for h in (q, k, v)}
    if len(dims) != 1 or len(sizes) != 1 or None in dims:
        return None
    head_dim, hidden = dims.pop(), sizes.pop()
    if head_dim <= 0 or hidden % head_dim or _target(gr, merge) not in ((3, -1), (3, hidden)):
        return None  # the block's output must be [batch, frames, hidden], as the fused node's
    nodes = [scaled, qk, softmax, av, back, merge] + [n for h in (q, k, v) for n in h[:3]]
    return {
        "nodes": nodes,
        "inputs": [q[3], k[3], v[3]],
        "bias": np.concatenate([q[4], k[4], v[4]]),
        "output": merge.output[0],
        "anchor": merge,
        "heads": hidden // head_dim,
        "scale": float(scale.reshape(-1)[0]),
        "name": softmax.name,
    }


def _prune(model):
    """Drops nodes and initializers nothing uses any more (the fused blocks' shape arithmetic and constants)."""
    g = model.graph
    needed = {o.name for o in g.output}
    keep = []
    for n in reversed(list(g.node)):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(i for i in n.input if i)
    keep.reverse()
    del g.node[:]
    g.node.extend(keep)
    inits = [t for t in g.initializer if t.name in needed]
    del g.initializer[:]
    g.initializer.extend(inits)


def fuse_attention(model):
    """Rewrites `model` (an onnx.ModelProto) in place; returns how many attention blocks were fused."""
    gr = _Graph(model)
    fused = {}
    for sm in [n for n in model.graph.node if n.op_type == "Softmax"]:
        m = _match(gr, sm)
        if m is None or any(id(n) in fused for n in m["nodes"]):
            continue
        base = m["name"].rsplit("/", 1)[0] if "/" in m["name"] else m["name"]
        bias_name = f"{base}/qkv_bias"
        model.graph.initializer.append(numpy_helper.from_array(m["bias"].astype(np.float32), bias_name))
        node = helper.make_node(
            "MultiHeadAttention", [*m["inputs"], bias_name], [m["output"]], name=f"{base}/MultiHeadAttention",
            domain=MS_DOMAIN, num_heads=m["heads"], scale=m["scale"],
        )
        for n in m["nodes"]:
            fused[id(n)] = None
        fused[id(m["anchor"])] = node  # in the merging Reshape's place: after everything the block reads
    if not any(v is not None for v in fused.values()):
        return 0
    nodes = []
    for n in model.graph.node:
        if id(n) not in fused:
            nodes.append(n)
        elif fused[id(n)] is not None:
            nodes.append(fused[id(n)])
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    if not any(o.domain == MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    _prune(model)
    return sum(1 for v in fused.values() if v is not None)


def fuse_attention_file(path):
    """fuse_attention on an ONNX file, rewritten in place when anything was fused; returns the count."""
    model = onnx.load(str(path))
    count = fuse_attention(model)
    if count:
        onnx.save(model, str(path))
    return count
