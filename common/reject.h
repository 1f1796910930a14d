/* Refusing input with a reason: the one way the checks of edited documents
 * and rules say why they refuse what was written (EINVAL, reason shown in
 * last_error). */
#ifndef GS_REJECT_H
#define GS_REJECT_H

/* Sets *why to a malloc'd reason made from fmt (NULL when out of memory:
 * the refusal stands without its reason) and returns -EINVAL. */
int gs_reject(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
