#!/usr/bin/env python3
"""Regenerates the chat-template golden files under this folder (run: python3 generate_golden.py).

Expected outputs are rendered by the real Jinja2 (3.1.x) configured exactly as Hugging Face transformers
configures it (hf_env.py). Where llama.cpp's tests/test-chat-template.cpp states an expected output for the same
template and conversation, the script checks the Jinja2 rendering against it and records it in the manifest, so
the C# tests compare with both. Sources: LLAMA_CPP (default /work/peer/llama.cpp-src) for the test file and
models/templates/*.jinja; the few templates not there are embedded below with where they come from.
Outputs: templates/*.jinja, golden/*.txt, manifest.json, features.json, and corpus/ + corpus.json: every
template of llama.cpp's models/templates (real models' tokenizer_config.json chat templates) rendered on the
conversation with and without a system turn, with and without tools.
"""
import json
import os
import re
import shutil
import sys
from datetime import datetime

sys.dont_write_bytecode = True  # keep __pycache__ out of the test data folder

import jinja2

from hf_env import render
import features

HERE = os.path.dirname(os.path.abspath(__file__))
LLAMA_CPP = os.environ.get("LLAMA_CPP", "/work/peer/llama.cpp-src")
TEST_CPP = os.path.join(LLAMA_CPP, "tests", "test-chat-template.cpp")
MODEL_TEMPLATES = os.path.join(LLAMA_CPP, "models", "templates")

# llama.cpp's conversation (tests/test-chat-template.cpp, main_automated_tests).
FULL = [
    {"role": "system", "content": "You are a helpful assistant"},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi there"},
    {"role": "user", "content": "Who are you"},
    {"role": "assistant", "content": "   I am an assistant   "},
    {"role": "user", "content": "Another question"},
]
# Without the system turn, and with it folded into the first user turn (llama.cpp's polyfill for templates that
# reject or ignore the system role: system + "\n" + first user message).
NOSYSTEM = FULL[1:]
MERGED = [{"role": "user", "content": FULL[0]["content"] + "\n" + FULL[1]["content"]}] + FULL[2:]
CONVERSATIONS = {"full": FULL, "nosystem": NOSYSTEM, "merged": MERGED}

# A fixed clock for strftime_now (the C# test injects the same local time).
NOW = datetime(2024, 9, 25, 10, 30, 0)

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city, e.g. \"Paris\""}},
            "required": ["city"],
        },
    },
}]

# Templates that are not in llama.cpp's tree, verbatim from the models' tokenizer_config.json "chat_template"
# (JSON-decoded: "\\n" there is a backslash-n Jinja escape, "\n" a real newline).
LLAMA2 = (  # meta-llama/Llama-2-7b-chat-hf
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
    "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")
LLAMA3 = (  # meta-llama/Meta-Llama-3-8B-Instruct
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
ZEPHYR = (  # HuggingFaceH4/zephyr-7b-beta; TinyLlama/TinyLlama-1.1B-Chat-v1.0 ships the same template
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
    "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")
SMOLLM2 = (  # HuggingFaceTB/SmolLM2-1.7B-Instruct (tokenizer.chat_template of its GGUF)
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, "
    "trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
MISTRAL_V01 = (  # mistralai/Mistral-7B-Instruct-v0.1 (original; its "</s> " spacing differs from v0.2)
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
PHI4 = (  # microsoft/phi-4 tokenizer_config.json (the current one: every turn, assistant included, opens with <|im_start|>)
    "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}"
    "{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|>'}}"
    "{% elif (message['role'] == 'assistant') %}{{'<|im_start|>assistant<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant<|im_sep|>' }}{% endif %}")
PHI4_MINI = (  # microsoft/Phi-4-mini-instruct tokenizer_config.json (tools as a string on the system message)
    "{% for message in messages %}{% if message['role'] == 'system' and 'tools' in message and message['tools'] is not none %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' }}"
    "{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}")


def parse_cpp_cases(path):
    """The TestCase initializers of test-chat-template.cpp: name, template_str, expected outputs, tokens."""
    text = open(path, encoding="utf-8").read()
    start = text.index("std::vector<TestCase> test_cases {")
    text = text[start:text.index("std::vector<char> formatted_chat", start)]
    cases = []
    for block in re.split(r"\n        \{\n", text)[1:]:
        fields = {}
        for m in re.finditer(r"/\* \.(\w+)\s*=\s*\*/|/\* \.(\w+) \*/", block):
            key = m.group(1) or m.group(2)
            fields[key] = read_value(block, m.end())
        if ".extra_conversation" in block:
            fields["extra_conversation"] = True
        if "name" in fields:
            cases.append(fields)
    return cases


def read_value(s, i):
    while s[i].isspace():
        i += 1
    if s.startswith("U8C(", i):
        i += 4
    if s[i] != '"':
        m = re.match(r"(true|false)", s[i:])
        return m.group(1) == "true" if m else None
    out = []
    while i < len(s) and s[i] == '"':
        i += 1
        while s[i] != '"':
            if s[i] == "\\":
                nxt = s[i + 1]
                out.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r"}[nxt])
                i += 2
            else:
                out.append(s[i])
                i += 1
        i += 1
        while i < len(s) and s[i] in " \t\n":
            i += 1
    return "".join(out)


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


def try_render(source, conv, gen, **kw):
    try:
        return ("ok", render(source, CONVERSATIONS[conv], gen, **kw))
    except (jinja2.exceptions.TemplateError, TypeError, ValueError, LookupError, ArithmeticError) as e:
        # raise_exception raises the TemplateError base class: keep the template's message as it is.
        return ("error", str(e) if type(e) is jinja2.exceptions.TemplateError else f"{type(e).__name__}: {e}")


def main():
    os.makedirs(os.path.join(HERE, "templates"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "golden"), exist_ok=True)
    llama_files = {f: open(os.path.join(MODEL_TEMPLATES, f), encoding="utf-8").read() for f in os.listdir(MODEL_TEMPLATES)}
    cpp_cases = {c["name"]: c for c in parse_cpp_cases(TEST_CPP)}
    cpp_ref = "llama.cpp tests/test-chat-template.cpp"

    def cpp(name):
        return cpp_cases[name]

    # name -> (source, citation, bos, eos, conversations, extra render kwargs, llama.cpp case name or None)
    cases = [
        ("chatml", cpp("teknium/OpenHermes-2.5-Mistral-7B")["template_str"], "teknium/OpenHermes-2.5-Mistral-7B via " + cpp_ref, "", "", ["full"], {}, "teknium/OpenHermes-2.5-Mistral-7B"),
        ("llama2", LLAMA2, "meta-llama/Llama-2-7b-chat-hf tokenizer_config.json", "<s>", "</s>", ["full", "nosystem"], {}, None),
        ("llama3", LLAMA3, "meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json", "<|begin_of_text|>", "<|eot_id|>", ["full", "nosystem"], {}, None),
        ("llama3-llamacpp", cpp("Llama-3")["template_str"], "Llama-3 (without the add_generation_prompt guard) via " + cpp_ref, "", "", ["full"], {}, "Llama-3"),
        ("llama3.1", llama_files["meta-llama-Llama-3.1-8B-Instruct.jinja"], "meta-llama/Llama-3.1-8B-Instruct via llama.cpp models/templates", "<|begin_of_text|>", "<|eot_id|>", ["full", "nosystem"], {}, None),
        ("llama3.1-tools", llama_files["meta-llama-Llama-3.1-8B-Instruct.jinja"], "meta-llama/Llama-3.1-8B-Instruct via llama.cpp models/templates, with tools", "<|begin_of_text|>", "<|eot_id|>", ["full"], {"tools": TOOLS}, None),
        ("llama3.2", llama_files["meta-llama-Llama-3.2-3B-Instruct.jinja"], "meta-llama/Llama-3.2-3B-Instruct via llama.cpp models/templates (strftime_now date)", "<|begin_of_text|>", "<|eot_id|>", ["full"], {}, None),
        ("mistral", cpp("mistralai/Mistral-7B-Instruct-v0.2 (NOTE: Old pre-v1 without a system prompt)")["template_str"], "mistralai/Mistral-7B-Instruct-v0.2 / Mixtral-8x7B-Instruct-v0.1 via " + cpp_ref, "<s>", "</s>", ["full", "nosystem", "merged"], {}, "mistralai/Mistral-7B-Instruct-v0.2 (NOTE: Old pre-v1 without a system prompt)"),
        ("mistral-v0.1", MISTRAL_V01, "mistralai/Mistral-7B-Instruct-v0.1 tokenizer_config.json", "<s>", "</s>", ["nosystem"], {}, None),
        ("mistral-v1", cpp("mistralai/Mistral-7B-Instruct-v0.2 (mistralai 'v1' template with a system prompt)")["template_str"], "mistralai 'v1' template with a system prompt via " + cpp_ref, "<s>", "</s>", ["full", "nosystem"], {}, "mistralai/Mistral-7B-Instruct-v0.2 (mistralai 'v1' template with a system prompt)"),
        ("mistral-v3", cpp("Mistral-Large-Instruct-2407 (mistralai 'v3' template; modified to have system prompt at start)")["template_str"], "Mistral-Large-Instruct-2407 'v3' via " + cpp_ref, "<s>", "</s>", ["full", "nosystem"], {}, "Mistral-Large-Instruct-2407 (mistralai 'v3' template; modified to have system prompt at start)"),
        ("mistral-nemo", llama_files["mistralai-Mistral-Nemo-Instruct-2407.jinja"], "mistralai/Mistral-Nemo-Instruct-2407 ('v3-tekken') via llama.cpp models/templates", "<s>", "</s>", ["full"], {}, None),
        ("qwen2", llama_files["Qwen-Qwen2.5-7B-Instruct.jinja"], "Qwen/Qwen2.5-7B-Instruct via llama.cpp models/templates", "", "<|im_end|>", ["full", "nosystem"], {}, None),
        ("qwen2-tools", llama_files["Qwen-Qwen2.5-7B-Instruct.jinja"], "Qwen/Qwen2.5-7B-Instruct via llama.cpp models/templates, with tools", "", "<|im_end|>", ["full"], {"tools": TOOLS}, None),
        ("smollm2", SMOLLM2, "HuggingFaceTB/SmolLM2-1.7B-Instruct tokenizer.chat_template", "", "<|im_end|>", ["full", "nosystem"], {}, None),
        ("zephyr", ZEPHYR, "HuggingFaceH4/zephyr-7b-beta tokenizer_config.json", "<s>", "</s>", ["full"], {}, None),
        ("tinyllama", ZEPHYR, "TinyLlama/TinyLlama-1.1B-Chat-v1.0 (the Zephyr template)", "<s>", "</s>", ["full", "nosystem"], {}, None),
        ("gemma", llama_files["google-gemma-2-2b-it.jinja"], "google/gemma-2-2b-it (same as gemma-7b-it) via llama.cpp models/templates", "<bos>", "<eos>", ["full", "nosystem", "merged"], {}, None),
        ("gemma-llamacpp", cpp("google/gemma-7b-it")["template_str"], "google/gemma-7b-it (without bos_token) via " + cpp_ref, "", "", ["merged"], {}, "google/gemma-7b-it"),
        ("phi3", cpp("Phi-3-mini")["template_str"], "microsoft/Phi-3-mini-4k-instruct via " + cpp_ref, "<s>", "<|endoftext|>", ["full", "merged"], {}, "Phi-3-mini"),
        ("phi3.5", llama_files["microsoft-Phi-3.5-mini-instruct.jinja"], "microsoft/Phi-3.5-mini-instruct via llama.cpp models/templates", "<s>", "<|endoftext|>", ["full"], {}, None),
        ("phi4", PHI4, "microsoft/phi-4 tokenizer_config.json", "<|endoftext|>", "<|im_end|>", ["full", "nosystem"], {}, None),
        ("phi4-mini", PHI4_MINI, "microsoft/Phi-4-mini-instruct tokenizer_config.json", "<|endoftext|>", "<|endoftext|>", ["full", "nosystem"], {}, None),
    ]
    # Every llama.cpp test case that llama.cpp also renders through its Jinja engine.
    taken = {c[7] for c in cases if c[7]}
    for name, c in cpp_cases.items():
        if name in taken or not c.get("supported_with_jinja", True) or c.get("extra_conversation"):
            continue
        cases.append(("llamacpp-" + slug(name), c["template_str"], name + " via " + cpp_ref, c.get("bos_token") or "", c.get("eos_token") or "", ["full", "merged"], {}, name))

    manifest = []
    mismatches = []
    for name, source, citation, bos, eos, convs, kw, cpp_name in cases:
        tfile = f"templates/{name}.jinja"
        with open(os.path.join(HERE, tfile), "w", encoding="utf-8", newline="") as f:
            f.write(source)
        entry = {"name": name, "template": tfile, "source": citation, "bos_token": bos, "eos_token": eos,
                 "now": NOW.isoformat(), "renders": []}
        if kw:
            entry["variables"] = kw
        for conv in convs:
            for gen in (True, False):
                status, out = try_render(source, conv, gen, bos_token=bos, eos_token=eos, now=NOW, **kw)
                r = {"conversation": conv, "add_generation_prompt": gen}
                if status == "ok":
                    gfile = f"golden/{name}.{conv}.{'gen' if gen else 'nogen'}.txt"
                    with open(os.path.join(HERE, gfile), "w", encoding="utf-8", newline="") as f:
                        f.write(out)
                    r["expected"] = gfile
                else:
                    r["error"] = out
                entry["renders"].append(r)
        if cpp_name:
            c = cpp_cases[cpp_name]
            expected = c.get("expected_output_jinja") or c.get("expected_output")
            match = None
            for conv in ("full", "merged"):
                status, out = try_render(source, conv, True, bos_token=c.get("bos_token") or "", eos_token=c.get("eos_token") or "", now=NOW)
                if status == "ok" and out == expected:
                    match = conv
                    break
            entry["llamacpp"] = {"case": cpp_name, "bos_token": c.get("bos_token") or "", "eos_token": c.get("eos_token") or "",
                                 "conversation": match, "expected": expected}
            if match is None:
                mismatches.append(cpp_name)
        manifest.append(entry)

    with open(os.path.join(HERE, "manifest.json"), "w", encoding="utf-8", newline="") as f:
        json.dump({"generator": "generate_golden.py (Jinja2 " + jinja2.__version__ + ", transformers' environment)",
                   "conversations": CONVERSATIONS, "cases": manifest}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "features.json"), "w", encoding="utf-8", newline="") as f:
        json.dump(features.generate(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    corpus = write_corpus()
    print(f"{len(manifest)} template cases; llama.cpp expectations not reproduced by Jinja2: {mismatches}; corpus: {corpus} templates")


def write_corpus():
    out_dir = os.path.join(HERE, "corpus")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    entries = []
    for f in sorted(os.listdir(MODEL_TEMPLATES)):
        if not f.endswith(".jinja"):
            continue
        shutil.copyfile(os.path.join(MODEL_TEMPLATES, f), os.path.join(out_dir, f))
        source = open(os.path.join(out_dir, f), encoding="utf-8").read()
        renders = []
        for conv in ("full", "nosystem"):
            for tools in (False, True):
                kw = {"tools": TOOLS} if tools else {}
                status, out = try_render(source, conv, True, bos_token="<s>", eos_token="</s>", now=NOW, **kw)
                r = {"conversation": conv, "tools": tools}
                r["expected" if status == "ok" else "error"] = out
                renders.append(r)
        entries.append({"file": f"corpus/{f}", "renders": renders})
    with open(os.path.join(HERE, "corpus.json"), "w", encoding="utf-8", newline="") as fh:
        json.dump({"source": "llama.cpp models/templates", "bos_token": "<s>", "eos_token": "</s>", "now": NOW.isoformat(),
                   "tools": TOOLS, "templates": entries}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return len(entries)


if __name__ == "__main__":
    sys.exit(main())
