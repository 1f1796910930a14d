/* When a job is WARNING or CRITICAL (check, check.state, health,
 * metrics.prom): the mount options warn_escrow=, crit_escrow=, warn_stale=,
 * crit_stale= (man page, "Monitoring"). 0 turns a threshold off. */
#ifndef GS_THRESHOLDS_H
#define GS_THRESHOLDS_H

struct gs_thresholds {
    double warn_escrow, crit_escrow;  /* escrowed entries of the last run */
    double warn_stale, crit_stale;    /* seconds since the last successful run
                                       * of an active job */
};

#define GS_THRESHOLDS_DEFAULT {.warn_escrow = 1, .crit_escrow = 100, \
                               .warn_stale = 6 * 3600, .crit_stale = 24 * 3600}

/* "3600", "90s", "45m", "6h", "2d" -> seconds; "off" -> 0. 0 or -EINVAL. */
int gs_parse_duration(const char *s, double *out);
/* A count: "10", "off" -> 0. 0 or -EINVAL. */
int gs_parse_count(const char *s, double *out);

#endif
