import { conceptTokens } from "../concept-tokens.ts";
import { GraphBuilder } from "../onnx/graph-builder.ts";
import { painterEmbeddingTable, TEXT_DIM } from "./text-features.ts";
import { CLIP_CONTEXT_LENGTH } from "../../lib/tokenizer/clip-tokenizer.ts";

/**
 * CLIP-text-encoder-shaped model: token ids → per-token concept features. Two lookups (token → concept
 * row, row → features) keep it to a few hundred KB instead of a 49,408 × D table. Tokens after the
 * first end token are zeroed, so exports that pad with 0 ("!") or the end id behave the same.
 */
export function buildTextEncoder(endId: number): Uint8Array {
  const g = new GraphBuilder("aria_text_encoder");
  const ids = g.input("input_ids", "int32", ["batch", CLIP_CONTEXT_LENGTH]);
  const ids64 = g.op("Cast", [ids], { to: 7 });
  const { table } = conceptTokens();
  const embeddings = painterEmbeddingTable();
  const rowIndex = g.op("Gather", [g.constant(table, [table.length], "int32"), ids64]);
  const features = g.op("Gather", [
    g.constant(embeddings, [embeddings.length / TEXT_DIM, TEXT_DIM]),
    rowIndex,
  ]);
  const isEnd = g.op("Cast", [g.op("Equal", [ids64, g.scalar(endId, "int64")])], { to: 1 });
  const endsSeen = g.op("CumSum", [isEnd, g.scalar(1, "int64")]);
  const beforeEnd = g.op("Cast", [g.op("Less", [endsSeen, g.scalar(0.5)])], { to: 1 });
  g.op("Mul", [features, g.unsqueeze(beforeEnd, [2])], {}, "last_hidden_state");
  g.op("ReduceSum", ["last_hidden_state", g.constant([1], [1], "int64")], { keepdims: 0 }, "pooler_output");
  g.output("last_hidden_state", "float32", ["batch", CLIP_CONTEXT_LENGTH, TEXT_DIM]);
  g.output("pooler_output", "float32", ["batch", TEXT_DIM]);
  return g.toBytes();
}
