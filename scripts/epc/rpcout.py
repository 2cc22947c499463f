"""Parse kamcmd's text output into Python values.

kamcmd prints an RPC reply as nested blocks: '{' ... '}' holds either
'name: value' members (a struct -> dict) or bare values (an array -> list);
a top-level scalar is printed alone. Numbers become int, everything else
stays str. Several top-level values give a list.
"""
import re

_MEMBER = re.compile(r'^([A-Za-z0-9_.\-]+):(?: (.*))?$')


def _scalar(text):
    text = text.strip()
    if re.fullmatch(r'-?[0-9]+', text):
        return int(text)
    return text


def _block(lines, i):
    """Parse the block whose '{' was just consumed; return (value, next)."""
    members, items = {}, []
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line == '}':
            return (members if members else items), i
        if line == '{':
            v, i = _block(lines, i)
            items.append(v)
            continue
        m = _MEMBER.match(line)
        if m:
            name, value = m.group(1), m.group(2) or ''
            if value.strip() == '{':
                v, i = _block(lines, i)
                members[name] = v
            else:
                members[name] = _scalar(value)
        else:
            items.append(_scalar(line))
    return (members if members else items), i


def parse(text):
    lines = [l for l in text.splitlines() if l.strip()]
    out, i = [], 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line == '{':
            v, i = _block(lines, i)
            out.append(v)
        else:
            out.append(_scalar(line))
    return out[0] if len(out) == 1 else out
