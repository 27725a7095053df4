"""The Python reference for Aria's generator: Optimum's ONNX Runtime pipelines (ORTStableDiffusionPipeline,
ORTStableDiffusionXLPipeline, ORTLatentConsistencyModelPipeline, chosen from model_index.json as
Optimum chooses) on the same export folder, started from the latents Aria drew and fed the same
per-step noise (ancestral and LCM samplers draw noise; it is read from Aria's stream instead of torch's
generator, so both sides sample the same path).

Input: a JSON file {"model": dir, "refiner"?: dir, "cases": [{prompt, negativePrompt?, scheduler, steps,
guidanceScale, width, height, switchAt?, latents: path, noise: path, image: path}], "repeats": n}. A
case with switchAt is diffusers' "ensemble of expert denoisers": the base runs with denoising_end and
returns latents, the refiner (ORTStableDiffusionXLImg2ImgPipeline) continues with denoising_start. latents is float32
[1, C, h/8, w/8] unscaled N(0, 1); noise holds the normal draws Aria makes after the latents, in order.
Writes each case's uint8 HWC RGB image to `image` and prints one JSON line: per case, the median time
per denoising step of the timed runs and how many noise values the pipeline consumed."""

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
import torch
from compel import Compel, ReturnedEmbeddingsType
from diffusers import DDIMScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler, LCMScheduler
from diffusers.schedulers import scheduling_euler_ancestral_discrete, scheduling_lcm
from optimum.onnxruntime import ORTDiffusionPipeline
from optimum.onnxruntime.modeling_diffusion import ORTVae

from aria_session_options import aria_session_options

SCHEDULERS = {
    "euler": EulerDiscreteScheduler,
    "euler-ancestral": EulerAncestralDiscreteScheduler,
    "ddim": DDIMScheduler,
    "lcm": LCMScheduler,
}

parser = argparse.ArgumentParser()
parser.add_argument("--input", required=True)
args = parser.parse_args()
with open(args.input) as f:
    job = json.load(f)


class NoiseStream:
    """Replaces diffusers' randn_tensor in the samplers: hands out Aria's draws, in order."""

    def __init__(self):
        self.values = np.zeros(0, dtype=np.float32)
        self.used = 0

    def load(self, path):
        self.values = np.fromfile(path, dtype=np.float32)
        self.used = 0

    def __call__(self, shape, generator=None, device=None, dtype=None, layout=None):
        n = int(np.prod(shape))
        if self.used + n > self.values.size:
            raise RuntimeError(f"the sampler wanted more noise than Aria drew ({self.used + n} > {self.values.size})")
        out = self.values[self.used : self.used + n].reshape(shape)
        self.used += n
        return torch.from_numpy(out.copy()).to(dtype or torch.float32)


noise = NoiseStream()
scheduling_euler_ancestral_discrete.randn_tensor = noise
scheduling_lcm.randn_tensor = noise

options = aria_session_options()
pipe = ORTDiffusionPipeline.from_pretrained(job["model"], session_options=options, provider="CPUExecutionProvider")
pipe.set_progress_bar_config(disable=True)
base_config = pipe.scheduler.config


def upcast(part, name, parent):
    """diffusers' `vae.to(torch.float32)` for a half VAE marked force_upcast, which Optimum's ORT
    parts cannot do themselves (their `.to(dtype)` is a no-op): the same graph with its half weights
    widened, half types and casts made float, written beside a copy of its config."""
    model = onnx.load(part.session._model_path)
    for tensor in list(model.graph.initializer):
        if tensor.data_type == onnx.TensorProto.FLOAT16:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float32), tensor.name))
    for info in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        if info.type.tensor_type.elem_type == onnx.TensorProto.FLOAT16:
            info.type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t") and attribute.t.data_type == onnx.TensorProto.FLOAT16:
                attribute.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(attribute.t).astype(np.float32)))
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == onnx.TensorProto.FLOAT16:
                attribute.i = onnx.TensorProto.FLOAT
    folder = tempfile.mkdtemp(prefix=f"aria-upcast-{name}-")
    shutil.copy(Path(part.session._model_path).parent / "config.json", folder)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    return type(part)(ort.InferenceSession(os.path.join(folder, "model.onnx"), options), parent=parent)


def upcast_vae(target):
    if target.vae_decoder.dtype == torch.float16 and target.vae_decoder.config.get("force_upcast", True):
        decoder = upcast(target.vae_decoder, "vae_decoder", target)
        encoder = upcast(target.vae_encoder, "vae_encoder", target) if target.vae_encoder is not None else None
        target.vae_decoder, target.vae_encoder = decoder, encoder
        target.vae = ORTVae(encoder=encoder, decoder=decoder)


upcast_vae(pipe)
refiner = None
if job.get("refiner"):
    refiner = ORTDiffusionPipeline.from_pretrained(
        job["refiner"], session_options=options, provider="CPUExecutionProvider"
    )
    refiner.set_progress_bar_config(disable=True)
    upcast_vae(refiner)
    refiner_config = refiner.scheduler.config

def chunked(prompt, negative):
    """Long prompts chunked and concatenated by compel (truncate_long_prompts=False), the library
    diffusers' documentation points SD users to, then handed to the pipeline as embeddings."""
    xl = getattr(pipe, "text_encoder_2", None) is not None
    compel = Compel(
        tokenizer=[pipe.tokenizer, pipe.tokenizer_2] if xl else pipe.tokenizer,
        text_encoder=[pipe.text_encoder, pipe.text_encoder_2] if xl else pipe.text_encoder,
        truncate_long_prompts=False,
        **(
            {
                "returned_embeddings_type": ReturnedEmbeddingsType.PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED,
                "requires_pooled": [False, True],
            }
            if xl
            else {}
        ),
    )
    if xl:
        cond, pooled = compel(prompt)
        if negative is None:
            # The pipeline zeroes the negative side itself (force_zeros_for_empty_prompt).
            return {"prompt_embeds": cond, "pooled_prompt_embeds": pooled}
        neg, neg_pooled = compel(negative)
        cond, neg = compel.pad_conditioning_tensors_to_same_length([cond, neg])
        return {
            "prompt_embeds": cond,
            "pooled_prompt_embeds": pooled,
            "negative_prompt_embeds": neg,
            "negative_pooled_prompt_embeds": neg_pooled,
        }
    cond = compel(prompt)
    neg = compel(negative or "")
    cond, neg = compel.pad_conditioning_tensors_to_same_length([cond, neg])
    return {"prompt_embeds": cond, "negative_prompt_embeds": neg}


results = []
for case in job["cases"]:
    pipe.scheduler = SCHEDULERS[case["scheduler"]].from_config(base_config)
    channels = pipe.unet.config.in_channels
    scale = pipe.vae_scale_factor
    shape = (1, channels, case["height"] // scale, case["width"] // scale)
    latents = np.fromfile(case["latents"], dtype=np.float32).reshape(shape)
    per_step = []
    image = None
    for run in range(job.get("repeats", 0) + 1):
        noise.load(case["noise"])
        stamps = []

        def on_step(pipeline, step, timestep, kwargs):
            stamps.append(time.perf_counter())
            return kwargs

        call = {
            "prompt": case["prompt"],
            "num_inference_steps": case["steps"],
            "guidance_scale": case["guidanceScale"],
            "height": case["height"],
            "width": case["width"],
            "latents": torch.from_numpy(latents.copy()),
            "output_type": "np",
            "callback_on_step_end": on_step,
        }
        if case.get("longPrompt") == "Chunk":
            call.update(chunked(case["prompt"], case.get("negativePrompt")))
            del call["prompt"]
        elif case.get("negativePrompt") is not None:
            call["negative_prompt"] = case["negativePrompt"]
        started = time.perf_counter()
        if case.get("switchAt") is not None:
            call.update(denoising_end=case["switchAt"], output_type="latent")
            base_latents = pipe(**call).images
            refiner.scheduler = SCHEDULERS[case["scheduler"]].from_config(refiner_config)
            second = {key: call[key] for key in ("num_inference_steps", "guidance_scale", "callback_on_step_end")}
            second.update(prompt=case["prompt"], image=base_latents, denoising_start=case["switchAt"], output_type="np")
            if case.get("negativePrompt") is not None:
                second["negative_prompt"] = case["negativePrompt"]
            image = refiner(**second).images[0]
        else:
            image = pipe(**call).images[0]
        # Steps 2 … n (the first carries the loop's warm-up); one step's time when there is only one.
        if run > 0 or job.get("repeats", 0) == 0:
            if len(stamps) > 1:
                per_step.append((stamps[-1] - stamps[0]) / (len(stamps) - 1) * 1000)
            else:
                per_step.append((stamps[0] - started) * 1000)
    np.round(image * 255).astype(np.uint8).tofile(case["image"])
    results.append({"perStepMs": per_step, "noiseUsed": noise.used})

print(json.dumps({"pipeline": type(pipe).__name__, "cases": results}))
