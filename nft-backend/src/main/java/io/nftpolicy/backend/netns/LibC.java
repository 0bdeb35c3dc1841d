package io.nftpolicy.backend.netns;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls the JDK does not offer. Moving one thread into another network namespace is what lets a single
 * JVM own sockets in many namespaces without a helper process per pod.
 *
 * <p>Public for the libnftables binding, which also needs a file that lives only in memory ({@code memfd_create}).
 */
public final class LibC {
    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int CLONE_NEWNET = 0x40000000;
    /** memfd_create(2): close the descriptor on exec. */
    public static final int MFD_CLOEXEC = 1;

    /** Public because jnr-ffi implements it in a class loader of its own. */
    public interface Calls {
        @SaveError
        int open(String path, int flags);

        @SaveError
        int close(int fd);

        /** Affects only the calling thread; sockets it creates afterwards belong to the new namespace for good. */
        @SaveError
        int setns(int fd, int nstype);

        /** With CLONE_NEWNET: moves only the calling thread into a new, empty network namespace of its own. */
        @SaveError
        int unshare(int flags);

        String strerror(int errnum);

        /** A file with no name in any file system, gone when its last descriptor is closed (glibc 2.27+). */
        @SaveError
        int memfd_create(String name, int flags);
    }

    /** Loaded on first use, so that code which never enters a namespace never loads native code. */
    private static final class Loaded {
        static final Calls CALLS = LibraryLoader.create(Calls.class).load("c");
    }

    public static Calls calls() {
        return Loaded.CALLS;
    }

    /** The errno of the calling thread's last {@link SaveError} call, as text. */
    public static String lastError() {
        return calls().strerror(jnr.ffi.Runtime.getRuntime(calls()).getLastError());
    }

    private LibC() {}
}
