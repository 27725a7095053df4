"""Reference values for the scheduler unit tests.

A line-by-line numpy transcription of diffusers 0.42.1 (EulerDiscreteScheduler,
EulerAncestralDiscreteScheduler, DDIMScheduler, LCMScheduler): torch could not be installed
where the tests were written, so torch's float32 tensor arithmetic is reproduced with numpy
float32 (torch.linspace fills half from each end; CPU cumprod accumulates in double).
Run: python3 -m venv /tmp/v && /tmp/v/bin/pip install numpy && /tmp/v/bin/python reference-values.py
"""
import json
import numpy as np

f32 = np.float32
SD15 = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
            steps_offset=1, set_alpha_to_one=False, clip_sample=False)


def torch_linspace_f32(start, end, steps):
    start, end = f32(start), f32(end)
    step = f32((end - start) / f32(steps - 1))
    half = steps // 2
    return np.array([f32(start + step * f32(i)) if i < half else f32(end - step * f32(steps - i - 1))
                     for i in range(steps)], dtype=f32)


def alphas_cumprod(c):
    n = c["num_train_timesteps"]
    if c["beta_schedule"] == "scaled_linear":
        betas = torch_linspace_f32(c["beta_start"] ** 0.5, c["beta_end"] ** 0.5, n) ** 2
    else:
        betas = torch_linspace_f32(c["beta_start"], c["beta_end"], n)
    alphas = (f32(1.0) - betas).astype(f32)
    return np.cumprod(alphas.astype(np.float64)).astype(f32)


def spaced(c, steps, spacing, integer):
    n = c["num_train_timesteps"]
    if spacing == "linspace":
        t = np.linspace(0, n - 1, steps, dtype=None if integer else np.float32)
        t = t.round()[::-1].astype(np.int64) if integer else t[::-1].copy()
    elif spacing == "leading":
        ratio = n // steps
        t = (np.arange(0, steps) * ratio).round()[::-1].copy().astype(np.int64 if integer else np.float32)
        t += c.get("steps_offset", 0)
    else:
        ratio = n / steps
        t = np.round(np.arange(n, 0, -ratio)).astype(np.int64 if integer else np.float32)
        t -= 1
    return t


def euler_schedule(c, steps, spacing):
    ac = alphas_cumprod(c)
    t = spaced(c, steps, spacing, False)
    s = (((f32(1) - ac) / ac) ** f32(0.5)).astype(f32)
    sig = np.concatenate([np.interp(t, np.arange(0, len(s)), s), [0.0]]).astype(f32)
    m = sig.max()
    init = m if spacing in ("linspace", "trailing") else f32((m ** 2 + 1) ** 0.5)
    return t, sig, init


def ddim_timesteps(c, steps, spacing):
    return spaced(c, steps, spacing, True)


def lcm_timesteps(n, original, steps):
    k = n // original
    origin = (np.asarray(list(range(1, original + 1))) * k - 1)[::-1].copy()
    idx = np.floor(np.linspace(0, len(origin), num=steps, endpoint=False)).astype(np.int64)
    return origin[idx]


sample = np.array([np.sin(i + 1) * 2 for i in range(8)], dtype=f32)
model_out = np.array([np.cos(0.7 * i) * 0.5 for i in range(8)], dtype=f32)
noise = np.array([0.3 * (i - 3.5) for i in range(8)], dtype=f32)


def euler_step(sig, i, ancestral, prediction="epsilon"):
    sigma = sig[i]
    if prediction == "epsilon":
        x0 = sample - sigma * model_out
    else:
        x0 = model_out * (-sigma / (sigma ** 2 + 1) ** f32(0.5)) + (sample / (sigma ** 2 + 1))
    deriv = (sample - x0) / sigma
    if not ancestral:
        return sample + deriv * (sig[i + 1] - sigma), x0
    s_from, s_to = sig[i], sig[i + 1]
    up = (s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2) ** f32(0.5)
    down = (s_to ** 2 - up ** 2) ** f32(0.5)
    return sample + deriv * (down - sigma) + noise * up, x0


def ddim_step(c, ts, i, steps):
    ac = alphas_cumprod(c)
    final = f32(1.0) if c.get("set_alpha_to_one", True) else ac[0]
    t = ts[i]
    prev = t - c["num_train_timesteps"] // steps
    a = ac[t]
    ap = ac[prev] if prev >= 0 else final
    b = f32(1) - a
    x0 = (sample - b ** f32(0.5) * model_out) / a ** f32(0.5)
    return ap ** f32(0.5) * x0 + (f32(1) - ap) ** f32(0.5) * model_out, x0


def lcm_step(c, ts, i):
    ac = alphas_cumprod(c)
    t = ts[i]
    prev = ts[i + 1] if i + 1 < len(ts) else t
    a, ap = ac[t], ac[prev]
    sc = t * 10.0
    c_skip = 0.5 ** 2 / (sc ** 2 + 0.5 ** 2)
    c_out = sc / (sc ** 2 + 0.5 ** 2) ** 0.5
    x0 = (sample - np.sqrt(f32(1) - a) * model_out) / np.sqrt(a)
    den = (c_out * x0 + c_skip * sample).astype(f32)
    if i != len(ts) - 1:
        return np.sqrt(ap) * den + np.sqrt(f32(1) - ap) * noise, den
    return den, den


def out(name, value):
    print(f"{name}: {json.dumps([float(v) for v in np.asarray(value).ravel()])}")


lcm_cfg = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
               set_alpha_to_one=True)
for steps in (20, 4):
    t, s, init = euler_schedule(SD15, steps, "linspace")
    out(f"euler linspace {steps} timesteps", t); out(f"euler linspace {steps} sigmas", s); out("init", [init])
    t, s, init = euler_schedule(SD15, steps, "leading")
    out(f"euler leading {steps} timesteps", t); out(f"euler leading {steps} sigmas", s); out("init", [init])
    out(f"euler trailing {steps} timesteps", spaced(SD15, steps, "trailing", False))
    out(f"ddim leading {steps}", ddim_timesteps(SD15, steps, "leading"))
    out(f"ddim linspace {steps}", ddim_timesteps(SD15, steps, "linspace"))
    out(f"ddim trailing {steps}", ddim_timesteps(SD15, steps, "trailing"))
    out(f"lcm {steps}", lcm_timesteps(1000, 50, steps))
out("ddim trailing 16", ddim_timesteps(SD15, 16, "trailing"))

_, s20, _ = euler_schedule(SD15, 20, "linspace")
out("sample", sample); out("model_out", model_out); out("noise", noise)
for name, res in [("euler step 5", euler_step(s20, 5, False)),
                  ("euler v step 5", euler_step(s20, 5, False, "v_prediction")),
                  ("euler-a step 5", euler_step(s20, 5, True)),
                  ("euler-a last step", euler_step(s20, 19, True))]:
    out(name + " prev", res[0]); out(name + " x0", res[1])
out("euler scale 5", sample / ((s20[5] ** 2 + 1) ** f32(0.5)))
ts = ddim_timesteps(SD15, 20, "leading")
for i in (0, 19):
    p, x0 = ddim_step(SD15, ts, i, 20); out(f"ddim step {i} prev", p); out(f"ddim step {i} x0", x0)
lt = lcm_timesteps(1000, 50, 4)
for i in (1, 3):
    p, x0 = lcm_step(lcm_cfg, lt, i); out(f"lcm step {i} prev", p); out(f"lcm step {i} x0", x0)
ac = alphas_cumprod(SD15)
out("alphas_cumprod [0, 1, 499, 500, 999]", ac[[0, 1, 499, 500, 999]])
