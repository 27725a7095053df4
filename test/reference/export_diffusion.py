"""Genuine Stable Diffusion-family ONNX exports without downloading weights: tiny randomly initialised
diffusers models built from configs shaped like each family's (fixed seed), saved as a diffusers
pipeline with the real CLIP tokenizer files it is given and the family's own scheduler config, then
exported by Optimum's own exporter, as a user exports a real checkpoint. Writes <out>/source (the
diffusers folder) and <out>/onnx (the export).

Families: sd15 (SD 1.5), sd2-v (SD 2.x 768-v, v-prediction), sd-turbo (SD 2.1 Turbo: trailing
spacing, few steps), sdxl (both text encoders, text_time conditioning), sdxl-refiner (SDXL's
image-to-image second stage: the second text encoder only, aesthetic-score time ids), sdxl-turbo,
lcm (an SD 1.5 Latent Consistency Model with guidance embedding). --fp16 converts the export to float16 with ONNX
Runtime's own float16 converter, inputs and outputs included, as Optimum's `--dtype fp16` export
(which needs a GPU to run) presents it."""

import argparse
import glob
import json
import os

import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    LatentConsistencyModelPipeline,
    LCMScheduler,
    PNDMScheduler,
    StableDiffusionPipeline,
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from optimum.exporters.onnx import main_export
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

parser = argparse.ArgumentParser()
parser.add_argument("--family", required=True)
parser.add_argument("--tokenizer", required=True, help="folder with SD 1.5-style tokenizer files")
parser.add_argument("--tokenizer-2", required=True, help="folder with SD 2-style tokenizer files (pad '!')")
parser.add_argument("--size", type=int, default=8, help="UNet sample_size (latent pixels)")
parser.add_argument("--fp16", action="store_true")
parser.add_argument("--out", required=True)
args = parser.parse_args()

torch.manual_seed(20261205)

# The scheduler configs the families ship (as in their Hugging Face repositories).
SD_SCHEDULE = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "steps_offset": 1,
    "clip_sample": False,
    "set_alpha_to_one": False,
    "trained_betas": None,
}


def scheduler(cls, **config):
    """The family's scheduler, whose scheduler_config.json is rewritten after saving with exactly
    these keys, as the family's repository has them (keys of other scheduler classes included)."""
    made = cls.from_config({**SD_SCHEDULE, **config})
    made.aria_config = {"_class_name": cls.__name__, **SD_SCHEDULE, **config}
    return made


def sd15_scheduler():
    return scheduler(PNDMScheduler, skip_prk_steps=True)


def text_encoder(projection: bool, hidden: int = 32, layers: int = 3, pad: int = 49407):
    config = CLIPTextConfig(
        vocab_size=49408,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        max_position_embeddings=77,
        bos_token_id=49406,
        eos_token_id=49407,
        pad_token_id=pad,
        projection_dim=hidden,
        hidden_act="gelu" if projection else "quick_gelu",
    )
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(config).eval()


def vae(scaling: float, force_upcast: bool):
    # Four blocks, as every SD VAE has: 8× spatial downsampling.
    model = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        block_out_channels=[32, 32, 32, 32],
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=32,
        sample_size=args.size * 8,
        scaling_factor=scaling,
        force_upcast=force_upcast,
    ).eval()
    return model


def unet(cross: int, **extra):
    """A tiny UNet of SD 1.x/2.x shape; `extra` overrides or adds config keys (SDXL's)."""
    config = dict(
        sample_size=args.size,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=cross,
        attention_head_dim=8,
        norm_num_groups=32,
    )
    return UNet2DConditionModel(**{**config, **extra}).eval()


def sd(sampler, *, tokenizer_dir=args.tokenizer, pad=49407, sd2=False, **unet_extra):
    extra = {"use_linear_projection": True} if sd2 else {}
    return StableDiffusionPipeline(
        vae=vae(0.18215, False),
        text_encoder=text_encoder(False, pad=pad),
        tokenizer=CLIPTokenizer.from_pretrained(tokenizer_dir),
        unet=unet(32, **extra, **unet_extra),
        scheduler=sampler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def sdxl_unet(cross: int, time_ids: int):
    # SDXL's UNet: cross-attention over the encoders' hidden states side by side, and the
    # "text_time" added conditioning of the pooled text embedding and the size/crop (or, in the
    # refiner, aesthetic-score) numbers.
    return unet(
        cross,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(4, 8),
        transformer_layers_per_block=(1, 2),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=time_ids * 8 + 32,
    )


def sdxl(sampler):
    return StableDiffusionXLPipeline(
        vae=vae(0.13025, True),
        text_encoder=text_encoder(False),
        text_encoder_2=text_encoder(True, pad=0),
        tokenizer=CLIPTokenizer.from_pretrained(args.tokenizer),
        tokenizer_2=CLIPTokenizer.from_pretrained(args.tokenizer_2),
        unet=sdxl_unet(64, 6),
        scheduler=sampler,
        force_zeros_for_empty_prompt=True,
    )


def sdxl_refiner(sampler):
    # As stabilityai/stable-diffusion-xl-refiner-1.0 is laid out: no first text encoder, the UNet
    # cross-attends to the second's hidden states alone and takes five time ids.
    return StableDiffusionXLImg2ImgPipeline(
        vae=vae(0.13025, True),
        text_encoder=None,
        text_encoder_2=text_encoder(True, pad=0),
        tokenizer=None,
        tokenizer_2=CLIPTokenizer.from_pretrained(args.tokenizer_2),
        unet=sdxl_unet(32, 5),
        scheduler=sampler,
        requires_aesthetics_score=True,
        force_zeros_for_empty_prompt=False,
    )


FAMILIES = {
    "sd15": lambda: sd(sd15_scheduler()),
    "sd2-v": lambda: sd(
        scheduler(DDIMScheduler, prediction_type="v_prediction"),
        tokenizer_dir=args.tokenizer_2,
        pad=0,
        sd2=True,
    ),
    "sd-turbo": lambda: sd(
        scheduler(EulerDiscreteScheduler, timestep_spacing="trailing"),
        tokenizer_dir=args.tokenizer_2,
        pad=0,
        sd2=True,
    ),
    "sdxl": lambda: sdxl(scheduler(EulerDiscreteScheduler, timestep_spacing="leading", interpolation_type="linear", use_karras_sigmas=False)),
    "sdxl-refiner": lambda: sdxl_refiner(scheduler(EulerDiscreteScheduler, timestep_spacing="leading", interpolation_type="linear", use_karras_sigmas=False)),
    "sdxl-turbo": lambda: sdxl(scheduler(EulerAncestralDiscreteScheduler, timestep_spacing="trailing")),
    "lcm": lambda: LatentConsistencyModelPipeline(
        vae=vae(0.18215, False),
        text_encoder=text_encoder(False),
        tokenizer=CLIPTokenizer.from_pretrained(args.tokenizer),
        unet=unet(32, time_cond_proj_dim=16),
        scheduler=scheduler(
            LCMScheduler,
            set_alpha_to_one=True,
            original_inference_steps=50,
            timestep_scaling=10.0,
            timestep_spacing="leading",
        ),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    ),
}

source = os.path.join(args.out, "source")
onnx_dir = os.path.join(args.out, "onnx")
pipeline = FAMILIES[args.family]()
# Random initialisation leaves a UNet's conditioning weak (its output barely depends on the prompt,
# timestep or SDXL's added inputs), so a pipeline feeding them wrongly would still match. Amplified,
# each input moves the image by far more than the tests' tolerance.
with torch.no_grad():
    for key, weight in pipeline.unet.named_parameters():
        if any(part in key for part in ("attn2.to_out", "time_embedding.linear_2", "add_embedding.linear_2", "cond_proj")):
            weight.mul_(8)
pipeline.save_pretrained(source)
with open(os.path.join(source, "scheduler", "scheduler_config.json"), "w") as f:
    json.dump(pipeline.scheduler.aria_config, f, indent=2)
main_export(
    source,
    output=onnx_dir,
    task="image-to-image" if args.family == "sdxl-refiner" else "text-to-image",
    device="cpu",
)

if args.fp16:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    for path in glob.glob(os.path.join(onnx_dir, "*", "model.onnx")):
        model = onnx.load(path)
        # keep_io_types=False: the graph takes and returns float16, as a GPU-made fp16 export does.
        onnx.save(convert_float_to_float16(model, keep_io_types=False), path)
