import { AXIS, EMBED_DIM } from "../clip/concept-space.ts";
import { GraphBuilder } from "../onnx/graph-builder.ts";

/**
 * Hidden units read one look axis each, in both signs, so the ReLU layer yields |axis| and signed
 * parts; the output layer then rewards saturation, contrast and colourfulness and penalises
 * exposure far from mid-grey. [axis, weight of relu(x), weight of relu(−x)]: (1, −1) is linear in x,
 * (w, w) is w·|x|.
 */
const PREFERENCES: Array<[number, number, number]> = [
  [AXIS.saturation, 1.0, -1.0],
  [AXIS.contrast, 0.8, -0.8],
  [AXIS.brightness, -1.2, -1.2],
  [AXIS.a, 0.25, 0.25],
  [AXIS.b, 0.25, 0.25],
];
const BIAS = 0.3;

/**
 * LAION-aesthetic-predictor-shaped MLP over aria-clip image embeddings → score in (1, 10).
 * The embedding is first divided by its anchor component, which undoes the L2 normalisation and
 * recovers the measured look axes.
 */
export function buildAestheticModel(): Uint8Array {
  const g = new GraphBuilder("aria_aesthetic");
  const input = g.input("input", "float32", ["batch", EMBED_DIM]);
  const looks = g.div(input, g.op("Max", [g.slice(input, 1, AXIS.anchor, AXIS.anchor + 1), g.scalar(1e-6)]));
  const hiddenWeights = new Float32Array(EMBED_DIM * PREFERENCES.length * 2);
  const outputWeights = new Float32Array(PREFERENCES.length * 2);
  PREFERENCES.forEach(([axis, positive, negative], i) => {
    hiddenWeights[axis * PREFERENCES.length * 2 + 2 * i] = 1;
    hiddenWeights[axis * PREFERENCES.length * 2 + 2 * i + 1] = -1;
    outputWeights[2 * i] = positive;
    outputWeights[2 * i + 1] = negative;
  });
  const hidden = g.op("Relu", [
    g.op("MatMul", [looks, g.constant(hiddenWeights, [EMBED_DIM, PREFERENCES.length * 2])]),
  ]);
  const logit = g.add(
    g.op("MatMul", [hidden, g.constant(outputWeights, [PREFERENCES.length * 2, 1])]),
    g.scalar(BIAS),
  );
  g.op("Add", [g.mul(g.op("Sigmoid", [logit]), g.scalar(9)), g.scalar(1)], {}, "score");
  g.output("score", "float32", ["batch", 1]);
  return g.toBytes();
}
