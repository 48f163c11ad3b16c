"""Writes a one-node MatMul ONNX model, the yardstick bench:analyze divides the encoder's GFLOP/s by.

Usage: python3 bench/make-matmul-onnx.py OUT.onnx M K N
"""
import sys

import onnx
from onnx import TensorProto, helper

out, m, k, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])
b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n])
c = helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])
graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul", [a, b], [c])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, out)
