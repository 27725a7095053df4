// Builds every built-in model into $ARIA_MODEL_CACHE, bundled beside the worker bundle and run
// there, so the folders get the names the worker in the image looks for (images/bundle.ts).
import { BUILTIN_MODELS, ensureBuiltinModel, type BuiltinModelName } from "../models/builtin.ts";

for (const name of Object.keys(BUILTIN_MODELS) as BuiltinModelName[]) {
  console.log(await ensureBuiltinModel(name));
}
