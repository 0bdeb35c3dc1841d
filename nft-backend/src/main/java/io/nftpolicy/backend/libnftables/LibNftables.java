package io.nftpolicy.backend.libnftables;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import java.io.File;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.Platform;

/**
 * The libnftables calls nftpolicy uses, as declared by {@code nftables/libnftables.h} of nftables 1.0.6 (Debian
 * bookworm's libnftables1). Only {@link Nftables} calls them, from its one thread.
 */
final class LibNftables {
    /** The library's name for the loader: {@code libnftables.so.1}, no -dev package needed. */
    static final String NAME = "nftables";

    static final int NFT_CTX_DEFAULT = 0;

    /**
     * Public only because jnr-ffi implements it in a class loader of its own; the enclosing class keeps it out of
     * the package's API. Strings going in are passed as NUL-terminated UTF-8 bytes and strings coming out as
     * pointers, so that no platform charset is involved.
     */
    public interface Calls {
        Pointer nft_ctx_new(int flags);

        void nft_ctx_free(Pointer ctx);

        int nft_ctx_buffer_output(Pointer ctx);

        int nft_ctx_buffer_error(Pointer ctx);

        /** The output since the last call; reading it empties the buffer. Valid until the next command. */
        Pointer nft_ctx_get_output_buffer(Pointer ctx);

        /** The error messages since the last call; reading it empties the buffer. */
        Pointer nft_ctx_get_error_buffer(Pointer ctx);

        /** One buffer is one transaction: 0 when it was committed, non-zero when nothing was. */
        int nft_run_cmd_from_buffer(Pointer ctx, @In byte[] buffer);

        /** As {@link #nft_run_cmd_from_buffer}, reading the commands from a file (as {@code nft -f}). */
        int nft_run_cmd_from_filename(Pointer ctx, @In byte[] filename);

        int nft_ctx_output_get_flags(Pointer ctx);

        void nft_ctx_output_set_flags(Pointer ctx, int flags);

        /** Dry run: the kernel checks the whole transaction, then it is aborted. */
        void nft_ctx_set_dry_run(Pointer ctx, boolean dry);
    }

    private static final Map<String, Calls> LOADED = new ConcurrentHashMap<>();

    private LibNftables() {}

    /**
     * Loads the library once per name. Every symbol is resolved now, so that a library too old to have one fails
     * here rather than in the middle of a sync.
     */
    static Calls load(String library) throws NftablesUnavailableException {
        Calls calls = LOADED.get(library);
        if (calls != null) {
            return calls;
        }
        try {
            calls = LibraryLoader.create(Calls.class)
                    .failImmediately()
                    .option(LibraryOption.IgnoreError, true) // errno is not how libnftables reports errors
                    .load(library);
        } catch (LinkageError | RuntimeException e) {
            throw new NftablesUnavailableException(library, reason(e), e);
        }
        List<String> missing = missingFunctions(library);
        if (!missing.isEmpty()) {
            throw new NftablesUnavailableException(library, "it has no " + String.join(", ", missing)
                    + ": too old, or not libnftables", null);
        }
        Calls previous = LOADED.putIfAbsent(library, calls);
        return previous != null ? previous : calls;
    }

    /**
     * The functions of {@link Calls} the library lacks. jnr-ffi binds a missing function to a stub that fails
     * only when called, so they are looked up here, in the file jnr-ffi would pick ({@code libNAME.so} or its
     * highest version {@code libNAME.so.N} in the usual directories). Empty when that file cannot be found: the
     * first call then reports what is missing.
     */
    static List<String> missingFunctions(String library) {
        String path = Platform.getNativePlatform().locateLibrary(library, searchPaths());
        if (path == null || !path.startsWith("/") || !Files.isRegularFile(Path.of(path))) {
            return List.of();
        }
        com.kenai.jffi.Library lib;
        try {
            lib = com.kenai.jffi.Library.getCachedInstance(path, com.kenai.jffi.Library.LAZY
                    | com.kenai.jffi.Library.LOCAL);
        } catch (LinkageError | RuntimeException e) {
            return List.of();
        }
        if (lib == null) {
            return List.of();
        }
        List<String> missing = new ArrayList<>();
        for (Method m : Calls.class.getMethods()) {
            if (lib.getSymbolAddress(m.getName()) == 0) {
                missing.add(m.getName());
            }
        }
        missing.sort(null);
        return missing;
    }

    private static List<String> searchPaths() {
        Set<String> paths = new LinkedHashSet<>();
        for (String p : System.getProperty("java.library.path", "").split(File.pathSeparator)) {
            if (!p.isBlank()) {
                paths.add(p);
            }
        }
        String arch = System.getProperty("os.arch", "");
        String multiarch = switch (arch) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64", "arm64" -> "aarch64-linux-gnu";
            default -> arch + "-linux-gnu";
        };
        paths.addAll(List.of("/usr/local/lib", "/usr/lib/" + multiarch, "/lib/" + multiarch, "/usr/lib64", "/lib64",
                "/usr/lib", "/lib"));
        return new ArrayList<>(paths);
    }

    static String reason(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message.strip();
    }

    /** A NUL-terminated UTF-8 copy of {@code text}. */
    static byte[] cString(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, out, 0, bytes.length);
        return out;
    }

    /** The UTF-8 text a {@code const char *} points to; empty for NULL. */
    static String string(Pointer pointer) {
        if (pointer == null) {
            return "";
        }
        int length = pointer.indexOf(0, (byte) 0);
        if (length <= 0) {
            return "";
        }
        byte[] bytes = new byte[length];
        pointer.get(0, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
