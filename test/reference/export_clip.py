"""A genuine Optimum CLIP export without downloading weights: a tiny randomly initialised CLIPModel built
from a config (fixed seed), saved with the CLIP tokenizer files it is given and an image processor with
non-default size, mean and std, then exported by Optimum's own exporter. Writes <out>/source (the
transformers folder) and <out>/onnx (the export, as a user would get it)."""

import argparse
import os

import torch
from optimum.exporters.onnx import main_export
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

parser = argparse.ArgumentParser()
parser.add_argument("--tokenizer", required=True, help="folder with the real CLIP vocab.json and merges.txt")
parser.add_argument("--out", required=True)
args = parser.parse_args()

source = os.path.join(args.out, "source")
torch.manual_seed(20261130)
config = CLIPConfig(
    text_config={
        "vocab_size": 49408,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 77,
    },
    vision_config={
        "image_size": 64,
        "patch_size": 16,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
    },
    projection_dim=24,
)
CLIPModel(config).eval().save_pretrained(source)
CLIPTokenizer.from_pretrained(args.tokenizer).save_pretrained(source)
CLIPImageProcessor(
    size={"shortest_edge": 64},
    crop_size={"height": 64, "width": 64},
    image_mean=[0.5, 0.45, 0.4],
    image_std=[0.22, 0.25, 0.28],
).save_pretrained(source)
main_export(source, output=os.path.join(args.out, "onnx"), task="zero-shot-image-classification", device="cpu")
