"""The Python reference for bench/reference-pipeline.ts: diffusers' OnnxStableDiffusionPipeline on the
same ONNX files, started from the latents the TypeScript side wrote, with the model's own Euler
scheduler config. Prints one JSON line: per-step times of each timed run and where the image went."""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from diffusers import EulerDiscreteScheduler, OnnxRuntimeModel, OnnxStableDiffusionPipeline
from transformers import CLIPTokenizer

# One definition of Aria's session settings, shared with the conformance reference.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "reference"))
from aria_session_options import aria_session_options  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--latents", required=True, help="float32 [1, 4, h/8, w/8], unscaled N(0, 1)")
parser.add_argument("--image", required=True, help="where to write the uint8 HWC RGB result")
parser.add_argument("--prompt", required=True)
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--guidance", type=float, required=True)
parser.add_argument("--width", type=int, required=True)
parser.add_argument("--height", type=int, required=True)
parser.add_argument("--repeats", type=int, required=True)
args = parser.parse_args()


class EulerForOnnxPipeline(EulerDiscreteScheduler):
    """EulerDiscreteScheduler whose init_noise_sigma is a float: in diffusers 0.42 it is a torch scalar,
    which the (deprecated) ONNX pipeline multiplies with its numpy latents and fails (TypeError)."""

    @property
    def init_noise_sigma(self):
        return float(super().init_noise_sigma)


def session(sub: str) -> OnnxRuntimeModel:
    return OnnxRuntimeModel(
        ort.InferenceSession(f"{args.model}/{sub}/model.onnx", aria_session_options(), providers=["CPUExecutionProvider"])
    )


pipe = OnnxStableDiffusionPipeline(
    vae_encoder=None,
    vae_decoder=session("vae_decoder"),
    text_encoder=session("text_encoder"),
    tokenizer=CLIPTokenizer.from_pretrained(f"{args.model}/tokenizer"),
    unet=session("unet"),
    scheduler=EulerForOnnxPipeline.from_pretrained(args.model, subfolder="scheduler"),
    safety_checker=None,
    feature_extractor=None,
    requires_safety_checker=False,
)
pipe.set_progress_bar_config(disable=True)
latents = np.fromfile(args.latents, dtype=np.float32).reshape(1, 4, args.height // 8, args.width // 8)

per_step_ms = []
image = None
for run in range(args.repeats + 1):
    stamps = []
    out = pipe(
        args.prompt,
        height=args.height,
        width=args.width,
        num_inference_steps=args.steps,
        guidance_scale=args.guidance,
        latents=latents.copy(),
        output_type="np",
        callback=lambda step, t, lat: stamps.append(time.perf_counter()),
        callback_steps=1,
    )
    image = out.images[0]
    # Steps 2 … n−1 (the first is warm-up of the loop, the last is followed by the VAE decode).
    if run > 0:
        per_step_ms.append((stamps[-2] - stamps[0]) / (len(stamps) - 2) * 1000)

(np.round(image * 255).astype(np.uint8)).tofile(args.image)
print(json.dumps({"perStepMs": per_step_ms}))
