#!/usr/bin/env python3
"""check_docs.py -- the README and docs/*.md stay consistent.

  check_docs.py SOURCE_DIR

Checks that every relative link in README.md and docs/*.md names a file or
directory that exists, that every #anchor names a heading of its target
file (GitHub's slugs), and that the README's test command (the second line
of its first sh block) is the command .ci/run runs.
"""

import os
import re
import sys

LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')


def prose_lines(path):
    """The file's lines outside fenced code blocks, with line numbers."""
    fenced = False
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith('```'):
                fenced = not fenced
                continue
            if not fenced:
                yield number, line


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r'[^\w\- ]', '', s)
    return s.replace(' ', '-')


def anchors(path):
    found = set()
    for _, line in prose_lines(path):
        m = re.match(r'#{1,6} (.*)', line)
        if m:
            found.add(slug(m.group(1)))
    return found


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else '.')
    docs = os.path.join(root, 'docs')
    files = [os.path.join(root, 'README.md')] + sorted(
        os.path.join(docs, n) for n in os.listdir(docs) if n.endswith('.md'))
    errors = []
    for path in files:
        rel = os.path.relpath(path, root)
        for number, line in prose_lines(path):
            for target in LINK.findall(line):
                if re.match(r'[a-z]+:', target):
                    continue
                name, _, anchor = target.partition('#')
                dest = os.path.normpath(
                    os.path.join(os.path.dirname(path), name)) if name else path
                if not os.path.exists(dest):
                    errors.append(f'{rel}:{number}: no such file: {target}')
                elif anchor and (not dest.endswith('.md')
                                 or anchor not in anchors(dest)):
                    errors.append(f'{rel}:{number}: no such heading: {target}')

    with open(os.path.join(root, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    block = re.search(r'```sh\n(.*?)```', readme, re.S)
    lines = block.group(1).splitlines() if block else []
    with open(os.path.join(root, '.ci', 'run'), encoding='utf-8') as f:
        ci = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    if len(lines) < 2 or lines[1].strip() not in ci:
        errors.append('README.md: the second line of the first sh block is '
                      'not a command .ci/run runs')

    for e in errors:
        print(e, file=sys.stderr)
    print(f'{len(files)} files, {len(errors)} errors')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
