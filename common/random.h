/* Randomness: client-request-id GUIDs and backoff jitter. */
#ifndef GS_RANDOM_H
#define GS_RANDOM_H

/* Uniform in [0, 1), from the kernel's random source. */
double gs_random_unit(void);
/* A random (version 4) GUID, 36 characters and a NUL. */
void gs_guid(char out[37]);

#endif
