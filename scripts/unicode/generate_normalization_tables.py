#!/usr/bin/env python3
"""Writes src/SharpSeek.Tokenization/Unicode/NormalizationTables.txt from Python's unicodedata.

SharpSeek runs with InvariantGlobalization (no ICU), so the Unicode data its NFKD / StripAccents /
Lowercase normalizers need is generated once into the repository by this script:
  K cp d1 d2 ...  full compatibility decomposition of cp (recursive, before canonical reordering;
                  Hangul syllables are decomposed algorithmically and not listed)
  C cp ccc        non-zero canonical combining class
  M lo hi         a range of marks (general category Mn, Mc or Me): what StripAccents removes
  L cp l1 ...     the per-character full lowercase of cp where it is not cp itself
All code points in hex. Run: python3 scripts/unicode/generate_normalization_tables.py
"""
import os, sys, unicodedata

SBASE, SCOUNT = 0xAC00, 11172


def full_decomposition(cp):
    d = unicodedata.decomposition(chr(cp))
    if not d:
        return [cp]
    parts = d.split()
    if parts[0].startswith('<'):
        parts = parts[1:]
    out = []
    for p in parts:
        out.extend(full_decomposition(int(p, 16)))
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, 'src', 'SharpSeek.Tokenization', 'Unicode', 'NormalizationTables.txt')
    lines = [f'# Unicode {unicodedata.unidata_version} normalization data, written by scripts/unicode/generate_normalization_tables.py']
    marks, start = [], None
    for cp in range(0x110000):
        c = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            is_mark = False
        else:
            is_mark = unicodedata.category(c) in ('Mn', 'Mc', 'Me')
            if not (SBASE <= cp < SBASE + SCOUNT):
                d = full_decomposition(cp)
                if d != [cp]:
                    lines.append('K %X %s' % (cp, ' '.join('%X' % x for x in d)))
            ccc = unicodedata.combining(c)
            if ccc:
                lines.append('C %X %d' % (cp, ccc))
            low = c.lower()
            if low != c:
                lines.append('L %X %s' % (cp, ' '.join('%X' % ord(x) for x in low)))
        if is_mark and start is None:
            start = cp
        if not is_mark and start is not None:
            marks.append((start, cp - 1)); start = None
    lines += ['M %X %X' % r for r in marks]
    with open(path, 'w', encoding='ascii', newline='\n') as f:
        f.write('\n'.join(lines) + '\n')
    print(path, len(lines), 'lines', file=sys.stderr)


if __name__ == '__main__':
    main()
