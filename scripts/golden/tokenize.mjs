// Regenerates tests/CyLlm.Models.Tests/TestData/tokenizer/*.json: llama.cpp's tokenization (through
// node-llama-cpp, prebuilt CPU binary) of a fixed list of texts, with and without BOS.
//   node scripts/golden/tokenize.mjs PEER_DIR     (PEER_DIR: a copy of ../shared/peer after ./setup.sh)
import fs from "node:fs";
import path from "node:path";
import {createRequire} from "node:module";

const peer = path.resolve(process.argv[2] ?? "../shared/peer");
const require = createRequire(path.join(peer, "package.json"));
const {getLlama} = await import(require.resolve("node-llama-cpp"));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const models = path.resolve(root, "../shared/models");
const out = path.join(root, "tests/CyLlm.Models.Tests/TestData/tokenizer");
fs.mkdirSync(out, {recursive: true});

const texts = [
    "Hello world",
    "Once upon a time, there was a little girl named Lily.",
    " leading space",
    "trailing space ",
    "  two  spaces\tand a tab\nnewline\n\nblank line",
    "Ça va? Déjà vu — naïve café, Straße, Ærøskøbing",
    "日本語のテキスト、中文文本和한국어",
    "Emoji: 😀👍🏽🚀 and a family 👨‍👩‍👧",
    "numbers 1234567890 and 3.14159 and -42",
    "code: for (int i = 0; i < n; i++) { x[i] += y[i]; }",
    "<s>special</s> text [INST] tags [/INST]",
    "",
    "a",
    "\u00a0non-breaking\u00a0space",
];

const llama = await getLlama({build: "never", gpu: false});
for (const file of ["llama-2-tiny-random.gguf", "stories260K.gguf"]) {
    const model = await llama.loadModel({modelPath: path.join(models, file)});
    const cases = texts.map((text) => ({
        text,
        ids_no_bos: Array.from(model.tokenize(text, false)),
    }));
    fs.writeFileSync(path.join(out, file.replace(".gguf", ".json")), JSON.stringify({model: file, bos: model.tokens.bos, cases}, null, 1) + "\n");
    console.log(`wrote ${file}: ${cases.length} cases`);
    await model.dispose();
}
await llama.dispose();
