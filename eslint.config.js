import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Who may import whom (README, "Layout"): crds/ ← lib/ ← models/ ← operator/, worker/, and
// crds/ ← lib/ ← plugin/. The processes never import each other; tools/ (build tooling) imports
// none of them; gallery/ (the browser app) only crds/; tests and benchmarks may import anything.
const LAYERS = {
  crds: ["lib", "models", "operator", "worker", "plugin"],
  lib: ["models", "operator", "worker", "plugin"],
  models: ["operator", "worker", "plugin"],
  operator: ["worker", "plugin"],
  worker: ["operator", "plugin"],
  plugin: ["models", "operator", "worker"],
  tools: ["crds", "lib", "models", "operator", "worker", "plugin"],
  monitoring: ["crds", "lib", "models", "operator", "worker", "plugin"],
  // The browser app takes the API's constants and types only; everything else is the operator's.
  gallery: ["lib", "models", "operator", "worker", "plugin", "tools"],
};

const layering = Object.entries(LAYERS).map(([layer, forbidden]) => ({
  files: [`${layer}/**/*.ts`],
  ignores: ["**/*.test.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            regex: `^(\\.\\./)+(${[...forbidden, "test", "bench"].join("|")})/`,
            // The browser app may share the processes' types (erased at build), never their code.
            allowTypeImports: layer === "gallery",
            message: `${layer}/ may not import this layer: the import rule is crds/ ← lib/ ← models/ ← operator/, worker/ (README, Layout); move what both need into lib/.`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["node_modules/**", ".aria/**", "dist/**", "charts/**", "bench/.venv/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  ...layering,
);
