#include "fs/actions/act.h"

#include "fs/actions/allow_deletes.h"
#include "fs/actions/audit.h"
#include "fs/actions/control.h"
#include "fs/actions/settings.h"

int gs_act(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len)
{
    switch (gs_node_kind(n)) {
    case GS_K_SETTING:
        gs_audit_set_subject(fs, n, NULL);
        return gs_setting_write(fs, n, in, len);
    case GS_K_CTL_ALLOW_DELETES:
        gs_audit_set_subject(fs, n, NULL);
        return gs_allow_deletes_run(fs, n, in, len);
    default:
        return gs_control_run(fs, n, in, len);
    }
}
