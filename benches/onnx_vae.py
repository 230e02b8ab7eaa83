"""The baseline's reconstruction (encoder -> z_mean -> decoder -> sigmoid) as an ONNX graph, for
benches/ort-web.mjs: ONNX Runtime Web runs it beside the page.

The layers of benches/pytorch_vae.py's baseline (the Keras example's: Conv 32 / Conv 64, 3x3
stride 2, ReLU -> Dense 16 -> z_mean; Dense 7*7*64 -> ConvT 64 -> ConvT 32, stride 2 -> ConvT 1,
sigmoid), written with the `onnx` package alone (no torch): plain opset-17 operators, f32
weights drawn at random (the time does not depend on them; a model ORT Web is given is f32).

    pip install onnx numpy
    python3 benches/onnx_vae.py target/ort/vae.onnx
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    weights = []
    nodes = []

    def param(name, shape, fan_in):
        bound = 1.0 / np.sqrt(fan_in)
        weights.append(numpy_helper.from_array(rng.uniform(-bound, bound, shape).astype(np.float32), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    x = "image"
    # Encoder: PyTorch's symmetric padding 1 (TensorFlow pads after; the multiply-adds are the same).
    for k, (c_in, c_out) in enumerate([(1, 32), (32, 64)]):
        w = param(f"conv{k}.weight", (c_out, c_in, 3, 3), 9 * c_in)
        b = param(f"conv{k}.bias", (c_out,), 9 * c_in)
        x = node("Relu", [node("Conv", [x, w, b], f"conv{k}", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])], f"relu{k}")
    x = node("Flatten", [x], "flatten", axis=1)
    h = node("Relu", [node("Gemm", [x, param("dense.weight", (16, 3136), 3136), param("dense.bias", (16,), 3136)], "dense", transB=1)], "hidden")
    z = node("Gemm", [h, param("mean.weight", (2, 16), 16), param("mean.bias", (2,), 16)], "z_mean", transB=1)
    # Decoder.
    y = node("Relu", [node("Gemm", [z, param("up.weight", (3136, 2), 2), param("up.bias", (3136,), 2)], "up", transB=1)], "up_relu")
    weights.append(numpy_helper.from_array(np.array([-1, 64, 7, 7], dtype=np.int64), "start_shape"))
    y = node("Reshape", [y, "start_shape"], "start")
    for k, (c_in, c_out) in enumerate([(64, 64), (64, 32)]):
        w = param(f"deconv{k}.weight", (c_in, c_out, 3, 3), 9 * c_out)
        b = param(f"deconv{k}.bias", (c_out,), 9 * c_out)
        y = node("Relu", [node("ConvTranspose", [y, w, b], f"deconv{k}", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])], f"deconv{k}_relu")
    y = node("ConvTranspose", [y, param("out.weight", (32, 1, 3, 3), 9), param("out.bias", (1,), 9)], "out", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    nodes.append(helper.make_node("Sigmoid", [y], ["reconstruction"], name="sigmoid"))
    graph = helper.make_graph(
        nodes,
        "vae_baseline_reconstruction",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 28, 28])],
        [helper.make_tensor_value_info("reconstruction", TensorProto.FLOAT, [1, 1, 28, 28])],
        weights,
    )
    # IR version 8 (the opset's own): ONNX Runtime Web refuses files newer than it knows.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 benches/onnx_vae.py OUT.onnx")
    path = sys.argv[1]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    onnx.save(build(), path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
