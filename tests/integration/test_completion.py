"""The bash completion of graphsyncfs (dist/graphsyncfs.bash-completion): it offers every mount
option of the man page, completes values of the options that are a choice, and the mount point.

bash is driven as its programmable completion calls the function: COMP_WORDS split at the
characters of COMP_WORDBREAKS ('=' and ':' among them), COMP_LINE, COMP_POINT, COMP_CWORD."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMPLETION = REPO / "dist" / "graphsyncfs.bash-completion"
MAN = REPO / "man" / "graphsyncfs.1"


def _man_options():
    """Every -o option named at a .TP of the man page's OPTIONS section ("name=" or "flag")."""
    text = MAN.read_text()
    section = text[text.index(".SH OPTIONS"):text.index(".SH ERRORS")]
    names = set()
    for head in re.findall(r"^\.TP\n(\.B[IR]? .*)$", section, re.M):
        for m in re.finditer(r'(?:^\.B[IR]? |", ?)"?([a-z_]+)(=?)', head):
            names.add(m.group(1) + m.group(2))
    return names


def _split_words(line):
    """COMP_WORDS as bash makes them: blanks separate, and each of = : is a word of its own."""
    words = []
    for token in line.split(" "):
        words += [w for w in re.split(r"([=:])", token) if w != ""] or [""]
    return words


def complete(line):
    words = _split_words(line)
    script = (
        'source "%s"\n'
        'COMP_LINE="$1"; COMP_POINT=${#1}; shift; COMP_WORDS=("$@")\n'
        'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _graphsyncfs\n'
        'printf "%%s\\n" "${COMPREPLY[@]}"\n' % COMPLETION)
    r = subprocess.run(["bash", "-c", script, "complete", line] + words,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and not r.stderr, r.stderr
    return [w for w in r.stdout.split("\n") if w]


def test_every_man_page_option_is_offered():
    man = _man_options()
    assert {"graph_url=", "auth=", "connect_timeout=", "http_debug", "ro", "umask="} <= man, man
    offered = set(complete("graphsyncfs -o "))
    assert man - offered == set(), "options of the man page the completion does not offer"


def test_option_names_complete():
    assert complete("graphsyncfs -o conn") == ["connect_timeout="]
    assert sorted(complete("graphsyncfs -o au")) == ["auth=", "authority="]


def test_values_of_a_choice_complete_after_the_equals_sign():
    # bash replaces only the last word (after '='): the replies are the values
    assert sorted(complete("graphsyncfs -o auth=c")) == ["certificate", "cli"]
    assert complete("graphsyncfs -o cloud=us") == ["usgov"]
    assert complete("graphsyncfs -o log_level=d") == ["debug"]


def test_the_next_option_of_a_comma_list_completes():
    # the URL's ':' splits the word too: only the part after the last one is replaced
    assert complete("graphsyncfs -o graph_url=http://127.0.0.1:8080,connect") == \
        ["8080,connect_timeout="]
    assert complete("graphsyncfs -o ro,allow") == ["ro,allow_other"]


def test_the_mount_point_completes_as_a_directory(tmp_path):
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph.txt").write_text("")
    assert complete("graphsyncfs -o auth=none %s/gr" % tmp_path) == ["%s/graph" % tmp_path]
