// Regenerates tests/CyLlm.Models.Tests/TestData/tokenizer/{llama-2-tiny-random,stories260K}.json: llama.cpp's
// tokenization (node-llama-cpp, prebuilt CPU binary, vocabulary only) of a fixed list of texts.
//   node scripts/golden/tokenize.mjs [PEER_DIR]      (PEER_DIR: the folder holding node_modules/node-llama-cpp;
//                                                     default ../peer beside the repository)
//
// Per case:  ids_no_bos   llama_tokenize(text, add_special=false, parse_special=false)   (node-llama-cpp tokenize)
//            ids_special  llama_tokenize(text, add_special=false, parse_special=true)
//            ids          llama_tokenize(text, add_special=true,  parse_special=false)
// node-llama-cpp always calls llama_tokenize with add_special=false, so `ids` is derived from llama.cpp's
// source (llama-vocab.cpp, tokenize, LLAMA_VOCAB_TYPE_SPM): with add_special it pushes BOS when the model's
// add_bos is set (EOS likewise with add_eos) and tokenizes the text exactly as without it, because the first
// text run always gets the space prefix (is_prev_special starts true either way). So for these models
// ids = [BOS] + ids_no_bos, also for the empty text ([BOS] alone). The leading space: SentencePiece prepends
// " " to the first text run and to every run that follows a special token; when printing, llama2.c and
// llama.cpp drop that space again from the first piece after BOS.
import fs from "node:fs";
import path from "node:path";
import {createRequire} from "node:module";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const peer = path.resolve(process.argv[2] ?? path.join(root, "../peer"));
const require = createRequire(path.join(peer, "package.json"));
const {getLlama} = await import(require.resolve("node-llama-cpp"));
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
    " ",
    "   ",
    "\n",
    "\n\n\n",
    "line one\r\nline two\r\n",
    "tabs\t\tand\u3000ideographic space",
    "I'm sure it's fine, isn't it? They'll see.",
    "<s>",
    "</s>",
    "<unk>",
    "hi<s>there</s> again",
    "<s><s> double",
    "a</s>b",
    "math 𝐀𝐁𝐂 and 𝟏𝟐𝟑, combining e\u0301 and \u0301 alone",
    "control \u0001\u001f chars and a zero\u200bwidth space",
    "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!",
    "def f(x):\n    return x ** 2  # square\n",
    "▁already▁escaped▁text",
    "Lily and Ben went to the park. They saw a big red ball and played all day.",
];

const llama = await getLlama({build: "never", gpu: false, logLevel: "error"});
for (const file of ["llama-2-tiny-random.gguf", "stories260K.gguf"]) {
    const model = await llama.loadModel({modelPath: path.join(models, file), vocabOnly: true});
    const bos = model.tokens.bos;
    const addBos = model.tokens.shouldPrependBosToken;
    const cases = texts.map((text) => {
        const noBos = Array.from(model.tokenize(text, false));
        return {
            text,
            ids: addBos ? [bos, ...noBos] : noBos,
            ids_no_bos: noBos,
            ids_special: Array.from(model.tokenize(text, true)),
        };
    });
    const golden = {model: file, bos, eos: model.tokens.eos, add_bos: addBos, cases};
    fs.writeFileSync(path.join(out, file.replace(".gguf", ".json")), JSON.stringify(golden, null, 1) + "\n");
    console.log(`wrote ${file}: ${cases.length} cases`);
    await model.dispose();
}
await llama.dispose();
