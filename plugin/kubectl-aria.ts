// kubectl-aria: Aria from the command line, through the current kubeconfig. kubectl runs it as
// `kubectl aria …` when it is on the PATH (npm install -g . puts it there).
import { Command, InvalidArgumentError } from "commander";
import { FEEDBACK_ACTIONS } from "../crds/learning-state.ts";
import { MOODS, OUTPUT_FORMATS } from "../crds/artwork.ts";
import { AriaClient, type GlobalOptions } from "./aria-client.ts";
import { create } from "./commands/create.ts";
import { get } from "./commands/get.ts";
import { learn } from "./commands/learn.ts";
import { react } from "./commands/react.ts";
import { save } from "./commands/save.ts";
import { top } from "./commands/top.ts";

const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("a whole number is needed");
  return n;
};

const program = new Command("kubectl aria")
  .description("Aria, the AI artist running in your cluster: create artworks, see them, react, save them.")
  .option("-n, --namespace <namespace>", "namespace (default: the current context's)")
  .option("--context <context>", "kubeconfig context (default: the current one)")
  .showHelpAfterError();

const client = () => AriaClient.fromKubeconfig(program.opts<GlobalOptions>());

program
  .command("create")
  .description("create an Artwork from a prompt")
  .argument("<prompt>", "what to paint")
  .option("--mood <mood>", `one of ${MOODS.join(", ")}`)
  .option("--pool <pool>", "ModelPool (default: the namespace's only one)")
  .option("--name <name>", "Artwork name (default: art-<random>)")
  .option("--model <model>", "generator of the pool (default: what learning chooses)")
  .option("--negative <prompt>", "negative prompt")
  .option("--variations <n>", "candidates to generate", integer)
  .option("--steps <n>", "denoising steps", integer)
  .option("--seed <n>", "seed of the first candidate", integer)
  .option("--size <WxH>", "image size, such as 512x512")
  .option("--wait", "show progress until the Artwork is Ready, then where its image is")
  .option("--timeout <seconds>", "give up waiting after this long", integer, 600)
  .action((prompt: string, o) => create(client(), prompt, o));

program
  .command("get")
  .description("list Artworks with their scores, or one Artwork's candidates")
  .argument("[name]")
  .action((name?: string) => get(client(), name));

program
  .command("react")
  .description(`react to an Artwork: ${FEEDBACK_ACTIONS.join(", ")}`)
  .argument("<name>")
  .argument("<action>")
  .action((name: string, action: string) => react(client(), name, action));

program
  .command("save")
  .description("save an Artwork's selected image (or a candidate's) to a file")
  .argument("<name>")
  .option("-o, --output <file>", "file to write (default: <name>.<format>)")
  .option("--format <format>", `one of ${OUTPUT_FORMATS.join(", ")}`, "png")
  .option("--candidate <index>", "a candidate's PNG instead of the selected image", integer)
  .option("--s3-endpoint <url>", "S3 server holding the images (default: AWS_ENDPOINT_URL, else AWS)")
  .action((name: string, o) => save(client(), name, o));

program
  .command("learn")
  .description("what Aria has learned: best model per mood, exploration, prompt terms that work")
  .argument("[learningstate]")
  .action((name?: string) => learn(client(), name));

program
  .command("top")
  .description("ModelPools: warm workers, queue, running Artworks, renders per minute")
  .action(() => top(client()));

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
});
