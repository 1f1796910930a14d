"""Names that travel: the tenant-wide job links are <displayName>~<jobId>, which rsync, scp and
shells take as a plain relative path (the old <displayName>:<jobId> was a remote host to rsync
and scp: "Could not resolve hostname salesforce")."""

import os
import subprocess

from tests.integration import mount_util as mu


def test_job_links_are_display_name_tilde_job_id(mnt):
    # a '/' in a display name shows as U+FF0F, the man page's safe names
    want = sorted("%s~%s" % (sp["displayName"].replace("/", "\uff0f"), jid) for sp in mnt.tenant()["servicePrincipals"]
                  for jid in sp["jobs"])
    names = sorted(os.listdir(mnt / "jobs"))
    assert names == want
    assert not [n for n in names if ":" in n]
    for n in names[:3]:
        sid, jid = next((sp["id"], j) for sp in mnt.tenant()["servicePrincipals"] for j in sp["jobs"]
                        if n.endswith("~" + j))
        assert os.readlink(mnt / "jobs" / n) == "../servicePrincipals/%s/jobs/%s" % (sid, jid)


def test_rsync_copies_a_job_by_its_relative_link_name(mnt, tmp_path):
    name = sorted(os.listdir(mnt / "jobs"))[0]
    dest = tmp_path / "copy"
    dest.mkdir()
    # relative, as an administrator types it in jobs/: a ':' here made rsync dial a host
    r = subprocess.run(["rsync", "-rL", name + "/status.json", str(dest) + "/"], cwd=str(mnt / "jobs"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (dest / "status.json").read_bytes() == mu.read_file(mnt / "jobs" / name / "status.json")
