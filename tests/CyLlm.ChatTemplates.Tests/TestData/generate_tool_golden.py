#!/usr/bin/env python3
"""Regenerates tools.json: real tool-aware chat templates rendered on tool-calling conversations.

Run: python3 generate_tool_golden.py (Python 3 with Jinja2 3.1.x; no network). Rendering uses hf_env.py, the
environment transformers' apply_chat_template(messages, tools=..., tokenize=False) renders in. Messages are passed
the way an OpenAI request reaches the template in CyLlm (and in vLLM): assistant tool_calls as
{id, type: "function", function: {name, arguments}} with arguments decoded from their JSON string into a dict,
content "" when the assistant only calls tools (OpenAI's null, as vLLM passes it), and tool results as
{role: "tool", tool_call_id, content}.
Tool call ids are 9 alphanumeric characters because Mistral's templates require exactly that.
The templates are the copies under corpus/ (llama.cpp's models/templates, from the models' tokenizer_config.json).
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the test data folder

import jinja2

from hf_env import render

HERE = os.path.dirname(os.path.abspath(__file__))

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city, e.g. \"Paris\""}}, "required": ["city"]},
    }},
    {"type": "function", "function": {
        "name": "get_time",
        "description": "Get the local time in a time zone",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
    }},
]


def call(id, name, args):
    return {"id": id, "type": "function", "function": {"name": name, "arguments": args}}


SINGLE = [
    {"role": "system", "content": "You are a helpful assistant"},
    {"role": "user", "content": "What is the weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [call("abc123XYZ", "get_weather", {"city": "Paris"})]},
    {"role": "tool", "tool_call_id": "abc123XYZ", "content": "{\"temperature\": 22, \"sky\": \"clear\"}"},
    {"role": "assistant", "content": "It is 22 degrees and clear in Paris."},
    {"role": "user", "content": "And in Rome?"},
]
PARALLEL = [
    {"role": "user", "content": "Weather and time in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [
        call("abc123XYZ", "get_weather", {"city": "Paris"}),
        call("def456UVW", "get_time", {"zone": "Europe/Paris"}),
    ]},
    {"role": "tool", "tool_call_id": "abc123XYZ", "content": "sunny"},
    {"role": "tool", "tool_call_id": "def456UVW", "content": "10:30"},
]
CONVERSATIONS = {"single": SINGLE, "parallel": PARALLEL}

CASES = [
    ("qwen2.5", "corpus/Qwen-Qwen2.5-7B-Instruct.jinja", "", "<|im_end|>"),
    ("llama3.1", "corpus/meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("llama3.2", "corpus/meta-llama-Llama-3.2-3B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("mistral-nemo", "corpus/mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>"),
    ("hermes3", "corpus/NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("hermes2-pro", "corpus/NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("llama3.3", "corpus/meta-llama-Llama-3.3-70B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    ("qwen3", "corpus/Qwen-Qwen3-0.6B.jinja", "", "<|im_end|>"),
    ("mistral-small-3.2", "corpus/Mistral-Small-3.2-24B-Instruct-2506.jinja", "<s>", "</s>"),
    ("devstral", "corpus/unsloth-mistral-Devstral-Small-2507.jinja", "<s>", "</s>"),
    ("ministral-3", "corpus/mistralai-Ministral-3-14B-Reasoning-2512.jinja", "<s>", "</s>"),
    ("gpt-oss", "corpus/openai-gpt-oss-120b.jinja", "<|startoftext|>", "<|return|>"),
]


def main():
    from datetime import datetime
    now = datetime(2024, 9, 25, 10, 30, 0)
    cases = []
    for name, tfile, bos, eos in CASES:
        source = open(os.path.join(HERE, tfile), encoding="utf-8").read()
        renders = []
        for conv in CONVERSATIONS:
            for gen in (True, False):
                r = {"conversation": conv, "add_generation_prompt": gen}
                try:
                    r["expected"] = render(source, CONVERSATIONS[conv], gen, bos_token=bos, eos_token=eos, now=now, tools=TOOLS)
                except jinja2.exceptions.TemplateError as e:
                    r["error"] = str(e)
                except (TypeError, ValueError, LookupError) as e:
                    r["error"] = f"{type(e).__name__}: {e}"
                    r["python_error"] = True
                renders.append(r)
        cases.append({"name": name, "template": tfile, "bos_token": bos, "eos_token": eos, "renders": renders})
    # Every template of corpus/ on the single-call round trip (with the generation prompt): whatever it renders or
    # raises, the C# interpreter must agree.
    corpus = []
    for f in sorted(os.listdir(os.path.join(HERE, "corpus"))):
        source = open(os.path.join(HERE, "corpus", f), encoding="utf-8").read()
        r = {"template": "corpus/" + f}
        try:
            r["expected"] = render(source, SINGLE, True, bos_token="<s>", eos_token="</s>", now=now, tools=TOOLS)
        except jinja2.exceptions.TemplateError as e:
            r["error"] = str(e)
        except (TypeError, ValueError, LookupError, AttributeError) as e:
            r["error"] = f"{type(e).__name__}: {e}"
            r["python_error"] = True
        corpus.append(r)
    with open(os.path.join(HERE, "tools.json"), "w", encoding="utf-8", newline="") as f:
        json.dump({"generator": "generate_tool_golden.py (Jinja2 " + jinja2.__version__ + ", transformers' environment)",
                   "now": now.isoformat(), "tools": TOOLS, "conversations": CONVERSATIONS, "cases": cases, "corpus": corpus}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(cases)} templates")


if __name__ == "__main__":
    sys.exit(main())
