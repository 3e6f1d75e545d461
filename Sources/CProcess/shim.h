#ifndef HPCS_CPROCESS_SHIM_H
#define HPCS_CPROCESS_SHIM_H
// Process hardening Swift cannot call itself: prctl is variadic.
#include <sys/prctl.h>
#include <sys/resource.h>

// No core dump (it would hold keys, tokens, one-time codes) and no ptrace or
// /proc/PID/mem for other processes of the same user.
static inline int hpcs_harden_process(void) {
    struct rlimit none = {0, 0};
    int status = setrlimit(RLIMIT_CORE, &none);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) status = -1;
    return status;
}
#endif
