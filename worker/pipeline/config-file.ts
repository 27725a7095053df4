import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { RenderError } from "./render-error.ts";

/**
 * One JSON config of a model folder (model_index.json, unet/config.json, …), read so that every
 * refusal names the model, the file and the key: "sdxl: unet/config.json: addition_embed_type
 * "image" is not supported (supported: text_time, null)".
 */
export class ConfigFile {
  private constructor(
    private readonly model: string,
    /** Path relative to the model folder, as the user sees it in their export. */
    readonly file: string,
    readonly values: Record<string, unknown>,
    readonly present: boolean,
  ) {}

  /** Reads `dir/file`; a missing optional file reads as empty, a missing required one is refused. */
  static async read(model: string, dir: string, file: string, required: boolean): Promise<ConfigFile> {
    let text: string;
    try {
      text = await readFile(join(dir, file), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (required) throw new RenderError("UnsupportedModel", `${model}: ${file} is missing in ${dir}`);
      return new ConfigFile(model, file, {}, false);
    }
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch (error) {
      throw new RenderError(
        "UnsupportedModel",
        `${model}: ${file} is not valid JSON: ${(error as Error).message}`,
      );
    }
    if (!values || typeof values !== "object" || Array.isArray(values)) {
      throw new RenderError("UnsupportedModel", `${model}: ${file} must hold a JSON object`);
    }
    return new ConfigFile(model, file, values as Record<string, unknown>, true);
  }

  /** A config that was not read from disk (the scheduler config a caller already has). */
  static of(model: string, file: string, values: Record<string, unknown>): ConfigFile {
    return new ConfigFile(model, file, values, true);
  }

  has(key: string): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  refuse(key: string, allowed: string): never {
    throw new RenderError(
      "UnsupportedModel",
      `${this.model}: ${this.file}: ${key} ${JSON.stringify(this.values[key])} is not supported (supported: ${allowed})`,
    );
  }

  number(
    key: string,
    fallback: number,
    check: (v: number) => boolean = Number.isFinite,
    allowed = "a number",
  ): number {
    const v = this.values[key];
    if (v === undefined || v === null) return fallback;
    return typeof v === "number" && check(v) ? v : this.refuse(key, allowed);
  }

  optionalNumber(
    key: string,
    check: (v: number) => boolean = Number.isFinite,
    allowed = "a number",
  ): number | undefined {
    return this.has(key) ? this.number(key, 0, check, allowed) : undefined;
  }

  integer(key: string, fallback: number, min = 1): number {
    return this.number(key, fallback, (v) => Number.isInteger(v) && v >= min, `an integer ≥ ${min}`);
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.values[key];
    if (v === undefined || v === null) return fallback;
    return typeof v === "boolean" ? v : this.refuse(key, "true or false");
  }

  numbers(key: string, length: number): number[] | undefined {
    const v = this.values[key];
    if (v === undefined || v === null) return undefined;
    return Array.isArray(v) &&
      v.length === length &&
      v.every((x) => typeof x === "number" && Number.isFinite(x))
      ? (v as number[])
      : this.refuse(key, `a list of ${length} numbers`);
  }

  /** A key the pipeline does not implement is accepted only at the values that mean "off". */
  only(key: string, ...neutral: unknown[]): void {
    const v = this.values[key];
    if (v === undefined || v === null) return;
    if (!neutral.some((n) => n === v))
      this.refuse(key, neutral.map((n) => JSON.stringify(n)).join(", ") || "none");
  }
}
