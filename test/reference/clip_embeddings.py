"""The reference embeddings for a CLIP export: transformers' CLIPModel (torch, from the source folder)
and ONNX Runtime on the export, both fed by transformers' own CLIPTokenizer and CLIPImageProcessor
loaded from the export folder. Prints one JSON object: per prompt its text embedding, per image its
image embedding, from each."""

import argparse
import json

import onnxruntime as ort
import torch
from PIL import Image
from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizerFast

parser = argparse.ArgumentParser()
parser.add_argument("--source", required=True)
parser.add_argument("--export", required=True)
parser.add_argument("--inputs", required=True, help='JSON: {"prompts": [...], "images": [{"width", "height", "path"}]}')
args = parser.parse_args()

with open(args.inputs) as f:
    inputs = json.load(f)
# The tokenizers-backed CLIPTokenizer: transformers 5's only one, 4.x's "fast" one.
tokenizer = CLIPTokenizerFast.from_pretrained(args.export)
processor = CLIPImageProcessor.from_pretrained(args.export)
images = []
for image in inputs["images"]:
    with open(image["path"], "rb") as f:
        images.append(Image.frombytes("RGB", (image["width"], image["height"]), f.read()))
pixels = processor(images=images, return_tensors="np")["pixel_values"]
tokens = tokenizer(inputs["prompts"], padding="max_length", max_length=77, truncation=True, return_tensors="np")

model = CLIPModel.from_pretrained(args.source).eval()
with torch.no_grad():
    out = model(
        input_ids=torch.from_numpy(tokens["input_ids"]),
        attention_mask=torch.from_numpy(tokens["attention_mask"]),
        pixel_values=torch.from_numpy(pixels),
    )
session = ort.InferenceSession(f"{args.export}/model.onnx", providers=["CPUExecutionProvider"])
feeds = {"input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"], "pixel_values": pixels}
names = [o.name for o in session.get_outputs()]
onnx = dict(zip(names, session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})))

print(
    json.dumps(
        {
            "transformers": {"text": out.text_embeds.tolist(), "image": out.image_embeds.tolist()},
            "onnxruntime": {"text": onnx["text_embeds"].tolist(), "image": onnx["image_embeds"].tolist()},
        }
    )
)
