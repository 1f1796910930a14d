"""The in-mount README lists every kind of entry of the man page's tree (THE TREE: one .TP or .TQ
heading per entry), each with one example, and nothing the man page does not have: the README is
rendered from one table (fs/views/readme.c) that this test holds to the man page."""

import re
import shlex
from pathlib import Path

from tests.integration import mount_util as mu

MAN = Path(__file__).resolve().parents[2] / "man" / "graphsyncfs.1"


def _heading_entries(line):
    """The entry names of one heading macro line: .B, .BI, .IB or .BR (fonts alternate; an
    italic word is a variable part of the name, written <word>; a roman word holding a comma
    separates entries)."""
    macro, _, args = line.partition(" ")
    words = [w.replace("\\-", "-").replace("\\(aq", "'") for w in shlex.split(args)]
    if macro == ".B":
        return [" ".join(words)]
    fonts = {".BI": "BI", ".IB": "IB", ".BR": "BR", ".RB": "RB"}[macro]
    entries, cur = [], ""
    for i, w in enumerate(words):
        font = fonts[i % 2]
        if font == "I":
            cur += "<%s>" % w
        elif font == "R" and "," in w:
            entries.append(cur)
            cur = ""
        else:
            cur += w
    if cur:
        entries.append(cur)
    return entries


def man_tree_entries():
    text = MAN.read_text()
    section = text[text.index(".SH THE TREE"):text.index(".SS Names")]
    lines = section.splitlines()
    out = []
    for i, line in enumerate(lines[:-1]):
        if line in (".TP", ".TQ"):
            out += _heading_entries(lines[i + 1])
    return out


def readme_entries(text):
    """(entry, example) pairs: an entry line, its description, then "$ example"."""
    lines = text.splitlines()
    return [(lines[i - 2].strip(), line.strip()[2:]) for i, line in enumerate(lines)
            if line.strip().startswith("$ ")]


def test_man_page_headings_parse_as_entries():
    entries = man_tree_entries()
    for want in ["README", "status.tsv", "jobs/<displayName>~<jobId>", "servicePrincipals/<id>/",
                 "start", "bulkUpload", "directories/<name>/discover", "backups/<file>",
                 "servicePrincipals/<id>/jobs/new", "rmdir servicePrincipals/<id>/jobs/<jobId>"]:
        assert want in entries, entries
    assert len(entries) == len(set(entries)), entries


def test_readme_has_every_entry_of_the_man_page_with_an_example(mnt):
    pairs = readme_entries(mu.read_file(mnt / "README").decode())
    shown = [e for e, _ in pairs]
    man = man_tree_entries()
    assert sorted(set(man) - set(shown)) == [], "in the man page's tree, not in the README"
    assert sorted(set(shown) - set(man)) == [], "in the README, not in the man page's tree"
    assert all(example for _, example in pairs)
    # the entries a newcomer needs first are in the first lines
    assert shown[:3] == ["README", "status.tsv", "jobs/<displayName>~<jobId>"]
