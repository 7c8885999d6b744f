"""Hugging Face transformers' chat-template environment, rebuilt with plain Jinja2.

Mirrors transformers/utils/chat_template_utils.py::_compile_jinja_template (checked against the
huggingface/transformers source): ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[AssistantTracker, jinja2.ext.loopcontrols]); filters["tojson"] = json.dumps(x, ensure_ascii=False,
indent, separators, sort_keys); globals raise_exception (TemplateError) and strftime_now (datetime.now()).
apply_chat_template renders with messages, tools=None, documents=None, add_generation_prompt and the special
tokens (bos_token, eos_token, ...) plus any extra kwargs.
"""
import json
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(jinja2.ext.Extension):
    # {% generation %}...{% endgeneration %} renders its body unchanged (only index tracking differs in HF).
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def make_env(now=None):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return (now or datetime.now()).strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(source, messages, add_generation_prompt, bos_token="", eos_token="", now=None, **kwargs):
    """apply_chat_template(tokenize=False) for one conversation; raises on template errors."""
    template = make_env(now).from_string(source)
    ctx = dict(messages=messages, tools=None, documents=None, add_generation_prompt=add_generation_prompt,
               bos_token=bos_token, eos_token=eos_token)
    ctx.update(kwargs)
    return template.render(**ctx)
