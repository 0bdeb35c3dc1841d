package io.nftpolicy.backend.nflog;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** The libc socket calls a netlink socket needs, which the JDK's channels do not offer for AF_NETLINK. */
final class NetlinkCalls {
    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int NETLINK_NETFILTER = 12;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVTIMEO = 20;
    static final int EAGAIN = 11;
    static final int EINTR = 4;
    static final int ENOBUFS = 105;

    /** Public because jnr-ffi implements it in a class loader of its own. */
    public interface Calls {
        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        int bind(int fd, @In byte[] address, int length);

        @SaveError
        @ssize_t long sendto(int fd, @In byte[] buffer, @size_t long length, int flags, @In byte[] address, int addressLength);

        @SaveError
        @ssize_t long recv(int fd, @Out byte[] buffer, @size_t long length, int flags);

        @SaveError
        int setsockopt(int fd, int level, int name, @In byte[] value, int length);

        @SaveError
        int close(int fd);

        String strerror(int errnum);
    }

    private static final class Loaded {
        static final Calls CALLS = LibraryLoader.create(Calls.class).load("c");
    }

    static Calls calls() {
        return Loaded.CALLS;
    }

    static int lastErrno() {
        return jnr.ffi.Runtime.getRuntime(calls()).getLastError();
    }

    private NetlinkCalls() {}
}
