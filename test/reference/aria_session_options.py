"""ONNX Runtime session options equal to Aria's SessionFactory, so that a comparison with a Python
reference is of the pipelines, not of ORT's settings. Pool threads that do not spin between runs are
Aria's setting (a worker leaves the CPU to libvips and its event loop); ORT's default spins, which
alone makes tiny runs faster."""

import os

import onnxruntime as ort


def aria_session_options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_mem_pattern = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options
