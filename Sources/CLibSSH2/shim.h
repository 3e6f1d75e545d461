#ifndef HPCS_CLIBSSH2_SHIM_H
#define HPCS_CLIBSSH2_SHIM_H
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <poll.h>
#include <netdb.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

// libssh2's convenience macros (libssh2_session_init, libssh2_channel_exec …)
// are not importable; Swift calls the _ex functions. These constants are
// computed macros Swift cannot see either.
static inline int hpcs_sftp_s_ifmt(void) { return LIBSSH2_SFTP_S_IFMT; }
static inline int hpcs_sftp_s_ifdir(void) { return LIBSSH2_SFTP_S_IFDIR; }
static inline int hpcs_sftp_s_ifreg(void) { return LIBSSH2_SFTP_S_IFREG; }
static inline int hpcs_sftp_s_iflnk(void) { return LIBSSH2_SFTP_S_IFLNK; }

// The peer closed its side (Linux): hidden without _GNU_SOURCE.
static inline short hpcs_pollrdhup(void) {
#ifdef POLLRDHUP
    return POLLRDHUP;
#else
    return 0x2000;
#endif
}

// Bytes received on a socket and not yet read (ioctl is variadic: not
// importable). -1 on error.
static inline int hpcs_socket_unread_bytes(int fd) {
    int count = 0;
    return ioctl(fd, FIONREAD, &count) == 0 ? count : -1;
}
#endif
