import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeTokenizerFiles } from "../../models/tokenizer-files.ts";

/** The two tokenizer-folder styles real Stable Diffusion exports ship. */
export type SdTokenizerStyle = "sd15" | "sd2";

const token = (content: string) => ({
  content,
  lstrip: false,
  normalized: true,
  rstrip: false,
  single_word: false,
});

/**
 * Writes the real CLIP vocabulary and merges with the special-token files as SD 1.5's `tokenizer/`
 * (pads with <|endoftext|>) or SD 2.x's (pads with "!", id 0) has them: the same keys and values,
 * including the `normalized: true` their AddedToken objects carry.
 */
export async function writeSdTokenizer(dir: string, style: SdTokenizerStyle): Promise<void> {
  await writeTokenizerFiles(dir);
  const pad = style === "sd15" ? "<|endoftext|>" : "!";
  const special = {
    bos_token: token("<|startoftext|>"),
    eos_token: token("<|endoftext|>"),
    pad_token: pad,
    unk_token: token("<|endoftext|>"),
  };
  const config = {
    add_prefix_space: false,
    bos_token: { __type: "AddedToken", ...token("<|startoftext|>") },
    do_lower_case: true,
    eos_token: { __type: "AddedToken", ...token("<|endoftext|>") },
    errors: "replace",
    model_max_length: 77,
    name_or_path: style === "sd15" ? "openai/clip-vit-large-patch14" : "stabilityai/stable-diffusion-2",
    pad_token: pad,
    special_tokens_map_file: "./special_tokens_map.json",
    tokenizer_class: "CLIPTokenizer",
    unk_token: { __type: "AddedToken", ...token("<|endoftext|>") },
  };
  await writeFile(join(dir, "special_tokens_map.json"), `${JSON.stringify(special, null, 2)}\n`);
  await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(config, null, 2)}\n`);
}
