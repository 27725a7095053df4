// images/Dockerfile must build what `npm run images` builds: the same base packages, Node, user,
// entrypoint, working directory and environment per target.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BASE_PACKAGES, CUDA_WORKER, IMAGES, USER, type ImageSpec } from "../../images/image-spec.ts";

interface Stage {
  from: string;
  env: Record<string, string>;
  user?: string;
  workdir?: string;
  entrypoint?: string[];
  run: string[];
}

/** The stages by name, each with what it inherits from a stage it is FROM. */
function parseDockerfile(text: string): Map<string, Stage> {
  const stages = new Map<string, Stage>();
  let current: Stage | undefined;
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))) {
    const [instruction = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (instruction === "FROM") {
      const [image = "", , name = image] = rest;
      const parent = stages.get(image);
      current = parent
        ? { ...parent, env: { ...parent.env }, run: [], from: image }
        : { from: image, env: {}, run: [] };
      stages.set(name, current);
    } else if (!current) throw new Error(`${instruction} before FROM`);
    else if (instruction === "ENV")
      for (const pair of rest) {
        const [key = "", ...value] = pair.split("=");
        current.env[key] = value.join("=");
      }
    else if (instruction === "USER") current.user = args;
    else if (instruction === "WORKDIR") current.workdir = args;
    else if (instruction === "ENTRYPOINT") current.entrypoint = JSON.parse(args) as string[];
    else if (instruction === "RUN") current.run.push(args);
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(new URL("../../images/Dockerfile", import.meta.url), "utf8"));

describe("images/Dockerfile", () => {
  const targets: [string, ImageSpec][] = [
    ...Object.values(IMAGES).map((spec): [string, ImageSpec] => [spec.name, spec]),
    ["worker-cuda", CUDA_WORKER],
  ];
  it.each(targets)("the %s target runs as the crane-built image does", (name, spec) => {
    const stage = stages.get(name);
    expect(stage, `no stage "${name}"`).toBeDefined();
    expect(stage?.user).toBe(USER);
    expect(stage?.entrypoint).toEqual(spec.entrypoint);
    expect(stage?.workdir).toBe(spec.workdir);
    expect(stage?.env).toEqual(spec.env);
  });

  it("installs exactly the base packages, and the Node version the crane build ships", () => {
    const install = stages
      .get("base")
      ?.run.join(" ")
      .match(/apt-get install -y --no-install-recommends ([^&]+)/);
    expect(install?.[1]?.trim().split(/\s+/).sort()).toEqual([...BASE_PACKAGES].sort());
    expect(stages.get("build")?.from).toBe(`node:${process.versions.node}-bookworm-slim`);
  });
});
