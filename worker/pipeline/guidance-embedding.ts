const f32 = Math.fround;

/**
 * The guidance-scale embedding a guidance-distilled UNet (LCM) takes as `timestep_cond`: diffusers'
 * get_guidance_scale_embedding(w = guidance − 1), sinusoids of 1000·w, in float32 as torch computes it.
 * One row per batch item, all alike.
 */
export function guidanceEmbedding(guidanceScale: number, dim: number, batch: number): Float32Array {
  const w = f32(f32(f32(guidanceScale) - 1) * 1000);
  const half = Math.floor(dim / 2);
  const rate = f32(f32(Math.log(10000)) / (half - 1));
  const row = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const angle = f32(w * f32(Math.exp(f32(i * -rate))));
    row[i] = Math.sin(angle);
    row[half + i] = Math.cos(angle);
  }
  const out = new Float32Array(dim * batch);
  for (let b = 0; b < batch; b++) out.set(row, b * dim);
  return out;
}
