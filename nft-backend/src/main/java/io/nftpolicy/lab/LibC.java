package io.nftpolicy.lab;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls the JDK does not offer. Moving one thread into another network namespace is what lets a single
 * JVM own sockets in many namespaces without a helper process per pod.
 */
final class LibC {
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;

    /**
     * Public only because jnr-ffi implements it in a class loader of its own; the enclosing class keeps it out of
     * the lab's API.
     */
    public interface Calls {
        @SaveError
        int open(String path, int flags);

        @SaveError
        int close(int fd);

        /** Affects only the calling thread; sockets it creates afterwards belong to the new namespace for good. */
        @SaveError
        int setns(int fd, int nstype);

        String strerror(int errnum);
    }

    /** Loaded on first use, so that code which never enters a namespace never loads native code. */
    private static final class Loaded {
        static final Calls CALLS = LibraryLoader.create(Calls.class).load("c");
    }

    static Calls calls() {
        return Loaded.CALLS;
    }

    /** The errno of the calling thread's last {@link SaveError} call, as text. */
    static String lastError() {
        return calls().strerror(jnr.ffi.Runtime.getRuntime(calls()).getLastError());
    }

    private LibC() {}
}
