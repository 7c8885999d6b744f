// Regenerates tests/CyLlm.Tokenizers.Tests/TestData/bpe/{vocab,golden}.json: a small byte-level BPE vocabulary
// and llama.cpp's tokenization of a fixed list of texts with it, under each supported pre-tokenizer.
//   node scripts/golden/tokenize_bpe.mjs [PEER_DIR]   (PEER_DIR: holds node_modules/node-llama-cpp and
//                                                      llama.cpp-src; default ../peer beside the repository)
//
// There is no byte-level BPE model in ../shared/models, so the vocabulary is cut from llama.cpp's own test
// vocabulary llama.cpp-src/models/ggml-vocab-qwen2.gguf (Qwen2 tokenizer, Apache-2.0): the 256 byte tokens,
// the first MERGES merges (plus a few digit merges) and the pieces they form, plus a few special tokens (control and user-defined,
// including one that overlaps another, to exercise llama.cpp's longest-first special matching). One merge
// keeps its rank but loses its resulting token, which exercises llama.cpp's fallback for merge results that
// are not in the vocabulary. For every pre-tokenizer a vocabulary-only GGUF (architecture metadata copied
// from the base file, no tensors) is written to a temporary folder and loaded by llama.cpp (node-llama-cpp,
// vocabOnly), which tokenizes every text with parse_special off (ids) and on (ids_special), add_special off.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {createRequire} from "node:module";

const MERGES = 2000;
const PRE_TYPES = ["llama-bpe", "dbrx", "qwen2", "gpt-2", "smollm", "starcoder", "default", null, "gpt-4o"]; // null: no pre key

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const peer = path.resolve(process.argv[2] ?? path.join(root, "../peer"));
const require = createRequire(path.join(peer, "package.json"));
const {getLlama} = await import(require.resolve("node-llama-cpp"));
const out = path.join(root, "tests/CyLlm.Tokenizers.Tests/TestData/bpe");
fs.mkdirSync(out, {recursive: true});

// ---- minimal GGUF v3 reader/writer (metadata only; these files have no tensors) ----
const T = {U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12};
function readGguf(file) {
    const b = fs.readFileSync(file);
    let p = 0;
    const u32 = () => { const v = b.readUInt32LE(p); p += 4; return v; };
    const u64 = () => { const v = Number(b.readBigUInt64LE(p)); p += 8; return v; };
    const str = () => { const n = u64(); const s = b.toString("utf8", p, p + n); p += n; return s; };
    const val = (t) => {
        switch (t) {
            case T.U8: return b.readUInt8(p++); case T.I8: return b.readInt8(p++);
            case T.U16: { const v = b.readUInt16LE(p); p += 2; return v; } case T.I16: { const v = b.readInt16LE(p); p += 2; return v; }
            case T.U32: return u32(); case T.I32: { const v = b.readInt32LE(p); p += 4; return v; }
            case T.F32: { const v = b.readFloatLE(p); p += 4; return v; } case T.BOOL: return b.readUInt8(p++) !== 0;
            case T.STRING: return str();
            case T.U64: return u64(); case T.I64: { const v = Number(b.readBigInt64LE(p)); p += 8; return v; }
            case T.F64: { const v = b.readDoubleLE(p); p += 8; return v; }
            case T.ARRAY: { const et = u32(); const n = u64(); const a = []; for (let i = 0; i < n; i++) a.push(val(et)); return {et, a}; }
            default: throw new Error(`GGUF type ${t}`);
        }
    };
    if (u32() !== 0x46554747) throw new Error(`${file}: not GGUF`);
    const version = u32();
    const tensors = u64();
    if (tensors !== 0) throw new Error(`${file}: expected a vocabulary-only file`);
    const kvs = [];
    for (let n = u64(), i = 0; i < n; i++) { const key = str(); const t = u32(); kvs.push({key, t, v: val(t)}); }
    return {version, kvs};
}
function writeGguf(file, kvs) {
    const parts = [];
    const u32 = (v) => { const x = Buffer.alloc(4); x.writeUInt32LE(v); parts.push(x); };
    const u64 = (v) => { const x = Buffer.alloc(8); x.writeBigUInt64LE(BigInt(v)); parts.push(x); };
    const str = (s) => { const x = Buffer.from(s, "utf8"); u64(x.length); parts.push(x); };
    const val = (t, v) => {
        const x = Buffer.alloc(8);
        switch (t) {
            case T.U8: x.writeUInt8(v); parts.push(x.subarray(0, 1)); break; case T.I8: x.writeInt8(v); parts.push(x.subarray(0, 1)); break;
            case T.U16: x.writeUInt16LE(v); parts.push(x.subarray(0, 2)); break; case T.I16: x.writeInt16LE(v); parts.push(x.subarray(0, 2)); break;
            case T.U32: u32(v); break; case T.I32: x.writeInt32LE(v); parts.push(x.subarray(0, 4)); break;
            case T.F32: x.writeFloatLE(v); parts.push(x.subarray(0, 4)); break; case T.BOOL: parts.push(Buffer.from([v ? 1 : 0])); break;
            case T.STRING: str(v); break; case T.U64: u64(v); break;
            case T.I64: x.writeBigInt64LE(BigInt(v)); parts.push(x); break; case T.F64: x.writeDoubleLE(v); parts.push(x); break;
            case T.ARRAY: u32(v.et); u64(v.a.length); for (const e of v.a) val(v.et, e); break;
            default: throw new Error(`GGUF type ${t}`);
        }
    };
    u32(0x46554747); u32(3); u64(0); u64(kvs.length);
    for (const {key, t, v} of kvs) { str(key); u32(t); val(t, v); }
    fs.writeFileSync(file, Buffer.concat(parts));
}

// ---- the vocabulary ----
const base = readGguf(path.join(peer, "llama.cpp-src/models/ggml-vocab-qwen2.gguf"));
const get = (key) => base.kvs.find((kv) => kv.key === key).v.a;
const baseTokens = get("tokenizer.ggml.tokens");
const baseMerges = get("tokenizer.ggml.merges");
const tokens = baseTokens.slice(0, 256);
if (new Set(tokens.map((t) => [...t].length)).size !== 1 || [...tokens[0]].length !== 1) throw new Error("the base's first 256 tokens are not the byte alphabet");
// Qwen2 never joins digits; a few digit merges at the end make the digit grouping of each pre-tokenizer
// (1-3 digits, single digits, whole runs) visible in the ids.
const DIGIT_MERGES = ["1 2", "12 3", "4 5", "45 6", "0 0", "00 0", "Ġ 1", "Ġ1 2"];
const merges = [...baseMerges.slice(0, MERGES), ...DIGIT_MERGES.filter((m) => !baseMerges.slice(0, MERGES).includes(m))];
const have = new Set(tokens);
for (const m of merges) {
    const [l, r] = m.split(" ");
    if (!have.has(l) || !have.has(r)) throw new Error(`merge '${m}' uses a piece not yet in the vocabulary`);
    if (!have.has(l + r)) { have.add(l + r); tokens.push(l + r); }
}
// Drop the token an ASCII-letter merge of rank >= 300 forms (the merge stays).
const dropAt = merges.findIndex((m, i) => i >= 300 && /^[a-z]+ [a-z]+$/.test(m));
const dropped = merges[dropAt].replace(" ", "");
tokens.splice(tokens.indexOf(dropped), 1);
const types = tokens.map(() => 1);
const specials = [
    ["<|endoftext|>", 3], ["<|im_start|>", 3], ["<|im_end|>", 3], ["<|begin_of_text|>", 3], ["<|eot_id|>", 3],
    ["<tool_call>", 4], ["</tool_call>", 4], ["<|im", 4],
];
for (const [text, type] of specials) { tokens.push(text); types.push(type); }
const id = (text) => tokens.indexOf(text);
const vocab = {
    source: `ggml-vocab-qwen2.gguf from llama.cpp (Qwen2 tokenizer, Apache-2.0): 256 byte tokens, the first ${MERGES} merges and ${merges.length - MERGES} digit merges, `
        + `token '${dropped}' removed (its merge, rank ${dropAt}, kept), special tokens appended`,
    bos: id("<|begin_of_text|>"), eos: id("<|endoftext|>"),
    tokens, token_types: types, merges,
};
fs.writeFileSync(path.join(out, "vocab.json"), JSON.stringify(vocab) + "\n");

// ---- the texts ----
let seed = 20240611;
const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296; };
const atoms = ["a", "the", "Hello", "world", "ing", " ", "  ", "\t", "\n", "\r\n", "\n\n", " \n", "'s", "'T", "'re", "'LL", "'ve", "'d", "'m", "'",
    "0", "7", "12", "123", "1234", "99999", "3.14", "-", "!", "?", ".", ",", ";", "(", ")", "{", "}", "<", ">", "<|", "|>", "=", "+", "$", "^", "~", "|", "_",
    "é", "Ç", "ß", "naïve", "日本", "中文", "한국어", "😀", "👍🏽", "👨‍👩‍👧", "𝐀𝐁", "𝟏𝟐", "\u0301", "\u00a0", "\u2003", "\u3000", "\u0085", "٣", "Ⅻ", "½",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool_call>", "<|eot_id|>", "<|begin_of_text|>", "<|im"];
const fuzz = [];
for (let i = 0; i < 60; i++) { let s = ""; for (let n = 1 + Math.floor(rnd() * 10), k = 0; k < n; k++) s += atoms[Math.floor(rnd() * atoms.length)]; fuzz.push(s); }
// More random texts, drawn after the ones above so that those stay as they were.
const atoms4o = ["HELLO", "World", "wORLD", "iPhone", "ÇA", "Élan", "ǅ", "ß", "e\u0301", "'S", "'ll", "'Re", "'", "/", "//", "\r\n/", "\n/", "!/",
    " ", "  ", "\t", "\n", "\r\n", " \n ", "\u001c", "\u00a0", "\u3000", "12345", "٣", "😀", "日本", "-", ".", "?!"];
const gpt4oFuzz = [];
for (let i = 0; i < 40; i++) { let s = ""; for (let n = 1 + Math.floor(rnd() * 10), k = 0; k < n; k++) s += atoms4o[Math.floor(rnd() * atoms4o.length)]; gpt4oFuzz.push(s); }
const texts = [
    "", " ", "  ", "\n", "a", "Hello world", "Hello world's 12345 test", "I'm sure it's fine, isn't it? They'LL see; WE'VE won.",
    "numbers 1234567890 and 3.14159 and -42, 1,000,000 ½ Ⅻ ٣٤٥",
    "  two  spaces\tand a tab\nnewline\n\nblank line   \r\n  indented",
    "code: for (int i = 0; i < n; i++) { x[i] += y[i]; } // done\n\treturn $a ^ ~b | c;",
    "Ça va? Déjà vu — naïve café, Straße", "日本語のテキスト、中文文本和한국어", "Emoji: 😀👍🏽🚀 family 👨‍👩‍👧",
    "math 𝐀𝐁𝐂 and 𝟏𝟐𝟑", "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n",
    "<|begin_of_text|>Hello<|eot_id|>", "call <tool_call>{\"name\": \"f\"}</tool_call> now", "<|im<|im_start|>", "<|endoftext|><|endoftext|>",
    "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX JUMPS!",
    "They interrupted, interpreted and internationalized the internet interface.",
    "ice; nice ice, twice the price of rice. ICE Ice",
    ...fuzz,
    // Appended after the fuzz texts (whose random draws must not move) for the GPT-4o (o200k) expression:
    // letter runs split by case, contractions in any case, punctuation runs with trailing [\r\n/]*, combining
    // marks (not letters for llama.cpp), ASCII separators U+001C..U+001F (not \s for std::regex).
    // The vocabulary's one merge across a lower-to-upper boundary ("Ġclass Name") makes the case split visible in ids.
    "var className = obj.className; int myClassName",
    "HELLO World's CamelCaseWord XMLHttpRequest iPhone McDONALD'S I'M YOU'RE we'Ll they'D it'S",
    "ÇA VA? ÉCOLE Élan straße STRASSE ÀÉÎ ǅemal ǈubljana ÆsIR ßS",
    "e\u0301te\u0301 cafe\u0301 n\u0303o COMBIN\u0301ED a\u0308bc",
    "path/to/file.txt //comment\n/* c */\r\n/ ?!\n\n/ x ://\n\r/\n",
    "a\u001c b\u001fc\u000bd\u000ce \u0085 f\u00a0g\u2003h\u3000i\u200dj",
    "1234567 12.345,678 ١٢٣٤٥ 𝟏𝟐𝟑𝟒 ½¼ x2y33z4444",
    "   leading\n   \n\t\tx  \t y \r\n\r\n  trailing   ",
    "日本語ABCdef😀abc 中文WORDS😀ABC",
    "'s 'S 'T's don't DON'T'LL 're'VE 'x ''s",
    ...gpt4oFuzz,
];

const llama = await getLlama({build: "never", gpu: false, logLevel: "error"});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cyllm-bpe-"));
const cases = [];
for (const pre of PRE_TYPES) {
    const kvs = base.kvs.filter((kv) => !kv.key.startsWith("tokenizer."));
    kvs.push({key: "tokenizer.ggml.model", t: T.STRING, v: "gpt2"});
    if (pre !== null) kvs.push({key: "tokenizer.ggml.pre", t: T.STRING, v: pre});
    kvs.push({key: "tokenizer.ggml.tokens", t: T.ARRAY, v: {et: T.STRING, a: tokens}});
    kvs.push({key: "tokenizer.ggml.token_type", t: T.ARRAY, v: {et: T.I32, a: types}});
    kvs.push({key: "tokenizer.ggml.merges", t: T.ARRAY, v: {et: T.STRING, a: merges}});
    kvs.push({key: "tokenizer.ggml.bos_token_id", t: T.U32, v: vocab.bos});
    kvs.push({key: "tokenizer.ggml.eos_token_id", t: T.U32, v: vocab.eos});
    const file = path.join(tmp, `bpe-${pre ?? "none"}.gguf`);
    writeGguf(file, kvs);
    const model = await llama.loadModel({modelPath: file, vocabOnly: true});
    for (const text of texts) {
        cases.push({pre, text, ids: Array.from(model.tokenize(text, false)), ids_special: Array.from(model.tokenize(text, true))});
    }
    await model.dispose();
}
await llama.dispose();
fs.rmSync(tmp, {recursive: true, force: true});
fs.writeFileSync(path.join(out, "golden.json"), JSON.stringify({cases}, null, 0).replace(/\},\{/g, "},\n{") + "\n");
console.log(`wrote ${tokens.length} tokens, ${merges.length} merges, ${cases.length} cases (dropped '${dropped}')`);
