"""Small templates, one Jinja feature each, rendered by Jinja2 in transformers' environment (features.json).

The C# tests render every template with the same variables and expect the same text, or a
ChatTemplateException where Jinja2 raises.
"""
from datetime import datetime

import jinja2

from hf_env import render

MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]
# strftime_now reads this local time (the C# tests inject it).
NOW = datetime(2024, 9, 25, 10, 30, 0)
VARIABLES = {
    "text": " Hello World ",
    "n": 5,
    "f": 2.5,
    "items": [3, 1, 2],
    "words": ["b", "A", "c"],
    "data": {"a": 1, "b": [1, 2], "c": {"d": "e"}},
    "users": [{"name": "bo", "age": 2, "tags": ["x"]}, {"name": "al", "age": 1}],
    "empty": [],
    "nothing": None,
    "flag": True,
}

TEMPLATES = [
    # output, literals, whitespace
    "plain text", "{{ 'a' }}{{ \"b\" }}{{ 'c' 'd' }}", "{{ 42 }} {{ -7 }} {{ 1_000 }} {{ 0x1F }} {{ 0b101 }} {{ 0o17 }}",
    "{{ 1.5 }} {{ 1.0 }} {{ 2.5e3 }} {{ 1e16 }} {{ 1e15 }} {{ 1.5e-7 }} {{ 0.0001 }} {{ 0.1 + 0.2 }} {{ 1e100 }} {{ -0.0 }}",
    "{{ true }} {{ True }} {{ false }} {{ none }} {{ None }}", "{{ 'a\\tb\\x41\\u00e9\\\\\\'\\\"' }}", "{{ 'line\\nbreak' }}",
    "{{ \"it's\" }} {{ ['it\\'s', 'a\"b', \"x'y\\\"z\", 'é', '\\n'] }}", "{{ [1, 'a', none, true, 2.5, {'k': 'v'}] }}", "{{ (1, 2) }} {{ (1,) }} {{ () }}",
    "{{ {'a': 1, 'b': [1, 2]} }}", "{{ data }}", "{# comment #}x{# multi\nline #}y", "a  {{- 'b' -}}  c", "a \n {%- if true -%} \n b \n {%- endif -%} \n c",
    "a\n  {% if true %}\n  b\n  {% endif %}\nc", "a  {%+ if true %}b{% endif +%}\nc", "  {# c #}\nx", "x {#- c -#}  y",
    "{% raw %}{{ x }}{% endraw %}\nz", "  {% raw %}  {{ x }}  {% endraw %}  z", "{%- raw -%}  {{ y }}  {%- endraw -%}  q", "a\r\nb\rc\n", "a\n\n",
    "{{ 'x' }}\n  {{ 'y' }}\n", "{%- if true -%}\n  a  \n{%- endif -%}\n  b", "{% for x in [1,2] %}\n  {{ x }}\n{% endfor %}\n",
    "\t{% if true %}x{% endif %}", "a\u00a0{% if true %}x{% endif %}", "a\n\u00a0 {% if true %}x{% endif %}", "  {{- 'a' }}",
    "{{ 'a' -}}   \n\n  b", "{% if true %}   \nx{% endif %}", "{%- set x = 1 %}\n  {{ x }}", "{# a #}\n{# b #}\nc", "{{ 1 }}{#\n#}\n2",
    "{{ {'a': {'b': 1}} }}", "{{ {'a': {'b': 1}}}}", "{%- for m in messages -%}\n    {{- m.role }}\n{%- endfor %}",
    # operators
    "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ 10 - 2 - 3 }}", "{{ 7 // 2 }} {{ 7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 7 // -2 }} {{ -7 % 3 }} {{ 7 % -3 }}",
    "{{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ -7.5 % 2 }} {{ 2 ** -1 }} {{ 2 ** 0.5 }} {{ 1 / 3 }}", "{{ 'ab' ~ 1 ~ none ~ true ~ undefined_var }}", "{{ 'a' + 'b' ~ 'c' }}",
    "{{ 1 + 2 ~ 3 }}", "{{ 'ab' * 3 }} {{ 3 * 'ab' }} {{ [1, 2] * 2 }} {{ 'x' * 0 }} {{ 'x' * -1 }}", "{{ [1, 2] + [3] }} {{ (1,) + (2,) }}",
    "{{ 'a' + 1 }}", "{{ 1 + 'a' }}", "{{ [1] + (2,) }}", "{{ True + 1 }} {{ True * 3 }} {{ -True }} {{ +5 }}", "{{ 1 / 0 }}", "{{ 1 // 0 }}", "{{ 1 % 0 }}",
    "{{ 1 == 1 == 1 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 < 2 > 0 }}", "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' == 'a' }} {{ [1, 2] == [1, 2] }} {{ (1, 2) == [1, 2] }}",
    "{{ {'a': 1} == {'a': 1} }} {{ none == none }} {{ none == false }} {{ undefined_var == none }} {{ undefined_var == other_undefined }}",
    "{{ 'a' < 'b' }} {{ 'B' < 'a' }} {{ [1, 2] < [1, 3] }} {{ [1] < [1, 0] }} {{ 2 >= 2.0 }}", "{{ 1 < 'a' }}", "{{ undefined_var < 1 }}",
    "{{ 1 in [1, 2] }} {{ 3 in [1, 2] }} {{ 'a' in {'a': 1} }} {{ 'ell' in 'hello' }} {{ 'a' not in 'abc' }} {{ 2 not in [1, 3] }} {{ 'x' in undefined_var }}",
    "{{ 1 in 'abc' }}", "{{ 'a' in 5 }}", "{{ not true }} {{ not not 1 }} {{ not '' }} {{ not [] }} {{ not none }}",
    "{{ true and 'x' }} {{ false and 'x' }} {{ '' or 'y' }} {{ 'z' or 'y' }} {{ 0 or none }} {{ 1 and 0 }}",
    "{{ 'x' if true else 'y' }} {{ 'x' if false else 'y' }} {{ 'x' if false }}|{{ ('x' if false) is defined }}",
    "{{ 'a' if false else 'b' if false else 'c' }}", "{{ -n }} {{ -f }} {{ - - n }} {{ not n > 3 }}",
    # variables, attributes, items, slices
    "{{ undefined_var }}|{{ undefined_var is defined }}|{{ undefined_var is undefined }}", "{{ undefined_var.attr }}", "{{ undefined_var['x'] }}",
    "{{ undefined_var() }}", "{{ undefined_var + 1 }}", "{{ -undefined_var }}", "{{ nothing.attr }}|{{ nothing['x'] }}|{{ nothing.attr is defined }}",
    "{{ messages[0].role }} {{ messages[0]['content'] }} {{ messages[-1].content }} {{ messages.0.role }}", "{{ messages[5] }}|{{ messages[5] is defined }}",
    "{{ messages[5].role }}", "{{ data.a }} {{ data['b'][1] }} {{ data.c.d }} {{ data.zz }}|{{ data.zz is defined }}", "{{ data.items is defined }}|{{ data['items'] is defined }}|{{ data.items() | length }}",
    "{{ text[1:] }}|{{ text[:3] }}|{{ text[::-1] }}|{{ text[-3:] }}|{{ text[2:5:2] }}", "{{ items[1:] }} {{ items[:-1] }} {{ items[::2] }} {{ items[5:] }} {{ items[-10:1] }}",
    "{{ items[::0] }}", "{{ items['a':] }}", "{{ 'abc'[1] }} {{ 'abc'[-1] }} {{ 'abc'[5] is defined }}", "{{ (1, 2, 3)[1:] }}",
    "{{ messages.append }}|{{ messages.append is defined }}", "{{ data.update }}|{{ data.pop is defined }}", "{{ loop }}|{{ loop is defined }}",
    # statements
    "{% if false %}a{% elif none %}b{% elif 0 %}c{% else %}d{% endif %}", "{% if items %}yes{% endif %}{% if empty %}no{% endif %}",
    "{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
    "{% for x in items %}{{ loop.previtem }}-{{ x }}-{{ loop.nextitem }}|{% endfor %}", "{% for x in items %}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{% for x in [1, 1, 2] %}{{ loop.changed(x) }}{% endfor %}", "{% for x in empty %}x{% else %}empty{% endfor %}", "{% for x in undefined_var %}a{% else %}b{% endfor %}",
    "{% for x in nothing %}a{% endfor %}", "{% for x in 5 %}a{% endfor %}", "{% for c in 'héllo' %}[{{ c }}]{% endfor %}", "{% for k in data %}{{ k }}{% endfor %}",
    "{% for k, v in data.items() %}{{ k }}={{ v }};{% endfor %}", "{% for k, v in data | items %}{{ k }}={{ v }};{% endfor %}", "{% for (a, b) in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}",
    "{% for a, b in [(1, 2, 3)] %}{% endfor %}", "{% for x in range(6) if x is odd %}{{ x }}{{ loop.index }}{{ loop.length }};{% endfor %}",
    "{% for x in range(5) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in [] %}{% break %}{% else %}e{% endfor %}", "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{{ a }}{{ b }},{% endfor %}{% endfor %}",
    "{% for m in messages %}{% if loop.first %}{% set x = 1 %}{% endif %}[{{ x }}]{% endfor %}[{{ x }}]", "{% set x = 5 %}{% for m in messages %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}|{{ x }}",
    "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}", "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{% set t = 1, 2 %}{{ t }}", "{% set a, b = [1] %}",
    "{% set ns = namespace(found=false, n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }} {{ ns }}",
    "{% set ns = namespace() %}{% set ns.x = 1 %}{{ ns.x }} {{ ns.y is defined }} {{ ns['x'] }}", "{% set d = {} %}{% set d.x = 1 %}", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}",
    "{% set s %}captured {{ 1 + 1 }}{% endset %}[{{ s }}]", "{% set s | upper | trim %} hi {% endset %}[{{ s }}]",
    "{% macro greet(name, p='!') %}hi {{ name }}{{ p }}{% endmacro %}{{ greet('bob') }} {{ greet('al', p='?') }} {{ greet(p='.', name='cy') }}",
    "{% macro f(a, b=2) %}{{ a }}-{{ b }}-{{ varargs }}-{{ kwargs }}{% endmacro %}{{ f(1) }} {{ f(1, 3) }}", "{% macro f(a) %}[{{ a }}]{% endmacro %}{{ f() }}",
    "{% macro outer(x) %}{% macro inner(y) %}<{{ y }}>{% endmacro %}{{ inner(x) }}{{ inner(x * 2) }}{% endmacro %}{{ outer(2) }}",
    "{% set g = 'G' %}{% macro m() %}{{ g }}{% endmacro %}{{ m() }}", "{% macro m() %}{{ messages | length }}{% endmacro %}{% for i in [1] %}{{ m() }}{% endfor %}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}|{{ a is defined }}", "{% filter upper %}abc {{ 'def' }}{% endfilter %}", "{% filter trim | title %}  hello world  {% endfilter %}",
    "{% generation %}gen{{ 1 }}{% endgeneration %}", "{% print 'printed' %}", "{% set x %}{% set y = 1 %}a{% endset %}[{{ y }}]",
    "{% filter upper %}{% set y = 1 %}a{% endfilter %}[{{ y }}]", "{% with %}{% set y = 1 %}{% endwith %}[{{ y }}]", "{% if true %}{% set y = 1 %}{% endif %}[{{ y }}]",
    "{% set ns = namespace(v=0) %}{% set x %}{% set ns.v = 5 %}{% endset %}{{ ns.v }}", "{% generation %}{% set y = 1 %}g{% endgeneration %}[{{ y }}]",
    # filters
    "{{ text | trim }}|{{ text | upper }}|{{ text | lower }}|{{ text | trim | capitalize }}|{{ 'hELLo wORLD' | title }}", "{{ 'xxhixx' | trim('x') }}",
    "{{ 'Hello World-foo bar(baz [q <r' | title }}", "{{ items | length }} {{ 'abc' | length }} {{ data | length }} {{ undefined_var | length }} {{ messages | count }}",
    "{{ 5 | length }}", "{{ items | first }} {{ items | last }} {{ 'abc' | first }} {{ 'abc' | last }} {{ empty | first }}|{{ data | first }}",
    "{{ items | join }} {{ items | join(', ') }} {{ users | join('/', attribute='name') }} {{ 'abc' | join('-') }}", "{{ users | map(attribute='name') | list }} {{ users | map(attribute='tags.0', default='-') | list }}",
    "{{ items | map('string') | join('+') }} {{ words | map('upper') | list }}", "{{ users | selectattr('age', 'gt', 1) | map(attribute='name') | list }} {{ users | rejectattr('tags') | map(attribute='name') | list }}",
    "{{ messages | selectattr('role', 'equalto', 'user') | list | length }} {{ messages | rejectattr('role', 'equalto', 'user') | first | tojson }}",
    "{{ users | selectattr('tags', 'defined') | list | length }} {{ users | selectattr('tags', 'undefined') | list | length }} {{ messages | selectattr('role', 'in', ['user']) | list | length }}",
    "{{ items | select('odd') | list }} {{ items | reject('odd') | list }} {{ [0, 1, '', 'a', none] | select | list }} {{ items | select('gt', 1) | list }}",
    "{{ items | sort }} {{ words | sort }} {{ words | sort(case_sensitive=true) }} {{ items | sort(reverse=true) }} {{ users | sort(attribute='age') | map(attribute='name') | join }}",
    "{{ [2, 1, 'a'] | sort }}", "{{ [1, 1, 2, 'A', 'a'] | unique | list }} {{ items | reverse | list }} {{ 'abc' | reverse }} {{ items | min }} {{ items | max }} {{ words | max }} {{ items | sum }}",
    "{{ users | sum(attribute='age') }} {{ users | max(attribute='age') }} {{ [] | max }}|{{ users | min(attribute='name') }}",
    "{{ data | dictsort }} {{ {'b': 1, 'A': 2, 'a': 0} | dictsort }} {{ {'b': 1, 'a': 2} | dictsort(by='value') }} {{ data | items | list }}", "{{ items | items | list }}",
    "{{ undefined_var | default('dflt') }} {{ '' | default('d', true) }} {{ '' | default('d') }} {{ none | default('d') }} {{ none | d('d', boolean=true) }} {{ 0 | d(5) }}",
    "{{ 'hello' | replace('l', 'L') }} {{ 'hello' | replace('l', 'L', 1) }} {{ 'abc' | replace('', '-') }} {{ 5 | replace('5', 'five') }}",
    "{{ 3.7 | int }} {{ '42' | int }} {{ ' 42 ' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ '3.5' | int }} {{ '0x1A' | int(0, 16) }} {{ '1_000' | int }} {{ true | int }}",
    "{{ '3.5' | float }} {{ 4 | float }} {{ 'x' | float }} {{ 'x' | float(1.5) }} {{ '1e3' | float }}", "{{ undefined_var | int }}",
    "{{ 5 | string }} {{ [1, 'a'] | string }} {{ none | string }} {{ undefined_var | string }}|{{ 2.0 | string }} {{ {'a': none} | string }}",
    "{{ 1.5 | round }} {{ 2.5 | round }} {{ 2.567 | round(2) }} {{ 2.5 | round(method='ceil') }} {{ 2.5 | round(method='floor') }} {{ 7 | round }} {{ -2.5 | round }}",
    "{{ -3 | abs }} {{ -2.5 | abs }} {{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}|{{ 'a\\nb' | indent('> ') }}",
    "{{ '<a href=\"x\">&\\'' | escape }} {{ '<b>' | e }} {{ '<i>' | safe }} {{ 5 | escape }}", "{{ 'one two  three' | wordcount }} {{ 'abc' | center(9) }}|{{ 'ab' | center(5) }}|",
    "{{ '%s-%d-%05.2f-%x-%%-%r' | format('a', 3, 2.5, 255, 'q') }} {{ '%(a)s=%(b)d' % {'a': 'x', 'b': 2} }} {{ '%s' % 'solo' }} {{ '%s and %s' % ('a', 'b') }} {{ '%-4s|%4d|' % ('ab', 7) }}",
    "{{ items | batch(2) | list }} {{ items | batch(2, 0) | list }}", "{{ data | attr('a') }}|{{ text | attr('upper') is defined }}",
    "{{ items | list }} {{ 'ab' | list }} {{ data | list }} {{ undefined_var | list }}",
    "{{ messages | tojson }}", "{{ data | tojson }}", "{{ data | tojson(indent=2) }}", "{{ data | tojson(indent=4) }}", "{{ [] | tojson(indent=2) }} {{ {} | tojson(indent=2) }}",
    "{{ [{'a': [1, {'b': none}]}, []] | tojson(indent=2) }}", "{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }} {{ {'b': 1, 'c': [1, 2]} | tojson(separators=(',', ':')) }}",
    "{{ 'x' | tojson }} {{ 'é\\u2028<>&\\'\"\\\\\\n\\t\\x01\\x7f' | tojson }} {{ 1.0 | tojson }} {{ 1e20 | tojson }} {{ true | tojson }} {{ none | tojson }}",
    "{{ 'é😀' | tojson(ensure_ascii=true) }}", "{{ data | tojson(indent=0) }}", "{{ (1, 2) | tojson }}", "{{ undefined_var | tojson }}", "{{ namespace(a=1) | tojson }}",
    "{{ 'x' | nosuchfilter }}", "{{ x is nosuchtest }}",
    # generators (map/select/... yield in Jinja) and Markup (|safe, |escape)
    "{% if [] | select %}T{% else %}F{% endif %}", "{{ [1, 2] | select | length }}", "{% set g = [1, 2] | select %}{% for x in g %}{{ x }}{% endfor %}|{% for x in g %}{{ x }}{% endfor %}",
    "{% set g = [1, 2] | select %}{{ g | list }}{{ g | list }}", "{{ ([1, 2] | select)[0] }}|", "{{ [1, 2] | select | first }}", "{{ [1, 2] | select | last }}",
    "{{ 1 in [1, 2] | select }} {{ ([1, 2] | select) == ([1, 2] | select) }} {{ [1, 2] | select | reverse | list }} {{ [1, 2] | reverse | list }}",
    "{{ ([1, 2] | select) is sequence }} {{ ([1, 2] | select) is iterable }}", "{{ [1, 2] | unique | tojson }}", "{{ {'a': 1} | items | tojson }}", "{{ ([1] | select) + [2] }}",
    "{{ ([1, 2] | select)[0:1] }}", "{{ [1, 2] | map('string') | join }} {{ [1, 2] | select | sum }} {% set a, b = [1, 2] | select %}{{ a }}{{ b }}", "{{ [1, 2] | reverse | tojson }}",
    "{{ 'a' | safe + '<b>' }} {{ '<b>' + 'a' | safe }} {{ ('<' | safe) ~ '<' }} {{ '<' | e + '<' }} {{ ('<' | safe) * 2 }} {{ '<' | e | e }} {{ ('x' | safe) is string }} {{ ('<' | safe) == '<' }}",
    "{% set p = 'a' | safe %}{{ p + '<' }} {{ (p + '&') | length }} {{ p | upper }} {{ [p] }} {{ {'k': p} | tojson }}", "{{ ('a' | safe) + 1 }}", "{{ ('%s' | safe) % '<' }} {{ '%s' % ('<' | safe) }}",
    "{{ ('<' | safe) | forceescape }} {{ ('<' | safe) in '<<' }} {{ ('ab' | safe)[1] }} {{ ('ab' | safe).upper() }}",
    # dict keys of every hashable kind
    "{% set d = {0: 'zero', 512: 'a', 1.5: 'f', true: 't', none: 'n', (1, 2): 'tup'} %}{{ d[0] }} {{ d[512] }} {{ d[1.5] }} {{ d[1] }} {{ d[none] }} {{ d[(1, 2)] }} {{ d | length }}",
    "{% set d = {1: 'a', 1.0: 'b', true: 'c'} %}{{ d }} {{ d | length }} {{ d.keys() | list }}", "{% for k, v in {2: 'b', 0: 'a'} | dictsort %}{{ k }}={{ v }};{% endfor %}",
    "{{ {1: 'a', none: 'n', true: 't', 2.5: 'f'} | tojson }} {{ {2: 1, 1: 2} | tojson(sort_keys=true) }}", "{{ {'a': 1, 1: 2} | tojson(sort_keys=true) }}", "{{ {(1, 2): 1} | tojson }}",
    "{{ {[1]: 2} }}", "{{ 0 in {0: 1} }} {{ 0.0 in {0: 1} }} {{ '0' in {0: 1} }} {{ {0: 1}.get(0) }} {{ {0: 1}.get(false) }}", "{{ {-1: 'm'}[-1] }} {% for k in {3: 1, 1: 2} %}{{ k }}{% endfor %}",
    "{% if false %}{{ x | nosuchfilter }}{% endif %}ok", "{{ x | nosuchfilter if false else 'ok' }}", "{% if true %}{{ x | nosuchfilter }}{% endif %}", "{% if true %}{% for i in [1] %}{{ i | nosuchfilter }}{% endfor %}{% endif %}",
    "{% if false %}{{ x is nosuchtest }}{% endif %}ok", "{{ none | selectattr('a') | list }} {{ none | map('upper') | list }} {{ none | select | list }} {{ '' | map('upper') | list }}", "{{ none | list }}", "{{ none | join(',') }}",
    # tests
    "{{ x is defined }} {{ none is none }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is sequence }} {{ 1 is not string }}",
    "{{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ none is false }}",
    "{{ data is mapping }} {{ messages is sequence }} {{ data is sequence }} {{ 5 is sequence }} {{ 5 is iterable }} {{ 'x' is iterable }} {{ undefined_var is iterable }} {{ namespace() is mapping }}",
    "{{ 5 is divisibleby 5 }} {{ 7 is divisibleby(3) }} {{ 4 is even }} {{ 3 is odd }} {{ -3 is odd }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aB' is lower }}",
    "{{ 2 is eq 2 }} {{ 2 is equalto(3) }} {{ 2 is ne 3 }} {{ 2 is lt 3 }} {{ 2 is le 2 }} {{ 3 is gt 2 }} {{ 3 is ge 4 }} {{ 2 is in [1, 2] }} {{ 'a' is in 'abc' }}",
    "{{ range is callable }} {{ 'x' is callable }} {{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }} {{ none is sameas none }} {{ 'a' is escaped }}",
    "{{ 'a' is string and 'b' is string }} {{ not 'a' is string }} {{ none is not none }}",
    # methods
    "{{ text.strip() }}|{{ text.lstrip() }}|{{ text.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ text.upper() }}|{{ text.lower() }}|{{ 'hello world'.title() }}|{{ \"they're bill's\".title() }}",
    "{{ 'abc'.startswith('a') }} {{ 'abc'.startswith(('x', 'a')) }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith('b', 1) }} {{ 'abc'.endswith('a', 0, 1) }}",
    "{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ ' a  b '.rsplit(None, 1) }} {{ 'a\\nb\\r\\nc'.splitlines() }}",
    "{{ 'abc'.replace('b', 'B') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'abcabc'.find('c') }} {{ 'abcabc'.rfind('c') }} {{ 'abc'.find('z') }} {{ 'abcabc'.count('bc') }}",
    "{{ ', '.join(['a', 'b']) }} {{ ''.join('xyz') }}", "{{ ', '.join([1, 2]) }}", "{{ 'a {} b {}'.format(1, 'x') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{n}!'.format(n=3) }} {{ '{{}}'.format() }}",
    "{{ '12'.isdigit() }} {{ 'a1'.isalnum() }} {{ 'ab'.isalpha() }} {{ '  '.isspace() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }} {{ 'Ab'.swapcase() }} {{ 'abc'.capitalize() }}",
    "{{ 'prefix-x'.removeprefix('prefix-') }} {{ 'x.txt'.removesuffix('.txt') }} {{ 'ab'.center(6, '*') }} {{ 'ab'.ljust(4, '.') }} {{ 'ab'.rjust(4) }} {{ '42'.zfill(5) }} {{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }}",
    "{{ data.get('a') }} {{ data.get('zz') }} {{ data.get('zz', 'dflt') }} {{ data.keys() | list }} {{ data.values() | list | length }} {{ data.items() | list | first }}",
    "{{ items.index(1) }} {{ items.count(3) }} {{ [1, 2].copy() }}", "{{ items.index(9) }}", "{{ items.append(4) }}", "{{ 'abc'.nosuchmethod() }}",
    # globals
    "{{ range(3) | list }} {{ range(1, 4) | list }} {{ range(10, 0, -3) | list }} {{ range(0) | list }}", "{% for i in range(3) %}{{ i }}{% endfor %}",
    "{{ dict(a=1, b='x') }} {{ dict({'c': 3}, d=4) }}", "{{ raise_exception('custom failure') }}", "{% if true %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}",
    "{{ strftime_now('%Y-%m-%d %H:%M:%S %d %b %Y %B %a %A %j %y %I%p %-d %-m %%') }}", "{{ range(100001) | length }}", "{{ range(1, 2, 0) }}",
    # syntax errors
    "{{ 1 + }}", "{% if true %}never closed", "{{ 'unterminated }}", "{% endfor %}", "{% frobnicate %}", "{{ x }", "{% for x in %}{% endfor %}", "{{ (1 + 2 }}",
    "{% if x %}{% else %}{% else %}{% endif %}", "{% break %}", "{# never closed", "{% macro f(a=1, b) %}{% endmacro %}", "{{ a.1.2 }}", "{{ x is }}", "{{ 'a' | }}",
]


def generate():
    out = []
    for t in TEMPLATES:
        try:
            out.append({"template": t, "expected": render(t, MESSAGES, True, now=NOW, **VARIABLES)})
        except (jinja2.exceptions.TemplateError, SyntaxError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as e:
            out.append({"template": t, "error": f"{type(e).__name__}: {e}"})
    return {"now": NOW.isoformat(), "messages": MESSAGES, "variables": VARIABLES, "cases": out}
